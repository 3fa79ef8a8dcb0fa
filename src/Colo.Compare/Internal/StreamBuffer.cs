using System.Runtime.CompilerServices;

namespace Colo.Compare.Internal;

/// <summary>
/// One side's TCP bytes that are still needed, addressed by 64-bit stream offset: a table of pooled 8 KiB
/// <see cref="ChunkPool"/> chunks, chunk k holding offsets [k * 8 KiB, (k + 1) * 8 KiB), plus the sorted, disjoint
/// intervals that are present. Each byte is copied in once and read in place; lookups are arithmetic; the table grows
/// and shrinks chunk by chunk (no ring that doubles by copying, no large-object array), so the cost per byte is the
/// same at any lag. Out-of-order segments leave holes (chunks inside a hole are not allocated); overlapping writes are
/// checked against the bytes already present (a side that resends different bytes for a range it still holds has
/// diverged from itself). The number of holes is capped: past it a write is refused, so a guest cannot make one
/// write cost more than a bounded search.
/// </summary>
internal sealed class StreamBuffer
{
    /// <summary>Disjoint present ranges a buffer may hold (holes + 1); real TCP reordering needs a handful.</summary>
    public const int MaxIntervals = 4096;

    private const int ChunkShift = ChunkPool.ChunkShift;
    private const int ChunkSize = ChunkPool.ChunkSize;
    private const int ChunkMask = ChunkPool.ChunkMask;
    private const int InitialIntervals = 4;
    private static readonly long IntervalBytes = Unsafe.SizeOf<(long, long)>();

    private readonly EngineMemory _memory;
    private ChunkedQueue<ChunkSlot> _table;
    private long _firstChunk;
    private long _base;
    private (long Start, long End)[]? _intervals;
    private int _count;

    public StreamBuffer(EngineMemory memory)
    {
        _memory = memory;
    }

    public long Base => _base;

    public bool IsEmpty => _count == 0;

    /// <summary>End of the run of present bytes starting at <see cref="Base"/> (== Base when none).</summary>
    public long ContiguousEnd
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _count > 0 && _intervals![0].Start <= _base ? _intervals[0].End : _base;
    }

    /// <summary>Offset of the first present byte (== Base when none).</summary>
    public long FirstOffset => _count > 0 ? _intervals![0].Start : _base;

    /// <summary>Offset after the last present byte (== Base when none).</summary>
    public long LastEnd => _count > 0 ? _intervals![_count - 1].End : _base;

    /// <summary>Sum of present bytes.</summary>
    public long PresentBytes
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _count; i++)
                total += _intervals![i].End - _intervals[i].Start;
            return total;
        }
    }

    /// <summary>True when the byte at <paramref name="offset"/> is present.</summary>
    public bool Contains(long offset) => IndexOf(offset) >= 0;

    /// <summary>
    /// Stores <paramref name="data"/> at <paramref name="offset"/> (bytes below <see cref="Base"/> are ignored).
    /// <see cref="StreamWrite.Conflict"/> with the first differing offset when it contradicts bytes already present;
    /// <see cref="StreamWrite.TooFragmented"/> (nothing stored) when it would leave more than <see cref="MaxIntervals"/>
    /// disjoint ranges.
    /// </summary>
    public StreamWrite Write(long offset, ReadOnlySpan<byte> data, out long conflictOffset)
    {
        conflictOffset = -1;
        if (offset < _base)
        {
            long skip = Math.Min(data.Length, _base - offset);
            data = data[(int)skip..];
            offset += skip;
        }
        if (data.IsEmpty)
            return StreamWrite.Stored;
        long end = offset + data.Length;

        // The intervals this write touches: [first, last).
        int first = FirstEndingAtOrAfter(offset);
        int last = first;
        while (last < _count && _intervals![last].Start <= end)
            last++;
        if (last == first && _count >= MaxIntervals)
            return StreamWrite.TooFragmented;

        // Compare the overlaps first: a contradiction stores nothing.
        for (int i = first; i < last; i++)
        {
            long from = Math.Max(offset, _intervals![i].Start);
            long to = Math.Min(end, _intervals[i].End);
            if (from < to)
            {
                long mismatch = FindMismatch(from, data.Slice((int)(from - offset), (int)(to - from)));
                if (mismatch >= 0)
                {
                    conflictOffset = mismatch;
                    return StreamWrite.Conflict;
                }
            }
        }

        // Copy the gaps.
        long cursor = offset;
        for (int i = first; i < last && cursor < end; i++)
        {
            long start = _intervals![i].Start;
            if (start > cursor)
                CopyIn(cursor, data.Slice((int)(cursor - offset), (int)(start - cursor)));
            cursor = Math.Max(cursor, _intervals[i].End);
        }
        if (cursor < end)
            CopyIn(cursor, data[(int)(cursor - offset)..]);

        Merge(first, last, offset, end);
        return StreamWrite.Stored;
    }

    /// <summary>The longest contiguous span of stored bytes at <paramref name="offset"/>, at most <paramref name="maxLength"/> (ends at a chunk boundary).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> GetSpan(long offset, int maxLength)
    {
        byte[] chunk = _table[(int)((offset >> ChunkShift) - _firstChunk)].Chunk!;
        int at = (int)(offset & ChunkMask);
        return chunk.AsSpan(at, Math.Min(maxLength, ChunkSize - at));
    }

    /// <summary>Copies <paramref name="destination"/>.Length present bytes from <paramref name="offset"/>.</summary>
    public void CopyTo(long offset, Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            ReadOnlySpan<byte> span = GetSpan(offset, destination.Length);
            span.CopyTo(destination);
            destination = destination[span.Length..];
            offset += span.Length;
        }
    }

    /// <summary>Copies present bytes from <paramref name="offset"/> into <paramref name="destination"/>; returns the count.</summary>
    public int CopyOut(long offset, Span<byte> destination)
    {
        int index = IndexOf(offset);
        if (index < 0)
            return 0;
        int total = (int)Math.Min(_intervals![index].End - offset, destination.Length);
        CopyTo(offset, destination[..total]);
        return total;
    }

    /// <summary>True when every byte of [<paramref name="offset"/>, +<paramref name="length"/>) is present.</summary>
    public bool ContainsRange(long offset, long length)
    {
        int index = IndexOf(offset);
        return index >= 0 && _intervals![index].End >= offset + length;
    }

    /// <summary>Discards everything below <paramref name="newBase"/>; chunks wholly below it go back to the pool.</summary>
    public void AdvanceTo(long newBase)
    {
        if (newBase <= _base)
            return;
        _base = newBase;
        int drop = 0;
        while (drop < _count && _intervals![drop].End <= newBase)
            drop++;
        if (drop > 0)
        {
            Array.Copy(_intervals!, drop, _intervals!, 0, _count - drop);
            _count -= drop;
        }
        if (_count > 0 && _intervals![0].Start < newBase)
            _intervals[0].Start = newBase;
        if (_count == 0)
        {
            ReleaseChunks();
            return;
        }
        long keepFrom = newBase >> ChunkShift;
        while (!_table.IsEmpty && _firstChunk < keepFrom)
            DropFirstChunk();
    }

    /// <summary>Forgets all bytes and moves the base (checkpoint re-baseline, eviction, a new connection).</summary>
    public void Reset(long newBase)
    {
        _base = newBase;
        _count = 0;
        ReleaseChunks();
    }

    /// <summary>Forgets all bytes and gives back everything held, the interval array too (the flow is forgotten).</summary>
    public void Release()
    {
        Reset(_base);
        if (_intervals is not null)
        {
            _memory.OtherBytes -= ChargedIntervalBytes(_intervals.Length);
            _intervals = null;
        }
    }

    /// <summary>
    /// Moves the base down to <paramref name="newBase"/> (where comparison starts moved to an earlier byte), or sets
    /// it when nothing is held. Nothing below the old base was stored, so only the base moves.
    /// </summary>
    public void LowerBase(long newBase)
    {
        if (_count == 0 || newBase < _base)
            _base = newBase;
    }

    private void CopyIn(long offset, ReadOnlySpan<byte> data)
    {
        EnsureChunks(offset >> ChunkShift, (offset + data.Length - 1) >> ChunkShift);
        while (!data.IsEmpty)
        {
            ref ChunkSlot slot = ref _table[(int)((offset >> ChunkShift) - _firstChunk)];
            slot.Chunk ??= _memory.Chunks.Rent();
            int at = (int)(offset & ChunkMask);
            int n = Math.Min(data.Length, ChunkSize - at);
            data[..n].CopyTo(slot.Chunk.AsSpan(at));
            data = data[n..];
            offset += n;
        }
    }

    /// <summary>Makes the table cover chunks <paramref name="from"/> .. <paramref name="to"/> (slots only; chunks are rented on write).</summary>
    private void EnsureChunks(long from, long to)
    {
        if (_table.IsEmpty)
            _firstChunk = from;
        while (from < _firstChunk)
        {
            // Comparison started earlier than the first chunk (rare: a tentative start moved down).
            _table.Insert(0, default, _memory.ChunkSlots);
            _firstChunk--;
        }
        while (_firstChunk + _table.Count <= to)
            _table.Enqueue(default, _memory.ChunkSlots);
    }

    private void DropFirstChunk()
    {
        ChunkSlot slot = _table.Dequeue(_memory.ChunkSlots);
        if (slot.Chunk is { } chunk)
            _memory.Chunks.Return(chunk);
        _firstChunk++;
    }

    private void ReleaseChunks()
    {
        while (!_table.IsEmpty)
            DropFirstChunk();
    }

    private long FindMismatch(long offset, ReadOnlySpan<byte> data)
    {
        int done = 0;
        while (done < data.Length)
        {
            ReadOnlySpan<byte> stored = GetSpan(offset + done, data.Length - done);
            int same = stored.CommonPrefixLength(data.Slice(done, stored.Length));
            if (same < stored.Length)
                return offset + done + same;
            done += stored.Length;
        }
        return -1;
    }

    /// <summary>Index of the interval containing <paramref name="offset"/>, or -1.</summary>
    private int IndexOf(long offset)
    {
        int i = FirstEndingAtOrAfter(offset);
        // FirstEndingAtOrAfter finds End >= offset; a present byte needs End > offset.
        while (i < _count && _intervals![i].End <= offset)
            i++;
        return i < _count && _intervals![i].Start <= offset ? i : -1;
    }

    /// <summary>First interval whose End is at or after <paramref name="offset"/> (binary search: the intervals are sorted).</summary>
    private int FirstEndingAtOrAfter(long offset)
    {
        int low = 0, high = _count;
        while (low < high)
        {
            int mid = (low + high) >>> 1;
            if (_intervals![mid].End < offset)
                low = mid + 1;
            else
                high = mid;
        }
        return low;
    }

    /// <summary>Replaces intervals [first, last) with their union with [start, end).</summary>
    private void Merge(int first, int last, long start, long end)
    {
        if (last > first)
        {
            start = Math.Min(start, _intervals![first].Start);
            end = Math.Max(end, _intervals[last - 1].End);
        }
        int removed = last - first;
        if (removed == 0)
        {
            EnsureIntervalCapacity(_count + 1);
            Array.Copy(_intervals!, first, _intervals!, first + 1, _count - first);
            _count++;
        }
        else if (removed > 1)
        {
            Array.Copy(_intervals!, last, _intervals!, first + 1, _count - last);
            _count -= removed - 1;
        }
        _intervals![first] = (start, end);
    }

    private void EnsureIntervalCapacity(int needed)
    {
        if (_intervals is not null && _intervals.Length >= needed)
            return;
        int length = Math.Max(InitialIntervals, (_intervals?.Length ?? 0) * 2);
        var grown = new (long, long)[Math.Min(length, MaxIntervals)];
        if (_intervals is not null)
        {
            Array.Copy(_intervals, grown, _count);
            _memory.OtherBytes -= ChargedIntervalBytes(_intervals.Length);
        }
        _memory.OtherBytes += ChargedIntervalBytes(grown.Length);
        _intervals = grown;
    }

    /// <summary>
    /// The first few intervals are the flow's fixed overhead, like the flow itself; what a side's holes make it grow
    /// beyond that is held on their account and charged to the memory cap.
    /// </summary>
    private static long ChargedIntervalBytes(int length) => Math.Max(0, length - InitialIntervals) * IntervalBytes;
}
