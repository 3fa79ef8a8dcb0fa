using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Colo.RealColo.Tests.Qmp;

/// <summary>
/// A minimal QMP client over a unix socket (QEMU's <c>-qmp</c> and ColoProxy's control socket speak the same
/// protocol): greeting, <c>qmp_capabilities</c>, one command at a time, every event kept in order and logged to a file.
/// </summary>
internal sealed class QmpClient : IAsyncDisposable
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(30);

    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly NetworkStream _stream;
    private readonly StreamWriter? _eventLog;
    private readonly Channel<JsonElement> _replies = Channel.CreateUnbounded<JsonElement>();
    private readonly SemaphoreSlim _commandLock = new(1, 1);
    private readonly List<QmpEvent> _events = [];
    private readonly Stopwatch _clock;
    private readonly Task _readLoop;
    private readonly string _name;

    private QmpClient(string name, Socket socket, Stopwatch clock, string? eventLogPath)
    {
        _name = name;
        _socket = socket;
        _clock = clock;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.UTF8);
        if (eventLogPath is not null)
            _eventLog = new StreamWriter(eventLogPath, append: true) { AutoFlush = true };
        _readLoop = Task.Run(ReadLoopAsync);
    }

    /// <summary>Connects (retrying while the socket does not exist or refuses, up to <paramref name="timeout"/>) and negotiates.</summary>
    public static async Task<QmpClient> ConnectAsync(string name, string path, Stopwatch clock, string? eventLogPath, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).ConfigureAwait(false);
                var client = new QmpClient(name, socket, clock, eventLogPath);
                await client.NegotiateAsync().ConfigureAwait(false);
                return client;
            }
            catch (SocketException) when (deadline.Elapsed < timeout)
            {
                socket.Dispose();
                await Task.Delay(100).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                throw new QmpException($"{name}: cannot connect to {path} within {timeout.TotalSeconds:F0} s: {e.Message}");
            }
        }
    }

    public IReadOnlyList<QmpEvent> Events
    {
        get
        {
            lock (_events)
                return [.. _events];
        }
    }

    /// <summary>Runs one command and returns its <c>return</c> value; a QMP error becomes a <see cref="QmpException"/>.</summary>
    public async Task<JsonElement> ExecuteAsync(string command, object? arguments = null)
    {
        var request = arguments is null
            ? JsonSerializer.Serialize(new { execute = command })
            : JsonSerializer.Serialize(new { execute = command, arguments });
        await _commandLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(Encoding.UTF8.GetBytes(request + "\n")).ConfigureAwait(false);
            using var timeout = new CancellationTokenSource(ReplyTimeout);
            JsonElement reply;
            try
            {
                reply = await _replies.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new QmpException($"{_name}: no reply to {command} within {ReplyTimeout.TotalSeconds:F0} s");
            }
            catch (ChannelClosedException)
            {
                throw new QmpException($"{_name}: connection closed before the reply to {command}");
            }
            if (reply.TryGetProperty("error", out var error))
                throw new QmpException($"{_name}: {command} failed: {error.GetRawText()}");
            return reply.TryGetProperty("return", out var value) ? value : default;
        }
        finally
        {
            _commandLock.Release();
        }
    }

    /// <summary>Waits for the first event from index <paramref name="from"/> on that matches; null when the time runs out.</summary>
    public async Task<QmpEvent?> WaitForEventAsync(Func<QmpEvent, bool> match, TimeSpan timeout, int from = 0)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var events = Events;
            for (var i = from; i < events.Count; i++)
            {
                if (match(events[i]))
                    return events[i];
            }
            if (deadline.Elapsed > timeout || _readLoop.IsCompleted)
                return null;
            await Task.Delay(50).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (IOException)
        {
            // closed under the reader
        }
        _reader.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        if (_eventLog is not null)
            await _eventLog.DisposeAsync().ConfigureAwait(false);
        _commandLock.Dispose();
    }

    private async Task NegotiateAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            var greeting = await _replies.Reader.ReadAsync(timeout.Token).ConfigureAwait(false);
            if (!greeting.TryGetProperty("QMP", out _))
                throw new QmpException($"{_name}: expected a QMP greeting, got {greeting.GetRawText()}");
        }
        catch (OperationCanceledException)
        {
            throw new QmpException($"{_name}: no QMP greeting within 20 s (is another client on this monitor?)");
        }
        await ExecuteAsync("qmp_capabilities").ConfigureAwait(false);
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (await _reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (line.Length == 0)
                    continue;
                JsonElement message;
                try
                {
                    message = JsonDocument.Parse(line).RootElement.Clone();
                }
                catch (JsonException)
                {
                    continue;
                }
                if (message.TryGetProperty("event", out var name))
                {
                    var data = message.TryGetProperty("data", out var d) ? d : default;
                    var received = new QmpEvent(name.GetString() ?? "", data, _clock.Elapsed.TotalSeconds);
                    lock (_events)
                        _events.Add(received);
                    _eventLog?.WriteLine($"{received.ReceivedAt:F3} {line}");
                }
                else
                {
                    await _replies.Writer.WriteAsync(message).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or SocketException)
        {
            // the peer went away or we disposed; pending commands see the closed channel
        }
        finally
        {
            _replies.Writer.TryComplete();
        }
    }
}
