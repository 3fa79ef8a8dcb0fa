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
    public void Build_Defaults_AreQemuPropertyDefaults()
    {
        ProxyOptions options = Required().Build().Proxy;

        Assert.Equal(TimeSpan.FromMilliseconds(3000), options.Compare.CompareTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(1000), options.Compare.ExpiredScanCycle);
        Assert.Equal(1024, options.Compare.MaxQueueSize);
        Assert.False(options.VnetHdrSupport);
        Assert.False(options.Compare.CompareNonIp);
    }

    [Fact]
    public void Build_FlightRecorder_OnByDefaultAtASmallSize_OffWithZero()
    {
        ProxyOptions defaults = Required().Build().Proxy;
        ServeSettings off = Required();
        off.Set("record-per-flow", "0");
        ServeSettings custom = Required();
        custom.Set("record-dir", _temp);
        custom.Set("record-keep", "7");
        custom.Set("record-timeouts", "on");

        Assert.Equal(64 * 1024, defaults.Compare.RecorderBytesPerFlow);
        Assert.Equal(16L * 1024 * 1024, defaults.Compare.RecorderBudgetBytes);
        Assert.EndsWith("records", defaults.Records.Directory, StringComparison.Ordinal);
        Assert.Null(off.Build().Proxy.Records.Directory);
        ProxyOptions options = custom.Build().Proxy;
        Assert.Empty(custom.Errors);
        Assert.Equal((_temp, 7, true), (options.Records.Directory, options.Records.Keep, options.Records.RecordTimeouts));
    }

    [Fact]
    public void Build_FlightRecorderOutOfRange_SaysWhich()
    {
        ServeSettings settings = Required();
        settings.Set("record-per-flow", "128M");   // above the 64 MiB a flow may keep
        settings.Set("record-keep", "0");

        _ = settings.Build();

        Assert.Contains(settings.Errors, e => e.Contains("recorder bytes per flow", StringComparison.Ordinal));
        Assert.Contains(settings.Errors, e => e.Contains("--record-keep", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_ControlLimits_FromTheCommandLineInEitherSpelling()
    {
        ServeSettings settings = Required();
        settings.Set("control-max-clients", "4");
        settings.Set("control_idle_timeout", "60000");
        settings.Set("control-negotiation-timeout", "2000");

        ProxyOptions options = settings.Build().Proxy;

        Assert.Empty(settings.Errors);
        Assert.Equal(4, options.ControlLimits.MaxClients);
        Assert.Equal(TimeSpan.FromMinutes(1), options.ControlLimits.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), options.ControlLimits.NegotiationTimeout);
        Assert.Equal(16, Required().Build().Proxy.ControlLimits.MaxClients);
    }

    [Fact]
    public void Build_ControlMaxClientsZero_SaysWhich()
    {
        ServeSettings settings = Required();
        settings.Set("control-max-clients", "0");

        _ = settings.Build();

        Assert.Contains(settings.Errors, e => e.Contains("--control-max-clients must be at least 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Build_CompareNonIpFromConfigWithQemuSpelling_TurnsComparisonOn()
    {
        string config = Path.Combine(_temp, "colo.json");
        File.WriteAllText(config, """{ "compare_non_ip": "on", "max_queue_size": 64 }""");
        ServeSettings settings = Required();

        settings.LoadConfig(config);
        ProxyOptions options = settings.Build().Proxy;

        Assert.Empty(settings.Errors);
        Assert.True(options.Compare.CompareNonIp);
        Assert.Equal(64, options.Compare.MaxQueueSize);
    }

    [Fact]
    public void Build_CommandLineWinsOverConfig()
    {
        string config = Path.Combine(_temp, "colo.json");
        File.WriteAllText(config, """{ "compare-non-ip": "on" }""");
        ServeSettings settings = Required();

        settings.LoadConfig(config);
        settings.Set("compare-non-ip", "off");

        Assert.False(settings.Build().Proxy.Compare.CompareNonIp);
    }

    [Fact]
    public void Build_QemuSpellingsOnTheCommandLine_SameAsDashed()
    {
        var settings = new ServeSettings();
        settings.Set("primary_in", "unix:/tmp/p.sock,server=on,wait=off");
        settings.Set("secondary_in", "unix:/tmp/s.sock,server=on,wait=off");
        settings.Set("outdev", "unix:/tmp/o.sock,server=on,wait=off");
        settings.Set("vnet_hdr_support", "on");

        ProxyOptions options = settings.Build().Proxy;

        Assert.Empty(settings.Errors);
        Assert.True(options.PrimaryIn!.IsServer);
        Assert.True(options.VnetHdrSupport);
    }

    [Fact]
    public void LoadConfig_DuplicateKey_Refused()
    {
        string config = Path.Combine(_temp, "dup.json");
        File.WriteAllText(config, """{ "max_queue_size": 64, "max_queue_size": 65 }""");
        var settings = new ServeSettings();

        settings.LoadConfig(config);

        Assert.Single(settings.Errors);
    }

    [Fact]
    public void Build_SocketOwnership_ReachesEndpointOptions()
    {
        ServeSettings settings = Required();
        settings.Set("socket-group", "libvirt-qemu");
        settings.Set("socket-mode", "0660");

        ProxyOptions options = settings.Build().Proxy;

        Assert.Empty(settings.Errors);
        Assert.Equal("libvirt-qemu", options.Endpoints.SocketGroup);
        Assert.Equal((UnixFileMode)0x1B0, options.Endpoints.SocketMode);
    }

    [Theory]
    [InlineData("socket-mode", "0999", "--socket-mode '0999' is not an octal mode")]
    [InlineData("log-format", "xml", "--log-format 'xml' is not text or json")]
    [InlineData("compare-timeout", "soon", "--compare-timeout 'soon' is not a whole number")]
    public void Build_InvalidValue_ErrorNamesOptionAndValue(string key, string value, string expected)
    {
        ServeSettings settings = Required();
        settings.Set(key, value);

        settings.Build();

        Assert.Contains(settings.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Build_QemuOptionWithoutQemuQmp_Refused()
    {
        ServeSettings settings = Required();
        settings.Set("qemu-trust-resume", "on");

        settings.Build();

        Assert.Contains("--qemu-trust-resume needs --qemu-qmp", settings.Errors);
    }
}
