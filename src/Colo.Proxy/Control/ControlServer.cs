using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Logging;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Control;

/// <summary>
/// The QMP-style control socket: several clients at once, each greeted, each negotiating capabilities before
/// commands, each receiving events once negotiated. Who may keep a place is the <see cref="ControlClientTable"/>'s
/// decision; this shell accepts, closes with an error message saying why, and looks at the clock once a second.
/// </summary>
internal sealed partial class ControlServer : IAsyncDisposable
{
    private static readonly TimeSpan ExpiryScanInterval = TimeSpan.FromSeconds(1);

    /// <summary>A query command is logged (at Debug) at most once per this interval; monitoring polls them.</summary>
    public static readonly TimeSpan CommandLogInterval = TimeSpan.FromMinutes(1);

    private readonly ControlLimits _limits;
    private readonly ControlClientTable _table;
    private readonly long _startTimestamp;
    private long _nextSessionId;
    private readonly EndpointSpec _spec;
    private readonly IProxyControl _control;
    private readonly LogRateLimiter _commandLog;
    private readonly EndpointOptions _options;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly List<ControlSession> _sessions = [];
    private Socket? _listener;
    private OwnedSocketFile? _socketFile;

    public ControlServer(EndpointSpec spec, IProxyControl control, EndpointOptions options, ILogger logger, TimeProvider time, ControlLimits? limits = null)
    {
        _limits = limits ?? new ControlLimits();
        _table = new ControlClientTable(_limits);
        _startTimestamp = time.GetTimestamp();
        _spec = spec;
        _control = control;
        _commandLog = new LogRateLimiter(time, CommandLogInterval);
        _options = options;
        _logger = logger;
        _time = time;
    }

    public EndPoint? LocalEndPoint => _listener?.LocalEndPoint;

    internal IProxyControl Control => _control;

    internal ILogger Logger => _logger;

    public void Bind()
    {
        if (_listener is not null)
            return;
        _listener = SocketEndpoint.CreateListener(_spec, _options, _logger, out _socketFile);
        LogListening(_logger, SocketEndpoint.DescribeListener(_spec, _listener));
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Bind();
        var running = new List<Task>();
        using ITimer expiry = _time.CreateTimer(static state => ((ControlServer)state!).CloseExpired(), this, ExpiryScanInterval, ExpiryScanInterval);
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
                var session = new ControlSession(this, socket, ++_nextSessionId);
                lock (_lock)
                {
                    // Never refused: at the limit the newcomer takes the place of the most idle client.
                    if (_table.Admit(session.Id, Elapsed()) is { } evicted && Find(evicted) is { } old)
                    {
                        LogClientEvicted(_logger, _limits.MaxClients);
                        old.Close($"Closed: {_limits.MaxClients} control clients is the limit and a new one connected; this one was idle longest");
                    }
                    _sessions.Add(session);
                }
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

    /// <summary>State-changing commands at Information, each time; queries at Debug, rate-limited per command.</summary>
    internal void LogExecuted(ControlCommand command)
    {
        if (command.ChangesState)
        {
            LogStateCommand(_logger, command.Name);
        }
        else if (_logger.IsEnabled(LogLevel.Debug) && _commandLog.TryAcquire(command.Name, out long suppressed))
        {
            LogQueryCommand(_logger, command.Name, suppressed);
        }
    }

    private async Task RunSessionAsync(ControlSession session, CancellationToken cancellationToken)
    {
        try
        {
            await session.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException or System.Threading.Channels.ChannelClosedException)
        {
        }
        catch (Exception ex)
        {
            LogSessionFailed(_logger, ex);
        }
        finally
        {
            lock (_lock)
            {
                _sessions.Remove(session);
                _table.Remove(session.Id);
            }
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    private TimeSpan Elapsed() => _time.GetElapsedTime(_startTimestamp);

    private ControlSession? Find(long id) => _sessions.Find(s => s.Id == id);

    /// <summary>The session completed capabilities negotiation (its thread).</summary>
    internal void OnNegotiated(ControlSession session)
    {
        lock (_lock)
            _table.Negotiated(session.Id, Elapsed());
    }

    /// <summary>The session received a complete command (its thread).</summary>
    internal void OnCommand(ControlSession session)
    {
        lock (_lock)
            _table.CommandReceived(session.Id, Elapsed());
    }

    private void CloseExpired()
    {
        lock (_lock)
        {
            foreach ((long id, ControlClientTable.CloseReason reason) in _table.TakeExpired(Elapsed()))
            {
                if (Find(id) is not { } session)
                    continue;
                LogClientTimedOut(_logger, reason == ControlClientTable.CloseReason.Idle ? "idle" : "not_negotiated");
                session.Close(reason == ControlClientTable.CloseReason.Idle
                    ? $"Closed: no command for {_limits.IdleTimeout.TotalSeconds:0} s (send one now and then, e.g. query-status, to stay connected)"
                    : $"Closed: capabilities were not negotiated within {_limits.NegotiationTimeout.TotalSeconds:0} s (send {{\"execute\": \"qmp_capabilities\"}} first)");
            }
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
