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
    private static readonly JsonDocumentOptions DocumentOptions = new() { AllowDuplicateProperties = false };

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
        if (!_outgoing.Writer.TryWrite(ControlReply.Error(null, ControlException.GenericError, message)))
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
            ControlServer.LogClientLeft(_server.Logger);
        }
    }

    private async Task ReadLoopAsync(CancellationToken cancellationToken)
    {
        bool skippingLine = false;
        while (true)
        {
            ReadResult result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            bool quit = false;
            try
            {
                ControlMessageStatus status;
                while (!quit && (status = ControlMessageReader.TryRead(ref buffer, ref skippingLine, out ReadOnlySequence<byte> message)) != ControlMessageStatus.Incomplete)
                {
                    if (_closing)
                        return;
                    _server.OnCommand(this);
                    byte[] reply;
                    if (status == ControlMessageStatus.Malformed)
                        reply = ControlReply.Error(null, ControlException.GenericError, "JSON parse error: expected an object like {\"execute\": \"query-status\"}; the rest of the line was skipped");
                    else
                        (reply, quit) = await ExecuteAsync(message).ConfigureAwait(false);
                    await _outgoing.Writer.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
                }
                if (!quit && buffer.Length > MaxMessageLength)
                {
                    await _outgoing.Writer.WriteAsync(ControlReply.Error(null, ControlException.GenericError,
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
                _server.Control.RequestQuit();
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
            // Duplicate keys are refused: {"execute":"query-status","execute":"quit"} must not mean either.
            document = JsonDocument.Parse(message, DocumentOptions);
        }
        catch (JsonException ex)
        {
            return (ControlReply.Error(null, ControlException.GenericError, "JSON parse error: " + ex.Message), false);
        }
        using (document)
        {
            JsonElement root = document.RootElement;
            JsonElement? id = root.TryGetProperty("id", out JsonElement idElement) ? idElement : null;
            foreach (JsonProperty member in root.EnumerateObject())
            {
                if (member.Name is not ("execute" or "arguments" or "id"))
                    return (ControlReply.Error(id, ControlException.GenericError, $"Unexpected member '{member.Name}'; a command has execute, arguments and id"), false);
            }
            if (!root.TryGetProperty("execute", out JsonElement execute) || execute.ValueKind != JsonValueKind.String)
                return (ControlReply.Error(id, ControlException.GenericError, "Expected a string 'execute' member with the command name"), false);
            string name = execute.GetString()!;
            JsonElement? arguments = root.TryGetProperty("arguments", out JsonElement args) ? args : null;
            if (arguments is { } a && a.ValueKind != JsonValueKind.Object)
                return (ControlReply.Error(id, ControlException.GenericError, "'arguments' must be an object"), false);

            if (!_negotiated)
            {
                if (name != ControlCommands.Capabilities)
                {
                    return (ControlReply.Error(id, ControlException.CommandNotFound,
                        "Expecting capabilities negotiation with 'qmp_capabilities'"), false);
                }
                if (arguments is { } capabilities && capabilities.EnumerateObject().Any())
                    return (ControlReply.Error(id, ControlException.GenericError, "qmp_capabilities takes no arguments (no capabilities are offered)"), false);
                _negotiated = true;
                _server.OnNegotiated(this);
                return (ControlReply.Empty(id), false);
            }
            if (!ControlCommands.TryFind(name, out ControlCommand command))
                return (ControlReply.Error(id, ControlException.CommandNotFound, $"The command {name} has not been found"), false);
            _server.LogExecuted(command);
            try
            {
                byte[] reply = await ControlCommands.ExecuteAsync(_server.Control, command, arguments, id).ConfigureAwait(false);
                return (reply, command.Name == ControlCommands.Quit);
            }
            catch (ControlException ex)
            {
                return (ControlReply.Error(id, ex.ErrorClass, ex.Message), false);
            }
            catch (Exception ex) when (ex is InvalidOperationException or NotImplementedException or NotSupportedException or ArgumentException)
            {
                return (ControlReply.Error(id, ControlException.GenericError, $"{name} failed: {ex.Message}"), false);
            }
        }
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
