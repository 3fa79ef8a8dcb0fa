using System.Net;
using Colo.Proxy.Control;
using Colo.Proxy.Endpoints;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Metrics;

/// <summary>
/// <c>--metrics tcp:HOST:PORT</c>: <c>GET /metrics</c> renders <see cref="ColoMetrics"/>' instruments in the Prometheus
/// text format; <c>GET /healthz</c> answers 200 while the proxy runs (or has failed over) and 503 otherwise. Served by
/// Kestrel from the ASP.NET Core shared framework. It may listen on any address without <c>--allow-remote</c>: it only
/// reads, and its labels never carry addresses or ports.
/// </summary>
internal sealed class PrometheusEndpoint : IAsyncDisposable
{
    private readonly EndpointSpec _spec;
    private readonly IProxyControl _control;
    private readonly ColoMetrics _metrics;
    private readonly PrometheusRenderer _renderer;
    private WebApplication? _app;

    public PrometheusEndpoint(EndpointSpec spec, IProxyControl control, ColoMetrics metrics)
    {
        _spec = spec;
        _control = control;
        _metrics = metrics;
        // Listening from construction on, so counters recorded before the endpoint starts are not lost.
        _renderer = new PrometheusRenderer(metrics.Meter);
    }

    public EndPoint? LocalEndPoint { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        IPAddress address = IPAddress.TryParse(_spec.Host, out IPAddress? parsed) ? parsed : IPAddress.Loopback;
        builder.WebHost.UseKestrel(options => options.Listen(address, _spec.Port));
        WebApplication app = builder.Build();
        app.MapGet("/metrics", RenderAsync);
        app.MapGet("/healthz", Health);
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
        await _metrics.RefreshAsync().ConfigureAwait(false);
        string text = _renderer.Render();
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(text).ConfigureAwait(false);
    }

    private IResult Health()
    {
        string state = _control.GetStatus().State;
        return state is "running" or "failover"
            ? Results.Text(state + "\n")
            : Results.Text(state + "\n", statusCode: StatusCodes.Status503ServiceUnavailable);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        _renderer.Dispose();
    }
}
