using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;

namespace Colo.Proxy.Framing;

/// <summary>
/// The receive loop of one framed connection, Kestrel style: parse every complete frame in the buffer, then
/// <c>AdvanceTo(consumed, examined)</c>. A frame that spans segments is copied once into a reusable buffer; no
/// allocation per frame.
/// </summary>
public sealed class FrameReader
{
    // Receive buffer of the blocking loop: many frames per system call.
    private const int BlockingBufferLength = 1024 * 1024;

    private readonly bool _vnetHeader;
    private readonly int _maxFrameLength;
    private readonly byte[] _scratch;

    public FrameReader(bool vnetHeader, int maxFrameLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxFrameLength, 1);
        _vnetHeader = vnetHeader;
        _maxFrameLength = maxFrameLength;
        _scratch = new byte[maxFrameLength];
    }

    /// <summary>Zero-length frames seen (ignored).</summary>
    public long EmptyFrames { get; private set; }

    /// <summary>Frames handed to the handler.</summary>
    public long Frames { get; private set; }

    /// <summary>When <see cref="FrameReadResult.Oversize"/>: the length word received.</summary>
    public uint OversizeLength { get; private set; }

    /// <summary>Reads frames until the peer closes, the stream breaks the limit, or cancellation.</summary>
    public async Task<FrameReadResult> RunAsync<THandler>(PipeReader input, THandler handler, CancellationToken cancellationToken)
        where THandler : IFrameHandler
    {
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return FrameReadResult.Cancelled;
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            bool oversize = false;
            try
            {
                oversize = !ParseFrames(ref buffer, handler);
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            // Frames before an oversize length word in the same read are good: hand them on first.
            await handler.OnReadCompletedAsync(cancellationToken).ConfigureAwait(false);
            if (oversize)
                return FrameReadResult.Oversize;

            if (result.IsCanceled)
                return FrameReadResult.Cancelled;
            if (result.IsCompleted)
                return buffer.IsEmpty ? FrameReadResult.Closed : FrameReadResult.ClosedMidFrame;
        }
    }

    /// <summary>
    /// The same loop with blocking receives on the calling thread (a dedicated input thread): the kernel wakes this
    /// thread directly, with no event loop or thread-pool hop per read. Frames are parsed in place from one contiguous
    /// buffer; a partial frame is moved to its start. <see cref="IFrameHandler.OnReadCompletedAsync"/> is waited for
    /// synchronously (backpressure blocks this thread). Cancellation must also shut the socket down to end a receive.
    /// </summary>
    public FrameReadResult RunBlocking<THandler>(Socket socket, THandler handler, CancellationToken cancellationToken)
        where THandler : IFrameHandler
    {
        int capacity = Math.Max(BlockingBufferLength, FrameCodec.HeaderLength(_vnetHeader) + _maxFrameLength);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(capacity);
        bool quickAck = socket.ProtocolType == ProtocolType.Tcp && OperatingSystem.IsLinux();
        try
        {
            int end = 0;
            while (true)
            {
                int received;
                try
                {
                    if (quickAck)
                        quickAck = TryQuickAck(socket);
                    received = socket.Receive(buffer, end, buffer.Length - end, SocketFlags.None);
                }
                catch (Exception ex) when (cancellationToken.IsCancellationRequested && ex is SocketException or ObjectDisposedException)
                {
                    return FrameReadResult.Cancelled;
                }
                if (received == 0)
                {
                    if (cancellationToken.IsCancellationRequested)
                        return FrameReadResult.Cancelled;
                    return end == 0 ? FrameReadResult.Closed : FrameReadResult.ClosedMidFrame;
                }
                end += received;

                int consumed = 0;
                bool oversize;
                try
                {
                    oversize = !ParseFrames(buffer.AsSpan(0, end), handler, ref consumed);
                }
                finally
                {
                    // Frames before an oversize length word in the same read are good: hand them on first. Always
                    // called after OnFrame calls, so a handler may hold a lock from its first frame to here.
                    ValueTask completed = handler.OnReadCompletedAsync(cancellationToken);
                    if (completed.IsCompletedSuccessfully)
                        completed.GetAwaiter().GetResult();
                    else
                        completed.AsTask().GetAwaiter().GetResult();
                }
                if (oversize)
                    return FrameReadResult.Oversize;
                if (cancellationToken.IsCancellationRequested)
                    return FrameReadResult.Cancelled;

                if (consumed > 0)
                {
                    buffer.AsSpan(consumed, end - consumed).CopyTo(buffer);
                    end -= consumed;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Linux TCP_QUICKACK (tcp(7)): acknowledge at once instead of when this thread next reads. QEMU writes a frame's
    // length word and the frame in separate sends without TCP_NODELAY, so Nagle holds each frame until the length word
    // is acknowledged; a delayed ACK would add this thread's wake-up latency (or the delayed-ACK timer) to every frame.
    // The kernel clears the flag by itself, so it is set again before every receive.
    private const int IpProtocolTcp = 6;
    private const int TcpQuickAck = 12;

    private static bool TryQuickAck(Socket socket)
    {
        try
        {
            ReadOnlySpan<byte> on = [1, 0, 0, 0];
            socket.SetRawSocketOption(IpProtocolTcp, TcpQuickAck, on);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // The blocking loop's parser: frames straight from the receive buffer, no sequence, no copy. Returns false on an
    // oversize length word; consumed is the end of the last complete frame.
    private bool ParseFrames<THandler>(ReadOnlySpan<byte> data, THandler handler, ref int consumed)
        where THandler : IFrameHandler
    {
        int headerLength = FrameCodec.HeaderLength(_vnetHeader);
        try
        {
            while (FrameCodec.TryReadFrame(data[consumed..], _vnetHeader, _maxFrameLength, out int length, out int vnet))
            {
                int start = consumed + headerLength;
                consumed = start + length;
                if (length == 0)
                {
                    EmptyFrames++;
                    continue;
                }
                Frames++;
                handler.OnFrame(data.Slice(start, length), vnet);
            }
            return true;
        }
        catch (FrameTooLargeException ex)
        {
            OversizeLength = ex.Length;
            return false;
        }
    }

    // Not async: spans cannot live across awaits. Returns false on an oversize length word.
    private bool ParseFrames<THandler>(ref ReadOnlySequence<byte> buffer, THandler handler)
        where THandler : IFrameHandler
    {
        try
        {
            while (FrameCodec.TryReadFrame(ref buffer, _vnetHeader, _maxFrameLength, out ReadOnlySequence<byte> frame, out int vnet))
            {
                if (frame.IsEmpty)
                {
                    EmptyFrames++;
                    continue;
                }
                Frames++;
                if (frame.IsSingleSegment)
                {
                    handler.OnFrame(frame.FirstSpan, vnet);
                }
                else
                {
                    int length = (int)frame.Length;
                    frame.CopyTo(_scratch);
                    handler.OnFrame(_scratch.AsSpan(0, length), vnet);
                }
            }
            return true;
        }
        catch (FrameTooLargeException ex)
        {
            OversizeLength = ex.Length;
            return false;
        }
    }
}
