using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Hosting;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Control;

/// <summary>
/// The QMP-style control socket: several clients at once, each greeted, each negotiating capabilities before
/// commands, each receiving events once negotiated.
/// </summary>
internal sealed partial class ControlServer : IAsyncDisposable
{
    public const int MaxClients = 16;

    private readonly EndpointSpec _spec;
    private readonly ProxyHost _host;
    private readonly EndpointOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly List<ControlSession> _sessions = [];
    private Socket? _listener;
    private OwnedSocketFile? _socketFile;

    public ControlServer(EndpointSpec spec, ProxyHost host, EndpointOptions options, ILogger logger, TimeProvider time)
    {
        _spec = spec;
        _host = host;
        _options = options;
        _logger = logger;
        _time = time;
    }

    public EndPoint? LocalEndPoint => _listener?.LocalEndPoint;

    internal ProxyHost Host => _host;

    internal ILogger Logger => _logger;

    public void Bind()
    {
        if (_listener is not null)
            return;
        _listener = SocketEndpoint.CreateListener(_spec, _options.AllowRemote, _logger, out _socketFile);
        LogListening(_logger, SocketEndpoint.DescribeListener(_spec, _listener));
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Bind();
        var running = new List<Task>();
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                Socket socket;
                try
                {
                    socket = await _listener!.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
                {
                    break;
                }
                catch (SocketException)
                {
                    continue;
                }

                running.RemoveAll(t => t.IsCompleted);
                if (running.Count >= MaxClients)
                {
                    LogTooManyClients(_logger, MaxClients);
                    socket.Dispose();
                    continue;
                }
                var session = new ControlSession(this, socket);
                lock (_lock)
                    _sessions.Add(session);
                running.Add(RunSessionAsync(session, cancellationToken));
            }
        }
        finally
        {
            lock (_lock)
            {
                foreach (ControlSession session in _sessions)
                    session.Abort();
            }
            await Task.WhenAll(running).ConfigureAwait(false);
        }
    }

    private async Task RunSessionAsync(ControlSession session, CancellationToken cancellationToken)
    {
        try
        {
            await session.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        catch (Exception ex)
        {
            LogSessionFailed(_logger, ex);
        }
        finally
        {
            lock (_lock)
                _sessions.Remove(session);
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Sends an event to every client that negotiated capabilities. Thread-safe; never blocks.</summary>
    public void PublishEvent<TState>(string name, TState state, Action<Utf8JsonWriter, TState> writeData)
    {
        lock (_lock)
        {
            if (_sessions.Count == 0)
                return;
        }
        byte[] message = BuildEvent(name, state, writeData, _time.GetUtcNow());
        lock (_lock)
        {
            foreach (ControlSession session in _sessions)
                session.SendEvent(message);
        }
    }

    internal static byte[] BuildEvent<TState>(string name, TState state, Action<Utf8JsonWriter, TState> writeData, DateTimeOffset now)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, ControlJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("event", name);
            writer.WriteStartObject("data");
            writeData(writer, state);
            writer.WriteEndObject();
            long micros = (now.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
            writer.WriteStartObject("timestamp");
            writer.WriteNumber("seconds", micros / 1_000_000);
            writer.WriteNumber("microseconds", micros % 1_000_000);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        buffer.Write("\r\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        _listener?.Dispose();
        _listener = null;
        SocketEndpoint.RemoveSocketFile(ref _socketFile, _logger);
        await Task.CompletedTask.ConfigureAwait(false);
    }
}
