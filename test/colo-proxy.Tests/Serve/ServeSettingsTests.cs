using Colo.Cli.Serve;
using Colo.Proxy.Hosting;

namespace Colo.Cli.Tests.Serve;

/// <summary>How <c>colo-proxy serve</c> options become proxy and engine options.</summary>
public sealed class ServeSettingsTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("colo-serve-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static ServeSettings Required()
    {
        var settings = new ServeSettings();
        settings.Set("primary-in", "unix:/tmp/p.sock,server");
        settings.Set("secondary-in", "unix:/tmp/s.sock,server");
        settings.Set("outdev", "unix:/tmp/o.sock,server");
        return settings;
    }

    [Fact]
    public void ToProxyOptions_Defaults_AreQemuPropertyDefaults()
    {
        ProxyOptions options = Required().ToProxyOptions();

        Assert.Equal(TimeSpan.FromMilliseconds(3000), options.Compare.CompareTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), options.Compare.ExpiredScanCycle);
        Assert.Equal(1024, options.Compare.MaxQueueSize);
        Assert.False(options.VnetHdrSupport);
        Assert.False(options.Compare.CompareNonIp);
    }

    [Fact]
    public void ToProxyOptions_FlightRecorder_OnByDefaultAtASmallSize_OffWithZero()
    {
        ProxyOptions defaults = Required().ToProxyOptions();
        ServeSettings off = Required();
        off.Set("record-per-flow", "0");
        ServeSettings custom = Required();
        custom.Set("record-dir", _temp);
        custom.Set("record-keep", "7");
        custom.Set("record-timeouts", "on");

        Assert.Equal(64 * 1024, defaults.Compare.RecorderBytesPerFlow);
        Assert.Equal(16L * 1024 * 1024, defaults.Compare.RecorderBudgetBytes);
        Assert.EndsWith("records", defaults.Records.Directory, StringComparison.Ordinal);
        Assert.Null(off.ToProxyOptions().Records.Directory);
        ProxyOptions options = custom.ToProxyOptions();
        Assert.Empty(custom.Errors);
        Assert.Equal((_temp, 7, true), (options.Records.Directory, options.Records.Keep, options.Records.RecordTimeouts));
    }

    [Fact]
    public void ToProxyOptions_FlightRecorderOutOfRange_SaysWhich()
    {
        ServeSettings settings = Required();
        settings.Set("record-per-flow", "-1");
        settings.Set("record-keep", "0");

        _ = settings.ToProxyOptions();

        Assert.Contains(settings.Errors, e => e.Contains("recorder bytes per flow", StringComparison.Ordinal));
        Assert.Contains(settings.Errors, e => e.Contains("--record-keep", StringComparison.Ordinal));
    }

    [Fact]
    public void ToProxyOptions_CompareNonIpFromConfigWithQemuSpelling_TurnsComparisonOn()
    {
        string config = Path.Combine(_temp, "colo.json");
        File.WriteAllText(config, """{ "compare_non_ip": "on", "max_queue_size": 64 }""");
        ServeSettings settings = Required();

        settings.LoadConfig(config);
        ProxyOptions options = settings.ToProxyOptions();

        Assert.Empty(settings.Errors);
        Assert.True(options.Compare.CompareNonIp);
        Assert.Equal(64, options.Compare.MaxQueueSize);
    }

    [Fact]
    public void ToProxyOptions_CommandLineWinsOverConfig()
    {
        string config = Path.Combine(_temp, "colo.json");
        File.WriteAllText(config, """{ "compare-non-ip": "on" }""");
        ServeSettings settings = Required();

        settings.LoadConfig(config);
        settings.Set("compare-non-ip", "off");

        Assert.False(settings.ToProxyOptions().Compare.CompareNonIp);
    }
}
