using System.Buffers.Binary;
using System.Net.Sockets;
using System.Threading.Channels;

namespace Colo.Differential.Tests.Harness;

/// <summary>
/// A client connection to one comparator endpoint using QEMU's socket framing: <c>BE32 len</c>, with
/// vnet_hdr_support also <c>BE32 vnet_hdr_len</c>, then <c>len</c> bytes (the virtio-net header inside them). Frames are
/// sent and received without the virtio-net header (the connection adds and strips it); received frames are queued by a
/// background reader; <see cref="Completion"/> ends when the peer closes.
/// </summary>
internal sealed class FramedConnection : IAsyncDisposable
{
    private const int LengthPrefix = 4;
    private const int MaxFrameLength = 69632;

    private readonly Socket _socket;
    private readonly Channel<byte[]> _received = Channel.CreateUnbounded<byte[]>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();

    private readonly int _vnetHeaderLength;

    private FramedConnection(Socket socket, string name, int vnetHeaderLength)
    {
        _socket = socket;
        Name = name;
        _vnetHeaderLength = vnetHeaderLength;
        Completion = Task.Run(ReadLoopAsync);
    }

    public string Name { get; }

    public Task Completion { get; }

    public ChannelReader<byte[]> Received => _received.Reader;

    /// <summary>Connects to a listening unix socket, retrying until it exists or <paramref name="timeout"/> ends.</summary>
    /// <param name="vnetHeaderLength">0: no vnet word; else the virtio-net header length of every frame.</param>
    public static async Task<FramedConnection> ConnectAsync(string path, string name, TimeSpan timeout, int vnetHeaderLength = 0)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path)).ConfigureAwait(false);
                return new FramedConnection(socket, name, vnetHeaderLength);
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                socket.Dispose();
                await Task.Delay(20).ConfigureAwait(false);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    public void Send(ReadOnlySpan<byte> frame)
    {
        var prefix = _vnetHeaderLength == 0 ? LengthPrefix : 2 * LengthPrefix;
        var buffer = new byte[prefix + _vnetHeaderLength + frame.Length];
        BinaryPrimitives.WriteUInt32BigEndian(buffer, (uint)(_vnetHeaderLength + frame.Length));
        if (_vnetHeaderLength != 0)
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer.AsSpan(LengthPrefix), (uint)_vnetHeaderLength);
            buffer[prefix] = 0x01; // virtio_net_hdr.flags: NEEDS_CSUM, the rest zero
        }

        frame.CopyTo(buffer.AsSpan(prefix + _vnetHeaderLength));
        var sent = 0;
        while (sent < buffer.Length)
            sent += _socket.Send(buffer, sent, buffer.Length - sent, SocketFlags.None);
    }

    private async Task ReadLoopAsync()
    {
        var buffer = new byte[256 * 1024];
        var filled = 0;
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, _stop.Token)
                    .ConfigureAwait(false);
                if (read == 0)
                    break;
                filled += read;
                var consumed = 0;
                var prefix = _vnetHeaderLength == 0 ? LengthPrefix : 2 * LengthPrefix;
                while (filled - consumed >= prefix)
                {
                    var length = (int)BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(consumed));
                    if (length > MaxFrameLength)
                        throw new InvalidDataException($"{Name}: frame length {length} exceeds {MaxFrameLength}; stream is out of sync.");
                    if (filled - consumed < prefix + length)
                        break;
                    var vnet = _vnetHeaderLength == 0 ? 0 : (int)BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(consumed + LengthPrefix));
                    if (vnet != _vnetHeaderLength || vnet > length)
                        throw new InvalidDataException($"{Name}: vnet_hdr_len {vnet}, expected {_vnetHeaderLength} (frame of {length} bytes).");
                    _received.Writer.TryWrite(buffer.AsSpan(consumed + prefix + vnet, length - vnet).ToArray());
                    consumed += prefix + length;
                }

                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
            }

            _received.Writer.TryComplete();
        }
        catch (OperationCanceledException)
        {
            _received.Writer.TryComplete();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidDataException)
        {
            _received.Writer.TryComplete(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        try
        {
            await Completion.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
