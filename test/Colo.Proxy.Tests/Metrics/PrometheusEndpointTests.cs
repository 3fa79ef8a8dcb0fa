using System.Diagnostics;
using System.Net;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Tests.EndToEnd;
using Colo.TestSupport.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Proxy.Tests.Metrics;

public class PrometheusEndpointTests
{
    private static async Task<(ProxyHarness Proxy, Uri Base)> StartAsync()
    {
        ProxyHarness proxy = await ProxyHarness.StartAsync(o => o.Metrics = EndpointSpec.Parse("tcp:127.0.0.1:0,server"));
        var endPoint = (IPEndPoint)proxy.EndPointOf("metrics");
        return (proxy, new Uri($"http://127.0.0.1:{endPoint.Port}/"));
    }

    [Fact]
    public async Task GetMetrics_AfterFrames_RendersCountersInTextFormat()
    {
        var (proxy, root) = await StartAsync();
        await using var _ = proxy;
        await using var primary = await proxy.ConnectAsync("primary_in");
        await primary.SendAsync(Udp(Ascii("m"), 53, 3333, FlowAddress.Between("10.0.0.2", "10.0.0.1")));
        await proxy.WaitReceivedAsync(1, 0);
        using var http = new HttpClient();

        string text = await http.GetStringAsync(new Uri(root, "metrics"), TestContext.Current.CancellationToken);

        Assert.Contains("colo_frames_received_total{side=\"primary\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_input_bytes_total{side=\"primary\"} ", text, StringComparison.Ordinal);
        Assert.Contains("colo_frames_queued{side=\"primary\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_peer_connected{channel=\"primary_in\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_state{state=\"running\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_state{state=\"failover\"} 0\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_queue_oldest_age_seconds ", text, StringComparison.Ordinal);
        Assert.Contains("colo_transport_errors_total{channel=\"primary_in\",kind=\"oversize\"} 0\n", text, StringComparison.Ordinal);
        Assert.Matches("colo_build_info\\{version=\"[^\"]+\"\\} 1\n", text);
        Assert.Contains("colo_gc_collections_total{generation=\"2\"} ", text, StringComparison.Ordinal);
        Assert.Contains("process_cpu_seconds_total ", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetMetrics_AfterCheckpoint_LatencyHistogramCounted()
    {
        var (proxy, root) = await StartAsync();
        await using var _ = proxy;
        await using var control = await proxy.ControlAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await primary.SendAsync(Udp(Ascii("yes"), 53, 3333, FlowAddress.Between("10.0.0.2", "10.0.0.1")));
        await secondary.SendAsync(Udp(Ascii("no!"), 53, 3333, FlowAddress.Between("10.0.0.2", "10.0.0.1")));
        await control.WaitEventAsync("COLO_CHECKPOINT_REQUEST");
        await control.ReturnAsync("colo-checkpoint-done");
        using var http = new HttpClient();

        string text = await http.GetStringAsync(new Uri(root, "metrics"), TestContext.Current.CancellationToken);

        Assert.Contains("colo_checkpoint_latency_seconds_count{channel=\"control\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_checkpoint_latency_seconds_bucket{channel=\"control\",le=\"+Inf\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_checkpoints_requested_total{reason=\"divergence\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("colo_divergences_total{kind=\"datagram\"} 1\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetHealthz_Running_Ok()
    {
        var (proxy, root) = await StartAsync();
        await using var _ = proxy;
        using var http = new HttpClient();

        using HttpResponseMessage response = await http.GetAsync(new Uri(root, "healthz"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("running\n", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Validate_MetricsOnNonLoopbackWithoutAllowRemote_Accepted()
    {
        var options = new Colo.Proxy.Hosting.ProxyOptions
        {
            PrimaryIn = EndpointSpec.Parse("unix:/tmp/p.sock,server"),
            SecondaryIn = EndpointSpec.Parse("unix:/tmp/s.sock,server"),
            Outdev = EndpointSpec.Parse("unix:/tmp/o.sock,server"),
            Metrics = EndpointSpec.Parse("tcp:0.0.0.0:9100,server"),
        };

        Assert.Empty(options.Validate());
        options.Control = EndpointSpec.Parse("tcp:0.0.0.0:9101,server");
        Assert.Contains(options.Validate(), e => e.StartsWith("--control", StringComparison.Ordinal));
    }

    /// <summary>
    /// Prometheus' own linter over a scrape with every kind of series present. Needs promtool (Debian package
    /// prometheus, which .ci/run installs); without it the test says so and is skipped.
    /// </summary>
    [Fact]
    public async Task GetMetrics_PromtoolCheckMetrics_NoProblems()
    {
        string? promtool = FindOnPath("promtool");
        Assert.SkipWhen(promtool is null, "promtool is not installed (apt-get install prometheus); the metrics were NOT linted");
        var (proxy, root) = await StartAsync();
        await using var _ = proxy;
        await using var control = await proxy.ControlAsync();
        await using var primary = await proxy.ConnectAsync("primary_in");
        await using var secondary = await proxy.ConnectAsync("secondary_in");
        await primary.SendAsync(Udp(Ascii("yes"), 53, 3333, FlowAddress.Between("10.0.0.2", "10.0.0.1")));
        await secondary.SendAsync(Udp(Ascii("no!"), 53, 3333, FlowAddress.Between("10.0.0.2", "10.0.0.1")));
        await control.WaitEventAsync("COLO_CHECKPOINT_REQUEST");
        await control.ReturnAsync("colo-checkpoint-done");
        using var http = new HttpClient();
        string text = await http.GetStringAsync(new Uri(root, "metrics"), TestContext.Current.CancellationToken);

        var start = new ProcessStartInfo(promtool!, "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        string output = await process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken)
            + await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(process.ExitCode == 0 && output.Trim().Length == 0, $"promtool check metrics (exit {process.ExitCode}):\n{output}\n--- scrape ---\n{text}");
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
