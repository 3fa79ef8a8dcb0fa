using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Qemu;

/// <summary>
/// One QMP connection: connect (unix or TCP), read the greeting, <c>qmp_capabilities</c>, then commands tagged with an
/// <c>id</c> whose <c>return</c>/<c>error</c> is matched back by that id (any number may be in flight), and events in
/// the order QEMU sent them on <see cref="Events"/>. One instance per connection: reconnecting is the owner's loop
/// (<see cref="QemuCheckpointChannel"/>), which creates a new client each time.
/// </summary>
internal sealed partial class QmpClient : IAsyncDisposable
{
    /// <summary>Events buffered for the consumer; when full, reading from QEMU waits (QEMU buffers on its side).</summary>
    private const int EventQueueCapacity = 4096;

    private readonly QmpEndpoint _endpoint;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _commandTimeout;
    private readonly ConcurrentDictionary<long, PendingCommand> _pending = new();
    private readonly Channel<QmpEvent> _events = Channel.CreateBounded<QmpEvent>(
        new BoundedChannelOptions(EventQueueCapacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly TaskCompletionSource<JsonElement> _greeting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _shutdown = new();
    private NetworkStream? _stream;
    private Task _readLoop = Task.CompletedTask;
    private long _nextId;
    private int _disposed;

    public QmpClient(QmpEndpoint endpoint, ILogger logger, TimeProvider timeProvider, TimeSpan commandTimeout)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(commandTimeout, TimeSpan.Zero);
        _endpoint = endpoint;
        _logger = logger;
        _timeProvider = timeProvider;
        _commandTimeout = commandTimeout;
    }

    /// <summary>QEMU's greeting (<c>{"QMP": {"version": ..., "capabilities": [...]}}</c>, the inner object) once connected.</summary>
    public JsonElement Greeting { get; private set; }

    /// <summary>Events in arrival order. Completes when the connection ends.</summary>
    public ChannelReader<QmpEvent> Events => _events.Reader;

    /// <summary>Completes when the connection ends (peer closed, protocol error or disposal); never faults.</summary>
    public Task Completion => _readLoop;

    /// <summary>Replies that matched no request (QEMU answers JSON syntax errors without an id).</summary>
    public long UnmatchedReplies => Interlocked.Read(ref _unmatchedReplies);

    private long _unmatchedReplies;

    /// <summary>
    /// Connects, waits for the greeting and negotiates capabilities. Throws <see cref="SocketException"/> when nobody
    /// listens, <see cref="QmpProtocolException"/> when no greeting comes within the command timeout (the usual cause:
    /// another client holds this QMP socket, which serves one client at a time).
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        Socket socket = _endpoint.CreateSocket();
        try
        {
            using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connectTimeout.CancelAfter(_commandTimeout);
                try
                {
                    await socket.ConnectAsync(_endpoint.EndPoint, connectTimeout.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new TimeoutException($"Connecting to QMP {_endpoint} took longer than {_commandTimeout.TotalSeconds} s.");
                }
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        _stream = new NetworkStream(socket, ownsSocket: true);
        _readLoop = ReadLoopAsync(PipeReader.Create(_stream), _shutdown.Token);

        try
        {
            Greeting = await _greeting.Task.WaitAsync(_commandTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new QmpProtocolException(
                $"No QMP greeting from {_endpoint} within {_commandTimeout.TotalSeconds} s. A QMP socket serves one client at a time: " +
                "give ColoProxy a -qmp socket of its own.");
        }

        LogGreeting(_logger, _endpoint.Text, DescribeVersion(Greeting));
        await ExecuteAsync("qmp_capabilities", null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <c>{"execute": command, "arguments": arguments, "id": n}</c> and returns the <c>return</c> value (a detached
    /// clone). Throws <see cref="QmpCommandException"/> on an <c>error</c> reply, <see cref="TimeoutException"/> when
    /// no reply comes within the command timeout, <see cref="IOException"/> when the connection ends first.
    /// </summary>
    public async Task<JsonElement> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        NetworkStream stream = _stream ?? throw new InvalidOperationException("The QMP client is not connected.");
        long id = Interlocked.Increment(ref _nextId);
        var pending = new PendingCommand(command);
        _pending[id] = pending;
        try
        {
            if (_readLoop.IsCompleted)
                throw new IOException($"The QMP connection to {_endpoint} is closed; '{command}' was not sent.");

            byte[] payload = Serialize(command, arguments, id);
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await stream.WriteAsync(payload, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }

            LogCommandSent(_logger, command, id);
            try
            {
                return await pending.Reply.Task.WaitAsync(_commandTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"QMP command '{command}' (id {id}) got no reply within {_commandTimeout.TotalSeconds} s.");
            }
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await _shutdown.CancelAsync().ConfigureAwait(false);
        if (_stream is not null)
            await _stream.DisposeAsync().ConfigureAwait(false);
        await _readLoop.ConfigureAwait(false);
        _shutdown.Dispose();
        _writeLock.Dispose();
    }

    private async Task ReadLoopAsync(PipeReader input, CancellationToken cancellationToken)
    {
        await Task.Yield();
        string reason = "closed by QEMU";
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                try
                {
                    while (QmpMessageReader.TryReadMessage(ref buffer, out ReadOnlySequence<byte> message))
                    {
                        QmpEvent? evt = Dispatch(message);
                        if (evt is { } e)
                            await _events.Writer.WriteAsync(e, cancellationToken).ConfigureAwait(false);
                    }
                }
                finally
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (result.IsCompleted)
                {
                    if (!buffer.IsEmpty)
                        reason = $"closed by QEMU in the middle of a message ({buffer.Length} bytes discarded)";
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            reason = "closed by ColoProxy";
        }
        catch (QmpProtocolException ex)
        {
            reason = ex.Message;
            LogProtocolError(_logger, _endpoint.Text, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            reason = cancellationToken.IsCancellationRequested ? "closed by ColoProxy" : ex.Message;
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            var closed = new IOException($"The QMP connection to {_endpoint} ended: {reason}.");
            _greeting.TrySetException(closed);
            foreach (KeyValuePair<long, PendingCommand> entry in _pending)
                entry.Value.Reply.TrySetException(closed);
            _events.Writer.TryComplete();
            LogDisconnected(_logger, _endpoint.Text, reason);
        }
    }

    private QmpEvent? Dispatch(ReadOnlySequence<byte> message)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message);
        }
        catch (JsonException ex)
        {
            throw new QmpProtocolException($"QMP message is not valid JSON ({ex.Message}); dropping the connection.", ex);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.TryGetProperty("event"u8, out JsonElement name) && name.ValueKind == JsonValueKind.String)
            {
                JsonElement data = root.TryGetProperty("data"u8, out JsonElement d) ? d.Clone() : default;
                var evt = new QmpEvent(name.GetString()!, data, ReadTimestamp(root));
                LogEventReceived(_logger, evt.Name);
                return evt;
            }

            if (root.TryGetProperty("return"u8, out JsonElement value))
            {
                Complete(root, value, error: default);
                return null;
            }

            if (root.TryGetProperty("error"u8, out JsonElement error))
            {
                Complete(root, default, error);
                return null;
            }

            if (root.TryGetProperty("QMP"u8, out JsonElement greeting))
            {
                if (!_greeting.TrySetResult(greeting.Clone()))
                    throw new QmpProtocolException("A second QMP greeting on one connection; dropping the connection.");
                return null;
            }

            LogUnknownMessage(_logger, _endpoint.Text);
            return null;
        }
    }

    private void Complete(JsonElement root, JsonElement value, JsonElement error)
    {
        if (!root.TryGetProperty("id"u8, out JsonElement idElement)
            || !idElement.TryGetInt64(out long id)
            || !_pending.TryGetValue(id, out PendingCommand? pending))
        {
            Interlocked.Increment(ref _unmatchedReplies);
            LogUnmatchedReply(_logger, _endpoint.Text, error.ValueKind == JsonValueKind.Object ? ErrorText(error) : "return");
            return;
        }

        if (error.ValueKind == JsonValueKind.Undefined)
        {
            pending.Reply.TrySetResult(value.Clone());
            return;
        }

        string errorClass = error.TryGetProperty("class"u8, out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : "GenericError";
        string desc = error.TryGetProperty("desc"u8, out JsonElement ds) && ds.ValueKind == JsonValueKind.String ? ds.GetString()! : "";
        pending.Reply.TrySetException(new QmpCommandException(pending.Command, errorClass, desc));
    }

    private static string ErrorText(JsonElement error) =>
        error.TryGetProperty("desc"u8, out JsonElement ds) && ds.ValueKind == JsonValueKind.String ? ds.GetString()! : error.GetRawText();

    private static DateTimeOffset? ReadTimestamp(JsonElement root)
    {
        if (!root.TryGetProperty("timestamp"u8, out JsonElement ts)
            || !ts.TryGetProperty("seconds"u8, out JsonElement s) || !s.TryGetInt64(out long seconds)
            || !ts.TryGetProperty("microseconds"u8, out JsonElement us) || !us.TryGetInt64(out long micros))
            return null;
        try
        {
            return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * TimeSpan.TicksPerMicrosecond);
        }
        catch (ArgumentOutOfRangeException)
        {
            return null;
        }
    }

    private static string DescribeVersion(JsonElement greeting)
    {
        if (greeting.TryGetProperty("version"u8, out JsonElement version)
            && version.TryGetProperty("qemu"u8, out JsonElement qemu)
            && qemu.TryGetProperty("major"u8, out JsonElement major)
            && qemu.TryGetProperty("minor"u8, out JsonElement minor)
            && qemu.TryGetProperty("micro"u8, out JsonElement micro))
        {
            string package = version.TryGetProperty("package"u8, out JsonElement p) && p.ValueKind == JsonValueKind.String ? p.GetString()! : "";
            return package.Length == 0 ? $"{major}.{minor}.{micro}" : $"{major}.{minor}.{micro} ({package})";
        }

        return "unknown version";
    }

    private static byte[] Serialize(string command, JsonObject? arguments, long id)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("execute"u8, command);
            if (arguments is not null)
            {
                writer.WritePropertyName("arguments"u8);
                arguments.WriteTo(writer);
            }

            writer.WriteNumber("id"u8, id);
            writer.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private sealed class PendingCommand(string command)
    {
        public string Command { get; } = command;

        public TaskCompletionSource<JsonElement> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
