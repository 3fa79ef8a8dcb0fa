using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace Colo.Differential.Tests.Harness;

/// <summary>
/// ColoProxy's QMP-style control socket, used only to learn whether a checkpoint request is outstanding right after
/// a barrier: ColoProxy decides synchronously but writes <c>DO_CHECKPOINT</c> from another task, so notify alone
/// could attribute a request to a later step. QEMU needs no probe (it writes notify before it reads on).
/// </summary>
internal sealed class ControlProbe : IDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private ControlProbe(Socket socket)
    {
        _socket = socket;
        _socket.ReceiveTimeout = 10_000;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(_stream, Encoding.UTF8);
    }

    public static async Task<ControlProbe> ConnectAsync(string path, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).ConfigureAwait(false);
                var probe = new ControlProbe(socket);
                probe.ReadReply(null); // greeting
                probe.Execute("qmp_capabilities");
                return probe;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                await Task.Delay(20).ConfigureAwait(false);
            }
        }
    }

    /// <summary><c>query-status</c> → <c>checkpoint.outstanding</c>.</summary>
    public bool CheckpointOutstanding()
    {
        using var reply = Execute("query-status");
        return reply.RootElement.GetProperty("return").GetProperty("checkpoint").GetProperty("outstanding").GetBoolean();
    }

    private JsonDocument Execute(string command)
    {
        var bytes = Encoding.UTF8.GetBytes($"{{\"execute\":\"{command}\"}}\n");
        _stream.Write(bytes);
        return ReadReply("return");
    }

    private JsonDocument ReadReply(string? property)
    {
        while (true)
        {
            var line = _reader.ReadLine() ?? throw new HarnessException("control socket closed");
            if (string.IsNullOrWhiteSpace(line))
                continue;
            var document = JsonDocument.Parse(line);
            if (property is null || document.RootElement.TryGetProperty(property, out _))
                return document;
            if (document.RootElement.TryGetProperty("error", out var error))
            {
                document.Dispose();
                throw new HarnessException($"control socket error: {error}");
            }

            document.Dispose(); // an event
        }
    }

    public void Dispose()
    {
        _reader.Dispose();
        _stream.Dispose();
        _socket.Dispose();
    }
}
