using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Colo.Proxy.Tests.EndToEnd;

/// <summary>A QMP-style client for the control socket: replies and events arrive on separate queues.</summary>
internal sealed class ControlClient : IAsyncDisposable
{
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;
    private readonly Channel<JsonElement> _replies = Channel.CreateUnbounded<JsonElement>();
    private readonly Channel<JsonElement> _events = Channel.CreateUnbounded<JsonElement>();
    private readonly List<JsonElement> _seenEvents = [];
    private readonly List<JsonElement> _pending = [];
    private readonly Task _reading;

    private ControlClient(Socket socket)
    {
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new StreamReader(_stream, Encoding.UTF8);
        _reading = ReadAsync();
    }

    public JsonElement Greeting { get; private set; }

    public static async Task<ControlClient> ConnectAsync(EndPoint endPoint, bool negotiate = true)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        var client = new ControlClient(socket);
        client.Greeting = await client.NextReplyAsync();
        if (negotiate)
        {
            JsonElement reply = await client.ExecuteAsync("qmp_capabilities");
            Assert.True(reply.TryGetProperty("return", out _), reply.GetRawText());
        }
        return client;
    }

    private async Task ReadAsync()
    {
        try
        {
            while (await _reader.ReadLineAsync() is { } line)
            {
                if (line.Length == 0)
                    continue;
                JsonElement message = JsonDocument.Parse(line).RootElement.Clone();
                if (message.TryGetProperty("event", out _))
                    await _events.Writer.WriteAsync(message);
                else
                    await _replies.Writer.WriteAsync(message);
            }
        }
        catch (IOException)
        {
        }
        finally
        {
            _replies.Writer.TryComplete();
            _events.Writer.TryComplete();
        }
    }

    public async Task<JsonElement> NextReplyAsync()
    {
        using var cts = new CancellationTokenSource(Wait.Timeout);
        return await _replies.Reader.ReadAsync(cts.Token);
    }

    public Task SendRawAsync(string text) => _stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

    public async Task<JsonElement> ExecuteAsync(string command, object? arguments = null, object? id = null)
    {
        var message = new Dictionary<string, object?> { ["execute"] = command };
        if (arguments is not null)
            message["arguments"] = arguments;
        if (id is not null)
            message["id"] = id;
        await SendRawAsync(JsonSerializer.Serialize(message) + "\n");
        return await NextReplyAsync();
    }

    /// <summary>Returns the return value; fails the test on an error reply.</summary>
    public async Task<JsonElement> ReturnAsync(string command, object? arguments = null)
    {
        JsonElement reply = await ExecuteAsync(command, arguments);
        Assert.True(reply.TryGetProperty("return", out JsonElement value), reply.GetRawText());
        return value;
    }

    /// <summary>Waits for the next event with this name (other events are kept in <see cref="SeenEvents"/>).</summary>
    public async Task<JsonElement> WaitEventAsync(string name)
    {
        // Events of other names that arrived earlier wait here, so the order of waits need not match arrival order.
        int pending = _pending.FindIndex(e => e.GetProperty("event").GetString() == name);
        if (pending >= 0)
        {
            JsonElement earlier = _pending[pending];
            _pending.RemoveAt(pending);
            return earlier;
        }
        using var cts = new CancellationTokenSource(Wait.Timeout);
        while (true)
        {
            JsonElement message;
            try
            {
                message = await _events.Reader.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No {name} event within {Wait.Timeout.TotalSeconds} s; seen: "
                    + string.Join(", ", _seenEvents.Select(e => e.GetProperty("event").GetString())));
            }
            _seenEvents.Add(message);
            if (message.GetProperty("event").GetString() == name)
                return message;
            _pending.Add(message);
        }
    }

    public IReadOnlyList<JsonElement> SeenEvents => _seenEvents;

    /// <summary>True when the proxy closed the connection within the timeout.</summary>
    public async Task<bool> WaitClosedAsync()
    {
        Task done = await Task.WhenAny(_reading, Task.Delay(Wait.Timeout));
        return done == _reading;
    }

    public async ValueTask DisposeAsync()
    {
        _stream.Dispose();
        try
        {
            await _reading;
        }
        catch (ObjectDisposedException)
        {
        }
        _reader.Dispose();
    }
}
