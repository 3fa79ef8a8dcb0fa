using System.Net;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Tests.EndToEnd;
using static Colo.Proxy.Tests.EndToEnd.TestFrames;

namespace Colo.Proxy.Tests.Hosting;

public class PrometheusEndpointTests
{
    [Fact]
    public async Task GetMetrics_AfterFrames_RendersCountersInTextFormat()
    {
        await using var proxy = await ProxyHarness.StartAsync(o => o.Metrics = EndpointSpec.Parse("tcp:127.0.0.1:0,server"));
        await using var primary = await proxy.ConnectAsync("primary_in");
        await primary.SendAsync(Udp("10.0.0.2", 53, "10.0.0.1", 3333, Ascii("m")));
        await proxy.WaitReceivedAsync(1, 0);
        var endPoint = (IPEndPoint)proxy.EndPointOf("metrics");
        using var http = new HttpClient();

        string text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{endPoint.Port}/metrics"), TestContext.Current.CancellationToken);

        Assert.Contains("colo_frames_received_total{side=\"primary\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("colo_frames_queued{side=\"primary\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("colo_peer_connected{channel=\"primary_in\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("colo_gc_collections_total{generation=\"2\"} ", text, StringComparison.Ordinal);
        Assert.Contains("colo_process_cpu_milliseconds_total ", text, StringComparison.Ordinal);
    }
}
