using System.Text.Json;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colo.Cli.Tests.Ctl;

/// <summary><c>colo-proxy ctl</c> against a running proxy, as an operator types it.</summary>
public sealed class CtlCommandTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine("/tmp", "cctl-" + Guid.NewGuid().ToString("N")[..8]);
    private ProxyHost? _host;

    private string Control => Path.Combine(_directory, "c.sock");

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        EndpointSpec Server(string name) => EndpointSpec.Parse($"unix:{Path.Combine(_directory, name)},server");
        var options = new ProxyOptions
        {
            PrimaryIn = Server("p.sock"),
            SecondaryIn = Server("s.sock"),
            Outdev = Server("o.sock"),
            Control = Server("c.sock"),
            ShutdownTimeout = TimeSpan.FromSeconds(1),
        };
        _host = new ProxyHost(options, NullLoggerFactory.Instance);
        await _host.StartAsync(CancellationToken.None);
    }

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
            await _host.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<(int Exit, string Output, string Error)> RunAsync(string? command, string[] words, bool json = false)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = await CtlCommand.RunAsync(Control, command, words, json, watch: false, output, error, TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task QueryStatus_PrintsTheReturnValueAndExitsZero()
    {
        var (exit, output, _) = await RunAsync("query-status", []);

        Assert.Equal(0, exit);
        Assert.Equal("running", JsonDocument.Parse(output).RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Json_PrintsTheReplyLineAsSent()
    {
        var (exit, output, _) = await RunAsync("query-flows", ["limit=1"], json: true);

        Assert.Equal(0, exit);
        Assert.Equal("{\"return\":[]}", output.Trim());
    }

    [Fact]
    public async Task UnknownArgument_ErrorOnStderrExitsOne()
    {
        var (exit, output, error) = await RunAsync("query-flows", ["bogus=1"]);

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.StartsWith("GenericError: Parameter 'bogus' is unexpected", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownCommand_RefusedBeforeConnectingExitsTwo()
    {
        var (exit, _, error) = await RunAsync("query-everything", []);

        Assert.Equal(2, exit);
        Assert.Contains("known: qmp_capabilities, query-commands", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_PrintsEventsAsKeyValueLines()
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        using var output = new StringWriter();
        using var error = new StringWriter();

        // The failover in the same session emits COLO_FAILOVER; the watch then ends when the proxy stops.
        Task<int> watching = CtlCommand.RunAsync(Control, "colo-failover", [], false, true, output, error, stop.Token);
        await WaitUntilAsync(() => output.ToString().Contains("COLO_FAILOVER", StringComparison.Ordinal));
        await _host!.StopAsync();
        int exit = await watching.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(0, exit);
        Assert.Matches(@"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z COLO_FAILOVER reason=control released=0$", output.ToString().Replace("\r", "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoSocket_SaysSoExitsOne()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        int exit = await CtlCommand.RunAsync(Path.Combine(_directory, "none.sock"), "query-status", [], false, false, output, error, TestContext.Current.CancellationToken);

        Assert.Equal(1, exit);
        Assert.Contains("none.sock", error.ToString(), StringComparison.Ordinal);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
            await Task.Delay(20, timeout.Token);
    }
}
