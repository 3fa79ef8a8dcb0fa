using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Colo.Proxy.Tests.Qemu;

/// <summary>
/// A QMP server on a real unix socket that behaves like QEMU 7.2's monitor as far as ColoProxy uses it: greeting,
/// <c>qmp_capabilities</c>, the <c>query-*</c> commands with QEMU-shaped replies, <c>migrate-set-parameters</c> (which
/// updates what <c>query-migrate-parameters</c> returns), <c>CommandNotFound</c> for anything else, replies tagged with
/// the request's id, <c>\r\n</c> after each object. Events are sent when the test says so. One client at a time.
/// </summary>
internal sealed class ScriptedQmpServer : IAsyncDisposable
{
    public const string Greeting =
        """{"QMP": {"version": {"qemu": {"micro": 22, "minor": 2, "major": 7}, "package": "Debian 1:7.2+dfsg-7+deb12u18+b3"}, "capabilities": ["oob"]}}""";

    private readonly string _directory;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Lock _lock = new();
    private readonly List<(JsonNode? Id, string Reply)> _heldReplies = [];
    private readonly Task _acceptLoop;
    private Socket? _connection;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ScriptedQmpServer()
    {
        _directory = Directory.CreateTempSubdirectory("qmp-").FullName;
        SocketPath = Path.Combine(_directory, "qmp.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(4);
        _acceptLoop = AcceptLoopAsync();
    }

    public string SocketPath { get; }

    public string Endpoint => "unix:" + SocketPath;

    /// <summary>Every command received, in order (name and arguments as JSON).</summary>
    public AsyncLog<ReceivedQmpCommand> Commands { get; } = new();

    /// <summary>Connections accepted so far.</summary>
    public int Connections { get; private set; }

    public string ColoMode { get; set; } = "primary";

    public bool EventsCapability { get; set; } = true;

    public bool Running { get; set; } = true;

    public uint CheckpointDelayMs { get; set; } = 20000;

    /// <summary>When above 1, replies are held until this many are pending, then sent in reverse order.</summary>
    public int ReplyInReverseBatchesOf { get; set; }

    /// <summary>Waits until a client is connected (and was sent the greeting).</summary>
    public Task WaitConnectedAsync()
    {
        lock (_lock)
            return _connected.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    /// <summary>Sends one QMP object followed by <c>\r\n</c>, optionally written in pieces of <paramref name="chunk"/> bytes.</summary>
    public Task SendAsync(string json, int chunk = 0) => WriteAsync(Encoding.UTF8.GetBytes(json + "\r\n"), chunk);

    /// <summary>Sends several objects in a single write.</summary>
    public Task SendManyAsync(IEnumerable<string> objects) =>
        WriteAsync(Encoding.UTF8.GetBytes(string.Concat(objects.Select(o => o + "\r\n"))), 0);

    /// <summary>Closes the current client connection (QEMU going away); the server keeps listening.</summary>
    public void DropConnection()
    {
        lock (_lock)
        {
            _connection?.Shutdown(SocketShutdown.Both);
            _connection?.Dispose();
            _connection = null;
            _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        DropConnection();
        try
        {
            await _acceptLoop;
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        _stop.Dispose();
        _writeLock.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task WriteAsync(byte[] bytes, int chunk)
    {
        Socket socket;
        lock (_lock)
            socket = _connection ?? throw new InvalidOperationException("No QMP client is connected to the scripted server.");
        await _writeLock.WaitAsync(_stop.Token);
        try
        {
            if (chunk <= 0)
            {
                await socket.SendAsync(bytes, SocketFlags.None, _stop.Token);
                return;
            }

            for (int offset = 0; offset < bytes.Length; offset += chunk)
            {
                await socket.SendAsync(bytes.AsMemory(offset, Math.Min(chunk, bytes.Length - offset)), SocketFlags.None, _stop.Token);
                await Task.Yield();
            }
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client = await _listener.AcceptAsync(_stop.Token);
            TaskCompletionSource connected;
            lock (_lock)
            {
                _connection = client;
                connected = _connected;
                Connections++;
            }

            await SendAsync(Greeting);
            connected.TrySetResult();
            try
            {
                await ServeAsync(client);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
            }

            lock (_lock)
            {
                if (ReferenceEquals(_connection, client))
                {
                    _connection = null;
                    _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            client.Dispose();
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var stream = new NetworkStream(client, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (await reader.ReadLineAsync(_stop.Token) is { } line)
        {
            if (line.Length == 0)
                continue;
            JsonNode request = JsonNode.Parse(line)!;
            string name = request["execute"]!.GetValue<string>();
            JsonNode? id = request["id"]?.DeepClone();
            JsonNode? arguments = request["arguments"];
            string reply = Answer(name, arguments);
            Commands.Add(new ReceivedQmpCommand(name, arguments?.ToJsonString() ?? ""));
            await ReplyAsync(id, reply);
        }
    }

    private async Task ReplyAsync(JsonNode? id, string reply)
    {
        List<(JsonNode? Id, string Reply)> batch;
        lock (_lock)
        {
            if (ReplyInReverseBatchesOf <= 1)
            {
                batch = [(id, reply)];
            }
            else
            {
                _heldReplies.Add((id, reply));
                if (_heldReplies.Count < ReplyInReverseBatchesOf)
                    return;
                batch = [.. Enumerable.Reverse(_heldReplies)];
                _heldReplies.Clear();
            }
        }

        // QEMU puts "id" last for returns and first for errors; either way it is echoed verbatim.
        await SendManyAsync(batch.Select(r => r.Id is null
            ? r.Reply
            : r.Reply[..^1] + ", \"id\": " + r.Id.ToJsonString() + "}"));
    }

    private string Answer(string name, JsonNode? arguments)
    {
        switch (name)
        {
            case "qmp_capabilities":
                return """{"return": {}}""";
            case "query-colo-status":
                return $$$"""{"return": {"last-mode": "none", "mode": "{{{ColoMode}}}", "reason": "none"}}""";
            case "query-migrate-parameters":
                return $$$"""{"return": {"cpu-throttle-tailslow": false, "xbzrle-cache-size": 67108864, "downtime-limit": 300, "x-checkpoint-delay": {{{CheckpointDelayMs}}}, "max-bandwidth": 134217728, "multifd-channels": 2}}""";
            case "query-migrate-capabilities":
                return $$$"""{"return": [{"state": false, "capability": "xbzrle"}, {"state": {{{Bool(EventsCapability)}}}, "capability": "events"}, {"state": false, "capability": "postcopy-ram"}, {"state": {{{Bool(ColoMode == "primary")}}}, "capability": "x-colo"}]}""";
            case "query-status":
                return $$$"""{"return": {"status": "{{{(Running ? "running" : "paused")}}}", "singlestep": false, "running": {{{Bool(Running)}}}}}""";
            case "migrate-set-parameters":
                if (arguments?["x-checkpoint-delay"] is JsonValue delay)
                {
                    if (!delay.TryGetValue(out long ms) || ms is < 0 or > uint.MaxValue)
                        return """{"error": {"class": "GenericError", "desc": "Parameter 'x-checkpoint-delay' expects uint32_t"}}""";
                    CheckpointDelayMs = (uint)ms;
                }

                return """{"return": {}}""";
            default:
                return $$$"""{"error": {"class": "CommandNotFound", "desc": "The command {{{name}}} has not been found"}}""";
        }
    }

    private static string Bool(bool value) => value ? "true" : "false";
}
