using System.Buffers;
using System.Buffers.Binary;
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

    /// <summary>When <see cref="FrameReadResult.VnetMismatch"/>: the vnet_hdr_len word and the frame length received.</summary>
    public (int VnetHeaderLength, int FrameLength) ImplausibleVnet { get; private set; }

    /// <summary>
    /// Without vnet_hdr_support: the first frame began with a word no larger than a virtio-net header length, as when
    /// the peer sends vnet_hdr_len words (a destination MAC starting 00:00:00 is Xerox's and not seen in practice).
    /// Frames are then misparsed from the first: a hint for the error that usually follows (an oversize length word).
    /// </summary>
    public bool FirstFrameLooksVnetFramed { get; private set; }

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
            FrameReadResult? broken = null;
            handler.OnReadStarted();
            try
            {
                broken = ParseFrames(ref buffer, handler);
            }
            finally
            {
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            // Frames before a broken header in the same read are good: hand them on first.
            await handler.OnReadCompletedAsync(cancellationToken).ConfigureAwait(false);
            if (broken is { } stop)
                return stop;

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
                FrameReadResult? broken;
                handler.OnReadStarted();
                try
                {
                    broken = ParseFrames(buffer.AsSpan(0, end), handler, ref consumed);
                }
                finally
                {
                    // Frames before a broken header in the same read are good: hand them on first. Always
                    // called after OnReadStarted, so a handler may hold a lock from there to here.
                    ValueTask completed = handler.OnReadCompletedAsync(cancellationToken);
                    if (completed.IsCompletedSuccessfully)
                        completed.GetAwaiter().GetResult();
                    else
                        completed.AsTask().GetAwaiter().GetResult();
                }
                if (broken is { } stop)
                    return stop;
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

    // The blocking loop's parser: frames straight from the receive buffer, no sequence, no copy. Returns null while the
    // stream parses, else why it cannot be read on; consumed is the end of the last complete frame.
    private FrameReadResult? ParseFrames<THandler>(ReadOnlySpan<byte> data, THandler handler, ref int consumed)
        where THandler : IFrameHandler
    {
        int headerLength = FrameCodec.HeaderLength(_vnetHeader);
        try
        {
            while (FrameCodec.TryReadFrame(data[consumed..], _vnetHeader, _maxFrameLength, out int length, out int vnet))
            {
                int start = consumed + headerLength;
                if (length == 0)
                {
                    consumed = start;
                    EmptyFrames++;
                    continue;
                }
                ReadOnlySpan<byte> frame = data.Slice(start, length);
                if (!IsPlausible(frame, vnet))
                    return FrameReadResult.VnetMismatch;
                consumed = start + length;
                Frames++;
                handler.OnFrame(frame, vnet);
            }
            return null;
        }
        catch (FrameTooLargeException ex)
        {
            OversizeLength = ex.Length;
            return FrameReadResult.Oversize;
        }
    }

    // Not async: spans cannot live across awaits. Returns null while the stream parses, else why it cannot be read on.
    private FrameReadResult? ParseFrames<THandler>(ref ReadOnlySequence<byte> buffer, THandler handler)
        where THandler : IFrameHandler
    {
        try
        {
            ReadOnlySequence<byte> rest = buffer;
            while (FrameCodec.TryReadFrame(ref rest, _vnetHeader, _maxFrameLength, out ReadOnlySequence<byte> sequence, out int vnet))
            {
                if (sequence.IsEmpty)
                {
                    buffer = rest;
                    EmptyFrames++;
                    continue;
                }
                ReadOnlySpan<byte> frame;
                if (sequence.IsSingleSegment)
                {
                    frame = sequence.FirstSpan;
                }
                else
                {
                    int length = (int)sequence.Length;
                    sequence.CopyTo(_scratch);
                    frame = _scratch.AsSpan(0, length);
                }
                if (!IsPlausible(frame, vnet))
                    return FrameReadResult.VnetMismatch;
                buffer = rest;
                Frames++;
                handler.OnFrame(frame, vnet);
            }
            return null;
        }
        catch (FrameTooLargeException ex)
        {
            OversizeLength = ex.Length;
            return FrameReadResult.Oversize;
        }
    }

    // A vnet_hdr_len word must be the length of a virtio-net header inside the frame. Without the word, the first frame
    // is looked at for one (the hint of FirstFrameLooksVnetFramed).
    private bool IsPlausible(ReadOnlySpan<byte> frame, int vnetHeaderLength)
    {
        if (_vnetHeader)
        {
            if ((uint)vnetHeaderLength <= (uint)Math.Min(frame.Length, FrameCodec.MaxVnetHeaderLength))
                return true;
            ImplausibleVnet = (vnetHeaderLength, frame.Length);
            return false;
        }
        if (Frames == 0 && frame.Length >= FrameCodec.VnetFieldLength
            && BinaryPrimitives.ReadUInt32BigEndian(frame) <= FrameCodec.MaxVnetHeaderLength)
            FirstFrameLooksVnetFramed = true;
        return true;
    }
}
