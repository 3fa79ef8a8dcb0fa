using System.Net;
using System.Net.Sockets;
using Colo.Proxy.Checkpoints;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Colo.Proxy.Tests.EndToEnd;

/// <summary>
/// Starts the proxy in-process as <c>colo-proxy serve</c> would (unix socket servers in a fresh directory, or TCP on
/// 127.0.0.1 with port 0), with a fake clock unless told otherwise.
/// </summary>
internal sealed class ProxyHarness : IAsyncDisposable
{
    private ProxyHarness(string directory, ProxyOptions options, ProxyHost host, FakeTimeProvider? time)
    {
        Directory = directory;
        Options = options;
        Host = host;
        Time = time;
    }

    public string Directory { get; }

    public ProxyOptions Options { get; }

    public ProxyHost Host { get; }

    /// <summary>Null when the harness runs on the real clock.</summary>
    public FakeTimeProvider? Time { get; }

    public static string NewDirectory()
    {
        // Short: unix socket paths are limited to 107 bytes.
        string path = Path.Combine("/tmp", "cpx-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }

    public static async Task<ProxyHarness> StartAsync(Action<ProxyOptions>? configure = null, bool fakeTime = true,
        bool tcp = false, bool notify = true, bool control = true, IEnumerable<ICheckpointChannel>? channels = null)
    {
        string directory = NewDirectory();
        EndpointSpec Server(string name) => tcp
            ? new EndpointSpec(EndpointKind.Tcp, "", "127.0.0.1", 0, true)
            : new EndpointSpec(EndpointKind.Unix, Path.Combine(directory, name + ".sock"), "", 0, true);
        var options = new ProxyOptions
        {
            PrimaryIn = Server("primary"),
            SecondaryIn = Server("secondary"),
            Outdev = Server("outdev"),
            NotifyDev = notify ? Server("notify") : null,
            Control = control ? new EndpointSpec(EndpointKind.Unix, Path.Combine(directory, "control.sock"), "", 0, true) : null,
        };
        options.Endpoints.ReconnectDelay = TimeSpan.FromMilliseconds(20);
        options.Endpoints.MaxReconnectDelay = TimeSpan.FromMilliseconds(200);
        // Tests often stop with released frames and no outdev peer.
        options.ShutdownTimeout = TimeSpan.FromSeconds(1);
        configure?.Invoke(options);
        FakeTimeProvider? time = fakeTime ? new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)) : null;
        var host = new ProxyHost(options, NullLoggerFactory.Instance, (TimeProvider?)time ?? TimeProvider.System,
            checkpointChannels: channels);
        await host.StartAsync(CancellationToken.None);
        return new ProxyHarness(directory, options, host, time);
    }

    public EndPoint EndPointOf(string name) =>
        Host.GetLocalEndPoint(name) ?? throw new InvalidOperationException(name + " is not a server endpoint");

    public Task<FramedPeer> ConnectAsync(string name) =>
        FramedPeer.ConnectAsync(EndPointOf(name), name != "notify_dev" && Options.VnetHdrSupport);

    public Task<ControlClient> ControlAsync(bool negotiate = true) =>
        ControlClient.ConnectAsync(EndPointOf("control"), negotiate);

    /// <summary>Waits until the engines have ingested this many frames per side.</summary>
    public Task WaitReceivedAsync(long primary, long secondary) => Wait.UntilAsync(async () =>
    {
        var c = await Host.GetCountersAsync();
        return c.PrimaryReceived >= primary && c.SecondaryReceived >= secondary;
    }, $"{primary} primary and {secondary} secondary frames to be ingested");

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static Socket Listen(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen(4);
        return socket;
    }
}
