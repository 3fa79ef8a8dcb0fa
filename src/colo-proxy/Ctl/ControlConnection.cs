using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Colo.Proxy.Endpoints;

namespace Colo.Cli.Ctl;

/// <summary>
/// A client of the control socket: connects, reads the greeting, negotiates, then sends commands and reads their
/// replies; events that arrive meanwhile go to <see cref="NextEventAsync"/>'s queue.
/// </summary>
internal sealed class ControlConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly Queue<JsonElement> _events = new();

    private ControlConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    /// <summary><c>PATH</c>, <c>unix:PATH</c> or <c>tcp:HOST:PORT</c>.</summary>
    public static async Task<ControlConnection> ConnectAsync(string address, CancellationToken cancellationToken)
    {
        string text = address.StartsWith("unix:", StringComparison.Ordinal) || address.StartsWith("tcp:", StringComparison.Ordinal)
            ? address
            : "unix:" + address;
        EndpointSpec spec = EndpointSpec.TryParse(text, out EndpointSpec? parsed, out string? error)
            ? parsed
            : throw new FormatException($"SOCKET {error}");
        EndPoint endPoint = await spec.ResolveAsync(cancellationToken).ConfigureAwait(false);
        var socket = spec.Kind == EndpointKind.Unix
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new ControlConnection(socket);
        JsonElement greeting = await connection.ReadMessageAsync(cancellationToken).ConfigureAwait(false);
        if (!greeting.TryGetProperty("QMP", out _))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new IOException("The peer did not greet like a QMP server: " + greeting.GetRawText());
        }
        JsonElement negotiated = await connection.ExecuteAsync("qmp_capabilities", null, cancellationToken).ConfigureAwait(false);
        if (!negotiated.TryGetProperty("return", out _))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new IOException("Capabilities negotiation failed: " + negotiated.GetRawText());
        }
        return connection;
    }

    /// <summary>Sends one command and returns its reply (<c>{"return": ...}</c> or <c>{"error": ...}</c>).</summary>
    public async Task<JsonElement> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken)
    {
        var message = new JsonObject { ["execute"] = command };
        if (arguments is not null)
            message["arguments"] = arguments.DeepClone();
        byte[] line = Encoding.UTF8.GetBytes(message.ToJsonString() + "\n");
        await _stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
        while (true)
        {
            JsonElement reply = await ReadMessageAsync(cancellationToken).ConfigureAwait(false);
            if (reply.TryGetProperty("event", out _))
                _events.Enqueue(reply);
            else
                return reply;
        }
    }

    /// <summary>The next event (queued ones first); null when the proxy closed the connection.</summary>
    public async Task<JsonElement?> NextEventAsync(CancellationToken cancellationToken)
    {
        if (_events.TryDequeue(out JsonElement queued))
            return queued;
        while (true)
        {
            JsonElement? message = await TryReadMessageAsync(cancellationToken).ConfigureAwait(false);
            if (message is not { } value || value.TryGetProperty("event", out _))
                return message;
        }
    }

    private async Task<JsonElement> ReadMessageAsync(CancellationToken cancellationToken) =>
        await TryReadMessageAsync(cancellationToken).ConfigureAwait(false)
            ?? throw new IOException("The proxy closed the control connection.");

    private async Task<JsonElement?> TryReadMessageAsync(CancellationToken cancellationToken)
    {
        while (await _reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
                continue;
            using JsonDocument document = JsonDocument.Parse(line);
            return document.RootElement.Clone();
        }
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
    }
}
