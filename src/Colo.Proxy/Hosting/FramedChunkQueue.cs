using System.Buffers.Binary;
using Colo.Proxy.Framing;

namespace Colo.Proxy.Hosting;

/// <summary>
/// The bytes of released frames, framed for outdev, in a queue of fixed-size chunks that are recycled (no allocation
/// once warm), and the positions a sender works with. Pure bookkeeping: no lock, no socket, no thread; the owner
/// (<see cref="OutputBuffer"/>) serialises every call.
/// <para>
/// Positions are byte offsets in the stream of framed bytes since the queue was created, and only grow:
/// <c>recycled &lt;= Boundary &lt;= Sent &lt;= Committed &lt;= Written</c>. <see cref="Boundary"/> is always the start of
/// a frame: the first frame not yet sent completely. A new peer starts there (<see cref="RewindToBoundary"/>), so it
/// never sees the tail of a frame whose head went to a peer that left. Chunks wholly below the boundary are recycled.
/// </para>
/// </summary>
internal sealed class FramedChunkQueue
{
    // 256 KiB: one send system call carries ~170 full-size frames.
    public const int DefaultChunkShift = 18;

    private readonly int _chunkShift;
    private readonly int _chunkSize;
    private readonly int _chunkMask;
    private readonly int _headerLength;
    private readonly Stack<byte[]> _spareChunks = new();
    private readonly int _maxSpareChunks;

    // Position p is in slot (p >> _chunkShift) & (_chunks.Length - 1), at p & _chunkMask.
    private byte[]?[] _chunks = new byte[]?[16];
    private long _recycled;

    /// <param name="headerLength">Bytes before each frame (<see cref="FrameCodec.HeaderLength"/>): the length word first.</param>
    /// <param name="maxRetainedBytes">Spare chunks kept for reuse, in bytes; chunks beyond it go to the collector.</param>
    /// <param name="chunkShift">log2 of the chunk size (tests use small chunks to cross boundaries often).</param>
    public FramedChunkQueue(int headerLength, long maxRetainedBytes, int chunkShift = DefaultChunkShift)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(headerLength, FrameCodec.LengthFieldLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkShift, 4);
        _headerLength = headerLength;
        _chunkShift = chunkShift;
        _chunkSize = 1 << chunkShift;
        _chunkMask = _chunkSize - 1;
        _maxSpareChunks = (int)Math.Min(int.MaxValue, maxRetainedBytes / _chunkSize + 1);
    }

    public int ChunkSize => _chunkSize;

    /// <summary>Start of the first frame not completely sent.</summary>
    public long Boundary { get; private set; }

    /// <summary>Handed to a peer.</summary>
    public long Sent { get; private set; }

    /// <summary>Sendable: a sender may send up to here.</summary>
    public long Committed { get; private set; }

    /// <summary>Appended.</summary>
    public long Written { get; private set; }

    /// <summary>Bytes appended and not sent.</summary>
    public long Buffered => Written - Sent;

    public long FramesAppended { get; private set; }

    /// <summary>Frames sent completely (the boundary has passed them).</summary>
    public long FramesSent { get; private set; }

    /// <summary>Frames appended and not sent completely: what a shutdown now would leave undelivered.</summary>
    public long FramesUnsent => FramesAppended - FramesSent;

    /// <summary>Chunks held now (in use and spare), for memory accounting and tests.</summary>
    public int ChunksHeld => (int)(((Written + _chunkMask) >> _chunkShift) - (_recycled >> _chunkShift)) + _spareChunks.Count;

    /// <summary>Appends one frame: its header (length word first, as <paramref name="header"/> holds it) and bytes.</summary>
    public void Append(ReadOnlySpan<byte> header, ReadOnlySpan<byte> frame)
    {
        if (header.Length != _headerLength || BinaryPrimitives.ReadUInt32BigEndian(header) != (uint)frame.Length)
            throw new ArgumentException("The header must be this queue's length and start with the frame's length word.", nameof(header));
        Copy(header);
        Copy(frame);
        FramesAppended++;
    }

    /// <summary>Makes everything appended sendable.</summary>
    public void Commit() => Committed = Written;

    /// <summary>The next committed bytes to send, at most up to the end of their chunk; false when nothing is committed.</summary>
    public bool TryGetSendable(out ArraySegment<byte> segment)
    {
        if (Sent == Committed)
        {
            segment = default;
            return false;
        }
        int offset = (int)(Sent & _chunkMask);
        int length = (int)Math.Min(Committed - Sent, _chunkSize - offset);
        segment = new ArraySegment<byte>(Slot(Sent)!, offset, length);
        return true;
    }

    /// <summary>A peer took <paramref name="count"/> more bytes: moves the boundary over every frame now sent whole, recycles chunks behind it.</summary>
    public void AdvanceSent(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Committed - Sent);
        Sent += count;
        while (Sent - Boundary >= _headerLength)
        {
            long end = Boundary + _headerLength + ReadLengthWord(Boundary);
            if (end > Sent)
                break;
            Boundary = end;
            FramesSent++;
        }
        while (Boundary - _recycled >= _chunkSize)
        {
            ref byte[]? slot = ref Slot(_recycled);
            if (_spareChunks.Count < _maxSpareChunks)
                _spareChunks.Push(slot!);
            slot = null;
            _recycled += _chunkSize;
        }
    }

    /// <summary>
    /// The peer is gone: the next one starts at the boundary. Returns the bytes of the interrupted frame the old peer
    /// got part of (0 when it stopped between frames): that frame is sent again whole.
    /// </summary>
    public long RewindToBoundary()
    {
        long partial = Sent - Boundary;
        Sent = Boundary;
        return partial;
    }

    private void Copy(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            if ((Written >> _chunkShift) - (_recycled >> _chunkShift) >= _chunks.Length)
                GrowSlots();
            ref byte[]? slot = ref Slot(Written);
            slot ??= _spareChunks.TryPop(out byte[]? spare) ? spare : new byte[_chunkSize];
            int offset = (int)(Written & _chunkMask);
            int count = Math.Min(data.Length, _chunkSize - offset);
            data[..count].CopyTo(slot.AsSpan(offset));
            data = data[count..];
            Written += count;
        }
    }

    private ref byte[]? Slot(long position) => ref _chunks[(position >> _chunkShift) & (_chunks.Length - 1)];

    private void GrowSlots()
    {
        var slots = new byte[]?[_chunks.Length * 2];
        for (long index = _recycled >> _chunkShift; Written > _recycled && index <= (Written - 1) >> _chunkShift; index++)
            slots[index & (slots.Length - 1)] = _chunks[index & (_chunks.Length - 1)];
        _chunks = slots;
    }

    /// <summary>The length word of the frame at <paramref name="position"/> (once per frame sent: read in place when it can).</summary>
    private uint ReadLengthWord(long position)
    {
        byte[] chunk = Slot(position)!;
        int offset = (int)(position & _chunkMask);
        if (offset <= _chunkSize - FrameCodec.LengthFieldLength)
            return BinaryPrimitives.ReadUInt32BigEndian(chunk.AsSpan(offset));
        // The word straddles two chunks.
        Span<byte> word = stackalloc byte[FrameCodec.LengthFieldLength];
        int first = _chunkSize - offset;
        chunk.AsSpan(offset, first).CopyTo(word);
        Slot(position + first)!.AsSpan(0, word.Length - first).CopyTo(word[first..]);
        return BinaryPrimitives.ReadUInt32BigEndian(word);
    }
}
