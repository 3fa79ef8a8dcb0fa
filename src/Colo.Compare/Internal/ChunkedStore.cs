using System.Runtime.CompilerServices;

namespace Colo.Compare.Internal;

/// <summary>
/// One side of one flow's held bytes: an append-only run of positions laid over pooled <see cref="ChunkPool"/>
/// chunks. What the engine keeps (a queued frame, a run of stream bytes, a datagram) is appended once and then read in
/// place; each item pins the chunks it lies in, and a chunk goes back to the pool as soon as nothing pins it (chunks
/// at the front, in the middle, or all of them when the store empties), so what a flow holds follows what it needs,
/// at any lag, in 8 KiB steps. Positions only grow; they are not stream offsets.
/// </summary>
internal sealed class ChunkedStore
{
    private const int ChunkShift = ChunkPool.ChunkShift;
    private const int ChunkSize = ChunkPool.ChunkSize;
    private const int ChunkMask = ChunkPool.ChunkMask;

    private readonly ChunkPool _pool;
    private byte[]?[] _slots = new byte[]?[4];
    private int[] _pins = new int[4];
    private int _head;          // ring index of chunk _firstChunk
    private int _count;         // slots in use: chunks _firstChunk .. _firstChunk + _count - 1
    private long _firstChunk;
    private long _end;          // next append position
    private long _totalPins;

    public ChunkedStore(ChunkPool pool)
    {
        _pool = pool;
    }

    /// <summary>True when the store holds no chunk.</summary>
    public bool IsEmpty => _count == 0;

    /// <summary>Chunks held (for tests and diagnostics).</summary>
    public int ChunksHeld
    {
        get
        {
            int held = 0;
            for (int i = 0; i < _count; i++)
            {
                if (_slots[(_head + i) & (_slots.Length - 1)] is not null)
                    held++;
            }
            return held;
        }
    }

    /// <summary>
    /// Appends <paramref name="data"/> and returns its position; the caller pins what it keeps. With
    /// <paramref name="contiguous"/>, data that fits in a chunk is never split across two, so it reads back as one span.
    /// </summary>
    public long Append(ReadOnlySpan<byte> data, bool contiguous)
    {
        if (contiguous && data.Length <= ChunkSize)
        {
            int used = (int)(_end & ChunkMask);
            if (used != 0 && ChunkSize - used < data.Length)
                _end += ChunkSize - used;
        }
        long position = _end;
        while (!data.IsEmpty)
        {
            byte[] chunk = ChunkFor(_end);
            int offset = (int)(_end & ChunkMask);
            int n = Math.Min(data.Length, ChunkSize - offset);
            data[..n].CopyTo(chunk.AsSpan(offset));
            data = data[n..];
            _end += n;
        }
        return position;
    }

    /// <summary>The longest span of stored bytes at <paramref name="position"/>, at most <paramref name="maxLength"/> (ends at a chunk boundary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> GetSpan(long position, int maxLength)
    {
        byte[] chunk = _slots[SlotOf(position >> ChunkShift)]!;
        int offset = (int)(position & ChunkMask);
        return chunk.AsSpan(offset, Math.Min(maxLength, ChunkSize - offset));
    }

    /// <summary>True when <paramref name="length"/> bytes at <paramref name="position"/> lie in one chunk.</summary>
    public static bool IsContiguous(long position, int length) =>
        length <= ChunkSize - (int)(position & ChunkMask);

    /// <summary>Copies <paramref name="destination"/>.Length bytes from <paramref name="position"/>.</summary>
    public void CopyTo(long position, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            ReadOnlySpan<byte> span = GetSpan(position, destination.Length);
            span.CopyTo(destination);
            destination = destination[span.Length..];
            position += span.Length;
        }
    }

    /// <summary>Pins the chunks under <paramref name="length"/> bytes at <paramref name="position"/> (once per item).</summary>
    public void Pin(long position, long length)
    {
        if (length <= 0)
            return;
        for (long chunk = position >> ChunkShift, last = (position + length - 1) >> ChunkShift; chunk <= last; chunk++)
        {
            _pins[SlotOf(chunk)]++;
            _totalPins++;
        }
    }

    /// <summary>Pins the chunks from <paramref name="fromChunk"/> to <paramref name="toChunk"/> (an item that grew).</summary>
    public void PinChunks(long fromChunk, long toChunk)
    {
        for (long chunk = fromChunk; chunk <= toChunk; chunk++)
        {
            _pins[SlotOf(chunk)]++;
            _totalPins++;
        }
    }

    /// <summary>Drops an item's pins; chunks nothing pins any more go back to the pool.</summary>
    public void Unpin(long position, long length)
    {
        if (length <= 0)
            return;
        UnpinChunks(position >> ChunkShift, (position + length - 1) >> ChunkShift);
    }

    /// <summary>Drops one pin on each chunk from <paramref name="fromChunk"/> to <paramref name="toChunk"/>.</summary>
    public void UnpinChunks(long fromChunk, long toChunk)
    {
        for (long chunk = fromChunk; chunk <= toChunk; chunk++)
        {
            int slot = SlotOf(chunk);
            _totalPins--;
            // The chunk being appended to may go too: a later append rents a fresh one for its slot.
            if (--_pins[slot] == 0)
                FreeSlot(slot);
        }
        if (_totalPins == 0)
        {
            Clear();
            return;
        }
        // Forget freed chunks at the front, never the slot of the chunk being appended to.
        long appending = _end >> ChunkShift;
        while (_count > 0 && _slots[_head] is null && _firstChunk < appending)
        {
            _head = (_head + 1) & (_slots.Length - 1);
            _firstChunk++;
            _count--;
        }
    }

    /// <summary>Gives every chunk back, whatever pins it (the owner forgets all its items).</summary>
    public void Clear()
    {
        for (int i = 0; i < _count; i++)
        {
            int slot = (_head + i) & (_slots.Length - 1);
            if (_slots[slot] is { } chunk)
            {
                _pool.Return(chunk);
                _slots[slot] = null;
            }
            _pins[slot] = 0;
        }
        _count = 0;
        _totalPins = 0;
        // The next append starts a fresh chunk: no half-used chunk is kept for an idle flow.
        _end = (_end + ChunkMask) & ~(long)ChunkMask;
        _firstChunk = _end >> ChunkShift;
    }

    public static long ChunkOf(long position) => position >> ChunkShift;

    private void FreeSlot(int slot)
    {
        if (_slots[slot] is { } chunk)
        {
            _pool.Return(chunk);
            _slots[slot] = null;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotOf(long chunk) => (int)((_head + (chunk - _firstChunk)) & (_slots.Length - 1));

    /// <summary>The chunk holding position <paramref name="position"/>, rented when the append reaches it.</summary>
    private byte[] ChunkFor(long position)
    {
        long chunk = position >> ChunkShift;
        if (_count == 0)
        {
            _firstChunk = chunk;
            _head = 0;
        }
        long index = chunk - _firstChunk;
        if (index >= _count)
        {
            // Appends move one chunk at a time; a skipped chunk (padding) is never rented.
            if (index >= _slots.Length)
                Grow(index + 1);
            while (_count <= index)
            {
                int slot = (_head + _count) & (_slots.Length - 1);
                _slots[slot] = null;
                _pins[slot] = 0;
                _count++;
            }
        }
        int target = SlotOf(chunk);
        return _slots[target] ??= _pool.Rent();
    }

    private void Grow(long needed)
    {
        int length = _slots.Length;
        while (length < needed)
            length *= 2;
        var slots = new byte[]?[length];
        var pins = new int[length];
        for (int i = 0; i < _count; i++)
        {
            int from = (_head + i) & (_slots.Length - 1);
            slots[i] = _slots[from];
            pins[i] = _pins[from];
        }
        _slots = slots;
        _pins = pins;
        _head = 0;
    }
}
