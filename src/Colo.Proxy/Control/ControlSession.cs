using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using System.Threading.Channels;

namespace Colo.Proxy.Control;

/// <summary>
/// One control client. Input is a stream of JSON objects (one per line in practice; any whitespace is accepted); each
/// is executed in order and answered with <c>return</c> or <c>error</c>, echoing <c>id</c>. Events are queued per
/// client; a client that stops reading loses events rather than slowing the proxy.
/// </summary>
internal sealed class ControlSession : IAsyncDisposable
{
    public const int MaxMessageLength = 64 * 1024;
    private const int MaxQueuedMessages = 1024;

    private readonly ControlServer _server;
    private readonly NetworkStream _stream;
    private readonly Socket _socket;
    private readonly PipeReader _input;
    private readonly Channel<byte[]> _outgoing = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(MaxQueuedMessages)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });
    private volatile bool _negotiated;
    private volatile bool _closing;

    public ControlSession(ControlServer server, Socket socket, long id)
    {
        Id = id;
        _server = server;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
    }

    public void Abort()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public long Id { get; }

    /// <summary>
    /// Ends the session with an error message that says why (the client sees it, then end of file), not a bare close.
    /// A client too slow to take even that is cut off at once.
    /// </summary>
    public void Close(string message)
    {
        _closing = true;
        if (!_outgoing.Writer.TryWrite(ControlCommands.Error(null, ControlException.GenericError, message)))
        {
            Abort();
            return;
        }
        // The write loop sends what is queued, then shuts the socket down, which ends the read loop.
        _outgoing.Writer.TryComplete();
    }

    public void SendEvent(byte[] message)
    {
        if (_negotiated && !_outgoing.Writer.TryWrite(message))
            ControlServer.LogEventDropped(_server.Logger);
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        ControlServer.LogClientConnected(_server.Logger);
        Task writing = WriteLoopAsync(cancellationToken);
        try
        {
            await _outgoing.Writer.WriteAsync(Greeting(), cancellationToken).ConfigureAwait(false);
            await ReadLoopAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _outgoing.Writer.TryComplete();
            await writing.ConfigureAwait(false);
        }
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            bool quit = false;
            try
            {
                while (!quit && TryReadMessage(ref buffer, out ReadOnlySequence<byte> message, out bool garbage))
                {
                    if (_closing)
                        return;
                    _server.OnCommand(this);
                    byte[] reply;
                    if (garbage)
                    {
                        reply = ControlCommands.Error(null, ControlException.GenericError, "JSON parse error: expected an object like {\"execute\": \"query-status\"}");
                    }
                    else
                    {
                        (reply, quit) = await ExecuteAsync(message).ConfigureAwait(false);
                    }
                    await _outgoing.Writer.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
                }
                if (!quit && buffer.Length > MaxMessageLength)
                {
                    await _outgoing.Writer.WriteAsync(ControlCommands.Error(null, ControlException.GenericError,
                        $"Message longer than {MaxMessageLength} bytes; closing the connection"), cancellationToken).ConfigureAwait(false);
                    return;
                }
            }
            finally
            {
                _input.AdvanceTo(buffer.Start, buffer.End);
            }
            if (quit)
            {
                // The reply goes out before the proxy stops.
                _outgoing.Writer.TryComplete();
                _server.Host.RequestQuit();
                return;
            }
            if (result.IsCompleted)
                return;
        }
    }

    private async Task<(byte[] Reply, bool Quit)> ExecuteAsync(ReadOnlySequence<byte> message)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(message);
        }
        catch (JsonException ex)
        {
            return (ControlCommands.Error(null, ControlException.GenericError, "JSON parse error: " + ex.Message), false);
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            JsonElement? id = root.TryGetProperty("id", out JsonElement idElement) ? idElement : null;
            if (!root.TryGetProperty("execute", out JsonElement execute) || execute.ValueKind != JsonValueKind.String)
                return (ControlCommands.Error(id, ControlException.GenericError, "Expected a string 'execute' member with the command name"), false);
            string command = execute.GetString()!;
            JsonElement? arguments = root.TryGetProperty("arguments", out JsonElement args) ? args : null;
            if (arguments is { } a && a.ValueKind != JsonValueKind.Object)
                return (ControlCommands.Error(id, ControlException.GenericError, "'arguments' must be an object"), false);

            if (!_negotiated)
            {
                if (command != "qmp_capabilities")
                {
                    return (ControlCommands.Error(id, ControlException.CommandNotFound,
                        "Expecting capabilities negotiation with 'qmp_capabilities'"), false);
                }
                _negotiated = true;
                _server.OnNegotiated(this);
                return (ControlCommands.Success(id, static _ => { }), false);
            }
            if (command == "qmp_capabilities")
            {
                return (ControlCommands.Error(id, ControlException.CommandNotFound,
                    "Capabilities negotiation is already complete, command ignored"), false);
            }
            ControlServer.LogCommand(_server.Logger, command);
            try
            {
                byte[] reply = await ControlCommands.ExecuteAsync(_server.Host, command, arguments, id).ConfigureAwait(false);
                return (reply, command == "quit");
            }
            catch (ControlException ex)
            {
                return (ControlCommands.Error(id, ex.ErrorClass, ex.Message), false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or NotImplementedException or NotSupportedException or ArgumentException)
            {
                return (ControlCommands.Error(id, ControlException.GenericError, $"{command} failed: {ex.Message}"), false);
            }
        }
    }

    /// <summary>Finds the next complete top-level JSON object (string- and escape-aware brace matching).</summary>
    internal static bool TryReadMessage(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> message, out bool garbage)
    {
        message = default;
        garbage = false;
        var reader = new SequenceReader<byte>(buffer);
        reader.AdvancePastAny((byte)' ', (byte)'\t', (byte)'\r', (byte)'\n');
        if (reader.End)
        {
            buffer = buffer.Slice(reader.Position);
            return false;
        }
        SequencePosition start = reader.Position;
        reader.TryPeek(out byte first);
        if (first != (byte)'{')
        {
            // Not an object: skip the line and report it.
            if (!reader.TryAdvanceTo((byte)'\n'))
                return false;
            buffer = buffer.Slice(reader.Position);
            garbage = true;
            return true;
        }

        int depth = 0;
        bool inString = false;
        bool escaped = false;
        while (reader.TryRead(out byte b))
        {
            if (inString)
            {
                if (escaped)
                    escaped = false;
                else if (b == (byte)'\\')
                    escaped = true;
                else if (b == (byte)'"')
                    inString = false;
                continue;
            }
            switch (b)
            {
                case (byte)'"':
                    inString = true;
                    break;
                case (byte)'{':
                case (byte)'[':
                    depth++;
                    break;
                case (byte)'}':
                case (byte)']':
                    depth--;
                    if (depth == 0)
                    {
                        message = buffer.Slice(start, reader.Position);
                        buffer = buffer.Slice(reader.Position);
                        return true;
                    }
                    break;
            }
        }
        buffer = buffer.Slice(start);
        return false;
    }

    private static byte[] Greeting()
    {
        Version version = typeof(ControlSession).Assembly.GetName().Version ?? new Version(0, 0, 0);
        string package = "colo-proxy " + (typeof(ControlSession).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? version.ToString());
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, ControlJson.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("QMP");
            writer.WriteStartObject("version");
            writer.WriteStartObject("qemu");
            writer.WriteNumber("micro", Math.Max(0, version.Build));
            writer.WriteNumber("minor", version.Minor);
            writer.WriteNumber("major", version.Major);
            writer.WriteEndObject();
            writer.WriteString("package", package);
            writer.WriteEndObject();
            writer.WriteStartArray("capabilities");
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
        buffer.Write("\r\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private async Task WriteLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (byte[] message in _outgoing.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                await _stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            if (_closing)
                Abort();
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            Abort();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _input.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
