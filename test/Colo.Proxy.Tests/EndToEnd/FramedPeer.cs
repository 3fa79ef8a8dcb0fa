using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Colo.Proxy.Framing;

namespace Colo.Proxy.Tests.EndToEnd;

/// <summary>A test's end of a framed channel (QEMU's chardev or libxl), speaking only the wire format.</summary>
internal sealed class FramedPeer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly bool _vnetHeader;

    public FramedPeer(Socket socket, bool vnetHeader = false)
    {
        Socket = socket;
        _vnetHeader = vnetHeader;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream);
    }

    public Socket Socket { get; }

    public static async Task<FramedPeer> ConnectAsync(EndPoint endPoint, bool vnetHeader = false)
    {
        var socket = endPoint is UnixDomainSocketEndPoint
            ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified)
            : new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(endPoint, cts.Token);
        return new FramedPeer(socket, vnetHeader);
    }

    public async Task SendAsync(byte[] frame, int vnetHeaderLength = 0) =>
        await _stream.WriteAsync(FrameCodec.Encode(frame, _vnetHeader, vnetHeaderLength));

    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Reads one frame; throws <see cref="TimeoutException"/> after 10 s.</summary>
    public async Task<byte[]> ReceiveAsync(TimeSpan? timeout = null)
    {
        (byte[]? frame, _) = await TryReceiveAsync(timeout ?? Timeout);
        return frame ?? throw new EndOfStreamException("The proxy closed the connection.");
    }

    public async Task<(byte[]? Frame, int VnetHeaderLength)> TryReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _reader.ReadAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No frame within {timeout.TotalSeconds} s.");
            }
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (FrameCodec.TryReadFrame(ref buffer, _vnetHeader, 1 << 24, out ReadOnlySequence<byte> frame, out int vnet))
            {
                byte[] bytes = frame.ToArray();
                _reader.AdvanceTo(buffer.Start);
                return (bytes, vnet);
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                return (null, 0);
        }
    }

    /// <summary>True when the proxy closed the connection (reads end) within the timeout.</summary>
    public async Task<bool> WaitClosedAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            while (true)
            {
                ReadResult result = await _reader.ReadAsync(cts.Token);
                _reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                    return true;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        await _stream.DisposeAsync();
    }
}
