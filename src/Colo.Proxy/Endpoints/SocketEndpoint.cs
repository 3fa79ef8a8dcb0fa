using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Endpoints;

/// <summary>
/// One named endpoint (primary_in, outdev, ...) that serves one peer at a time. Server mode listens; a new peer
/// replaces the current one (which may be dead without our knowing: a restarted QEMU reconnects before the old
/// socket times out). Client mode connects and reconnects with exponential backoff.
/// </summary>
public sealed partial class SocketEndpoint : IAsyncDisposable
{
    private readonly EndpointOptions _options;
    private readonly ILogger _logger;
    private Socket? _listener;
    private volatile PeerConnection? _current;
    private OwnedSocketFile? _socketFile;

    public SocketEndpoint(string name, EndpointSpec spec, EndpointOptions options, ILogger logger)
    {
        Name = name;
        Spec = spec;
        _options = options;
        _logger = logger;
    }

    /// <summary>The option name (primary_in, secondary_in, outdev, notify_dev, control).</summary>
    public string Name { get; }

    public EndpointSpec Spec { get; }

    /// <summary>Raised (on the endpoint's task) when a peer connects (true) or goes away (false).</summary>
    public event Action<SocketEndpoint, bool>? PeerChanged;

    public bool IsConnected => _current is not null;

    /// <summary>Connections accepted or established so far.</summary>
    public long Connections { get; private set; }

    /// <summary>Server mode, after <see cref="Bind"/>: the bound address (the port when 0 was asked).</summary>
    public EndPoint? LocalEndPoint => _listener?.LocalEndPoint;

    /// <summary>Server mode: creates the listening socket now, so errors surface at start.</summary>
    public void Bind()
    {
        if (!Spec.IsServer || _listener is not null)
            return;
        _listener = CreateListener(Spec, _options, _logger, out _socketFile);
        LogListening(_logger, Name, DescribeListener(Spec, _listener));
    }

    /// <summary>Serves peers one at a time with <paramref name="onConnection"/> until cancelled.</summary>
    public Task RunAsync(Func<PeerConnection, CancellationToken, Task> onConnection, CancellationToken cancellationToken) =>
        Spec.IsServer ? RunServerAsync(onConnection, cancellationToken) : RunClientAsync(onConnection, cancellationToken);

    /// <summary>
    /// A listening socket for a server spec. For a unix socket, <paramref name="socketFile"/> remembers the file bound,
    /// so that only that file is removed at exit (<see cref="OwnedSocketFile"/>); its owner, group and mode are the
    /// options' (<see cref="UnixSocketPermissions"/>).
    /// </summary>
    internal static Socket CreateListener(EndpointSpec spec, EndpointOptions options, ILogger logger, out OwnedSocketFile? socketFile)
    {
        bool allowRemote = options.AllowRemote;
        socketFile = null;
        if (spec.Kind == EndpointKind.Unix)
        {
            RemoveStaleSocket(spec.Path, logger);
            var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                unix.Bind(new UnixBindEndPoint(spec.Path));
                if (!OperatingSystem.IsWindows())
                    UnixSocketPermissions.Apply(spec.Path, options);
                // After the chown and chmod, which change the file's status change time.
                socketFile = OwnedSocketFile.Capture(spec.Path);
                unix.Listen(4);
                return unix;
            }
            catch
            {
                unix.Dispose();
                throw;
            }
        }

        if (!allowRemote && !spec.IsLoopback())
            throw new InvalidOperationException($"{spec} is not a loopback address; pass --allow-remote to listen on it.");
        IPAddress address = spec.ResolveListenAddress();
        var tcp = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            tcp.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            tcp.Bind(new IPEndPoint(address, spec.Port));
            tcp.Listen(4);
            return tcp;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>The spec as written, and for a TCP host name the address it was bound to: the log says where we listen.</summary>
    internal static string DescribeListener(EndpointSpec spec, Socket listener) =>
        spec.Kind == EndpointKind.Tcp && !IPAddress.TryParse(spec.Host, out _) && listener.LocalEndPoint is { } bound
            ? spec + " (" + bound + ")"
            : spec.ToString();

    /// <summary>Removes the socket file this process bound, unless another process has since bound its own there.</summary>
    internal static void RemoveSocketFile(ref OwnedSocketFile? socketFile, ILogger logger)
    {
        if (socketFile is not { } file)
            return;
        socketFile = null;
        if (!file.DeleteIfStillOurs() && File.Exists(file.Path))
            LogSocketFileNotOurs(logger, file.Path);
    }

    private static void RemoveStaleSocket(string path, ILogger logger)
    {
        if (!File.Exists(path))
            return;
        using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(path));
                throw new InvalidOperationException($"{path} is in use by another process.");
            }
            catch (SocketException)
            {
                // Nobody listens: a leftover of a previous run.
            }
        }
        LogRemovedStale(logger, path);
        File.Delete(path);
    }

    private async Task RunServerAsync(Func<PeerConnection, CancellationToken, Task> onConnection, CancellationToken cancellationToken)
    {
        Bind();
        Socket listener = _listener!;
        Task? serving = null;
        CancellationTokenSource? servingCts = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
                catch (SocketException ex)
                {
                    LogAcceptFailed(_logger, Name, ex.SocketErrorCode.ToString());
                    continue;
                }
                catch (ObjectDisposedException)
                {
                    break;
                }

                if (serving is not null)
                {
                    if (!serving.IsCompleted)
                        LogPeerReplaced(_logger, Name);
                    _current?.Abort();
                    await servingCts!.CancelAsync().ConfigureAwait(false);
                    await serving.ConfigureAwait(false);
                    servingCts.Dispose();
                }
                servingCts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                serving = ServeAsync(socket, onConnection, servingCts.Token);
            }
        }
        finally
        {
            if (serving is not null)
            {
                _current?.Abort();
                if (servingCts is not null)
                    await servingCts.CancelAsync().ConfigureAwait(false);
                await serving.ConfigureAwait(false);
                servingCts?.Dispose();
            }
        }
    }

    private async Task RunClientAsync(Func<PeerConnection, CancellationToken, Task> onConnection, CancellationToken cancellationToken)
    {
        TimeSpan delay = _options.ReconnectDelay;
        bool failingLogged = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            Socket? socket = null;
            try
            {
                EndPoint target = await Spec.ResolveAsync(cancellationToken).ConfigureAwait(false);
                socket = target is UnixDomainSocketEndPoint
                    ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
                    : new Socket(target.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(target, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                socket?.Dispose();
                break;
            }
            catch (SocketException ex)
            {
                socket?.Dispose();
                socket = null;
                if (!failingLogged)
                {
                    LogConnectFailed(_logger, Name, Spec.ToString(),
                        ConnectFailure.Describe(ex, Spec.Kind == EndpointKind.Unix ? Spec.Path : null), delay.TotalMilliseconds);
                    failingLogged = true;
                }
            }

            if (socket is not null)
            {
                failingLogged = false;
                delay = _options.ReconnectDelay;
                await ServeAsync(socket, onConnection, cancellationToken).ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested)
                    break;
            }

            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            if (socket is null)
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
        }
    }

    private async Task ServeAsync(Socket socket, Func<PeerConnection, CancellationToken, Task> onConnection, CancellationToken cancellationToken)
    {
        if (socket.ProtocolType == ProtocolType.Tcp)
            socket.NoDelay = true;
        var connection = new PeerConnection(Name, socket);
        Connections++;
        _current = connection;
        LogPeerConnected(_logger, Name, connection.Remote);
        PeerChanged?.Invoke(this, true);
        try
        {
            await onConnection(connection, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The peer went away or we are stopping; the handler logged what it had to.
        }
        finally
        {
            _current = null;
            await connection.DisposeAsync().ConfigureAwait(false);
            LogPeerDisconnected(_logger, Name, connection.Remote);
            PeerChanged?.Invoke(this, false);
        }
    }

    public ValueTask DisposeAsync()
    {
        _current?.Abort();
        _listener?.Dispose();
        _listener = null;
        RemoveSocketFile(ref _socketFile, _logger);
        return ValueTask.CompletedTask;
    }
}
