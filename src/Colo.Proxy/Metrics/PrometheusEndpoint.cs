using System.Globalization;
using System.Net;
using System.Text;
using Colo.Compare;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Metrics;

/// <summary>
/// <c>--metrics tcp:127.0.0.1:PORT</c>: GET /metrics in Prometheus text format, rendered from the engines' counters
/// (the same numbers as query-stats), served by Kestrel from the ASP.NET Core shared framework.
/// </summary>
internal sealed class PrometheusEndpoint : IAsyncDisposable
{
    private readonly EndpointSpec _spec;
    private readonly ProxyHost _host;
    private readonly bool _allowRemote;
    private WebApplication? _app;

    public PrometheusEndpoint(EndpointSpec spec, ProxyHost host, bool allowRemote)
    {
        _spec = spec;
        _host = host;
        _allowRemote = allowRemote;
    }

    public EndPoint? LocalEndPoint { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_allowRemote && !_spec.IsLoopback())
            throw new InvalidOperationException($"--metrics {_spec} is not a loopback address; pass --allow-remote.");
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        IPAddress address = IPAddress.TryParse(_spec.Host, out IPAddress? parsed) ? parsed : IPAddress.Loopback;
        builder.WebHost.UseKestrel(options => options.Listen(address, _spec.Port));
        WebApplication app = builder.Build();
        app.MapGet("/metrics", RenderAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        string? bound = app.Services.GetService(typeof(IServer)) is IServer server
            ? server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            : null;
        if (bound is not null && Uri.TryCreate(bound, UriKind.Absolute, out Uri? uri))
            LocalEndPoint = new IPEndPoint(address, uri.Port);
        _app = app;
    }

    private async Task RenderAsync(HttpContext context)
    {
        EngineCounters c = await _host.GetCountersAsync().ConfigureAwait(false);
        var text = new StringBuilder(4096);
        Counter(text, "colo_frames_received_total", "Frames received from the replicas",
            [("side=\"primary\"", c.PrimaryReceived), ("side=\"secondary\"", c.SecondaryReceived)]);
        Counter(text, "colo_frames_released_total", "Primary frames released to outdev",
            Enum.GetValues<ReleaseReason>().Select(r => ($"reason=\"{ColoMetrics.Tag(r)}\"", c.Released(r))));
        Counter(text, "colo_frames_dropped_total", "Frames dropped",
            Enum.GetValues<DropReason>().SelectMany(r => new[]
            {
                ($"side=\"primary\",reason=\"{ColoMetrics.Tag(r)}\"", c.Dropped(Side.Primary, r)),
                ($"side=\"secondary\",reason=\"{ColoMetrics.Tag(r)}\"", c.Dropped(Side.Secondary, r)),
            }));
        Counter(text, "colo_checkpoint_triggers_total", "Checkpoint causes found by the engines",
            Enum.GetValues<CheckpointReason>().Select(r => ($"reason=\"{ColoMetrics.Tag(r)}\"", c.Triggers(r))));
        Counter(text, "colo_checkpoints_requested_total", "Checkpoint requests sent (coalesced)", [("", _host.Coordinator.RequestsSent)]);
        Counter(text, "colo_checkpoints_completed_total", "Checkpoints completed", [("", _host.CheckpointsCompleted)]);
        Counter(text, "colo_divergences_total", "Divergences", [("", c.Divergences)]);
        if (_host.Records is { } records)
        {
            Counter(text, "colo_records_total", "Flight-recorder capture pairs written",
                [("kind=\"divergence\"", _host.RecordedDivergences), ("kind=\"timeout\"", _host.RecordedTimeouts)]);
            Counter(text, "colo_records_dropped_total", "Flight records not written: writer behind or I/O error",
                [("cause=\"behind\"", records.Dropped), ("cause=\"error\"", records.Failed)]);
        }
        Gauge(text, "colo_frames_queued", "Frames queued in the engines",
            [("side=\"primary\"", c.PrimaryQueued), ("side=\"secondary\"", c.SecondaryQueued)]);
        Gauge(text, "colo_output_buffered_bytes", "Released bytes waiting for outdev", [("", _host.OutputBufferedBytes)]);
        Gauge(text, "colo_peer_connected", "1 while the channel's peer is connected",
            _host.Peers().Select(p => ($"channel=\"{p.Key}\"", p.Value ? 1L : 0L)));
        Counter(text, "colo_gc_collections_total", "Garbage collections by generation",
            [("generation=\"0\"", GC.CollectionCount(0)), ("generation=\"1\"", GC.CollectionCount(1)), ("generation=\"2\"", GC.CollectionCount(2))]);
        Counter(text, "colo_gc_allocated_bytes_total", "Bytes allocated on the managed heap", [("", GC.GetTotalAllocatedBytes())]);
        Counter(text, "colo_process_cpu_milliseconds_total", "CPU time of the process (user + system)",
            [("", (long)Environment.CpuUsage.TotalTime.TotalMilliseconds)]);
        context.Response.ContentType = "text/plain; version=0.0.4";
        await context.Response.WriteAsync(text.ToString()).ConfigureAwait(false);
    }

    private static void Counter(StringBuilder text, string name, string help, IEnumerable<(string Labels, long Value)> values) =>
        Write(text, name, help, "counter", values);

    private static void Gauge(StringBuilder text, string name, string help, IEnumerable<(string Labels, long Value)> values) =>
        Write(text, name, help, "gauge", values);

    private static void Write(StringBuilder text, string name, string help, string type, IEnumerable<(string Labels, long Value)> values)
    {
        text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        foreach ((string labels, long value) in values)
        {
            text.Append(name);
            if (labels.Length > 0)
                text.Append('{').Append(labels).Append('}');
            text.Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }
}
