using System.Runtime.CompilerServices;

namespace Colo.Compare.Internal;

/// <summary>
/// One side's not-yet-confirmed TCP bytes, addressed by 64-bit stream offset: a power-of-two ring from
/// <see cref="Base"/> (the flow's confirmed offset) plus the sorted, disjoint intervals that are present.
/// Out-of-order segments leave holes; overlapping writes are checked against the bytes already present (a side
/// that resends different bytes for a range it still holds has diverged from itself).
/// </summary>
internal sealed class StreamBuffer
{
    private const int MinRingLength = 2048;

    private byte[]? _ring;
    private int _mask;
    private long _base;
    private (long Start, long End)[] _intervals = new (long, long)[2];
    private int _count;

    public long Base => _base;

    public bool IsEmpty => _count == 0;

    /// <summary>Bytes of ring storage held (charged against the engine's memory cap).</summary>
    public int Capacity => _ring?.Length ?? 0;

    /// <summary>End of the run of present bytes starting at <see cref="Base"/> (== Base when none).</summary>
    public long ContiguousEnd
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _count > 0 && _intervals[0].Start <= _base ? _intervals[0].End : _base;
    }

    /// <summary>Offset of the first present byte (== Base when none).</summary>
    public long FirstOffset => _count > 0 ? _intervals[0].Start : _base;

    /// <summary>True when the byte at <paramref name="offset"/> is present.</summary>
    public bool Contains(long offset)
    {
        for (int i = 0; i < _count; i++)
        {
            if (offset < _intervals[i].Start)
                return false;
            if (offset < _intervals[i].End)
                return true;
        }
        return false;
    }

    /// <summary>Sum of present bytes.</summary>
    public long PresentBytes
    {
        get
        {
            long total = 0;
            for (int i = 0; i < _count; i++)
                total += _intervals[i].End - _intervals[i].Start;
            return total;
        }
    }

    /// <summary>
    /// Stores <paramref name="data"/> at <paramref name="offset"/> (bytes below <see cref="Base"/> are ignored).
    /// Returns false with the first differing offset when it contradicts bytes already present.
    /// <paramref name="capacityDelta"/> receives the change in ring storage.
    /// </summary>
    public bool Write(long offset, ReadOnlySpan<byte> data, FrameBufferPool pool, out long conflictOffset, out long capacityDelta)
    {
        conflictOffset = -1;
        capacityDelta = 0;
        if (offset < _base)
        {
            long skip = Math.Min(data.Length, _base - offset);
            data = data[(int)skip..];
            offset += skip;
        }
        if (data.IsEmpty)
            return true;
        long end = offset + data.Length;
        capacityDelta = EnsureCapacity(end - _base, pool);

        long cursor = offset;
        for (int i = 0; i < _count && cursor < end; i++)
        {
            (long start, long stop) = _intervals[i];
            if (stop <= cursor)
                continue;
            if (start >= end)
                break;
            if (start > cursor)
            {
                CopyIn(cursor, data.Slice((int)(cursor - offset), (int)(start - cursor)));
                cursor = start;
            }
            long overlapEnd = Math.Min(stop, end);
            long mismatch = FindMismatch(cursor, data.Slice((int)(cursor - offset), (int)(overlapEnd - cursor)));
            if (mismatch >= 0)
            {
                conflictOffset = mismatch;
                return false;
            }
            cursor = overlapEnd;
        }
        if (cursor < end)
            CopyIn(cursor, data[(int)(cursor - offset)..]);
        AddInterval(offset, end);
        return true;
    }

    /// <summary>The longest contiguous span of stored bytes at <paramref name="offset"/>, at most <paramref name="maxLength"/> (the ring may wrap).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> GetSpan(long offset, int maxLength)
    {
        int index = (int)(offset & _mask);
        return _ring.AsSpan(index, Math.Min(maxLength, _ring!.Length - index));
    }

    /// <summary>Copies present bytes from <paramref name="offset"/> into <paramref name="destination"/>; returns the count.</summary>
    public int CopyOut(long offset, Span<byte> destination)
    {
        long available = 0;
        for (int i = 0; i < _count; i++)
        {
            if (_intervals[i].Start <= offset && offset < _intervals[i].End)
            {
                available = _intervals[i].End - offset;
                break;
            }
        }
        int total = (int)Math.Min(available, destination.Length);
        int copied = 0;
        while (copied < total)
        {
            ReadOnlySpan<byte> chunk = GetSpan(offset + copied, total - copied);
            chunk.CopyTo(destination[copied..]);
            copied += chunk.Length;
        }
        return total;
    }

    /// <summary>Discards everything below <paramref name="newBase"/>; returns the change in ring storage.</summary>
    public long AdvanceTo(long newBase, FrameBufferPool pool)
    {
        if (newBase <= _base)
            return 0;
        _base = newBase;
        int drop = 0;
        while (drop < _count && _intervals[drop].End <= newBase)
            drop++;
        if (drop > 0)
        {
            Array.Copy(_intervals, drop, _intervals, 0, _count - drop);
            _count -= drop;
        }
        if (_count > 0 && _intervals[0].Start < newBase)
            _intervals[0].Start = newBase;
        return _count == 0 ? ReleaseRing(pool) : 0;
    }

    /// <summary>
    /// Moves the base down to <paramref name="newBase"/> (where comparison starts moved to an earlier byte), or sets
    /// it when nothing is held; returns the change in ring storage.
    /// </summary>
    public long LowerBase(long newBase, FrameBufferPool pool)
    {
        if (_count == 0)
        {
            _base = newBase;
            return 0;
        }
        if (newBase >= _base)
            return 0;
        long delta = EnsureCapacity(_intervals[_count - 1].End - newBase, pool);
        _base = newBase;
        return delta;
    }

    /// <summary>Forgets all bytes and moves the base (checkpoint re-baseline); returns the change in ring storage.</summary>
    public long Reset(long newBase, FrameBufferPool? pool)
    {
        _base = newBase;
        _count = 0;
        return ReleaseRing(pool);
    }

    private long ReleaseRing(FrameBufferPool? pool)
    {
        if (_ring is null)
            return 0;
        long freed = _ring.Length;
        pool?.Return(_ring);
        _ring = null;
        _mask = 0;
        return -freed;
    }

    private long EnsureCapacity(long span, FrameBufferPool pool)
    {
        int current = _ring?.Length ?? 0;
        if (span <= current)
            return 0;
        int length = Math.Max(MinRingLength, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)span));
        byte[] ring = pool.Rent(length);
        if (ring.Length != length || (length & (length - 1)) != 0)
            ring = new byte[length];
        if (_ring is not null)
        {
            int newMask = ring.Length - 1;
            for (int i = 0; i < _count; i++)
            {
                for (long o = _intervals[i].Start; o < _intervals[i].End;)
                {
                    ReadOnlySpan<byte> chunk = GetSpan(o, (int)Math.Min(int.MaxValue, _intervals[i].End - o));
                    int target = (int)(o & newMask);
                    int n = Math.Min(chunk.Length, ring.Length - target);
                    chunk[..n].CopyTo(ring.AsSpan(target));
                    o += n;
                }
            }
            pool.Return(_ring);
        }
        _ring = ring;
        _mask = ring.Length - 1;
        return ring.Length - current;
    }

    private void CopyIn(long offset, ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int index = (int)(offset & _mask);
            int n = Math.Min(data.Length, _ring!.Length - index);
            data[..n].CopyTo(_ring.AsSpan(index));
            data = data[n..];
            offset += n;
        }
    }

    private long FindMismatch(long offset, ReadOnlySpan<byte> data)
    {
        int done = 0;
        while (done < data.Length)
        {
            ReadOnlySpan<byte> stored = GetSpan(offset + done, data.Length - done);
            int diff = stored.CommonPrefixLength(data.Slice(done, stored.Length));
            if (diff < stored.Length)
                return offset + done + diff;
            done += stored.Length;
        }
        return -1;
    }

    private void AddInterval(long start, long end)
    {
        // Find the first interval that ends at or after start; merge every interval touching [start, end).
        int i = 0;
        while (i < _count && _intervals[i].End < start)
            i++;
        int j = i;
        while (j < _count && _intervals[j].Start <= end)
        {
            start = Math.Min(start, _intervals[j].Start);
            end = Math.Max(end, _intervals[j].End);
            j++;
        }
        int removed = j - i;
        if (removed == 0)
        {
            if (_count == _intervals.Length)
                Array.Resize(ref _intervals, _intervals.Length * 2);
            Array.Copy(_intervals, i, _intervals, i + 1, _count - i);
            _count++;
        }
        else if (removed > 1)
        {
            Array.Copy(_intervals, j, _intervals, i + 1, _count - j);
            _count -= removed - 1;
        }
        _intervals[i] = (start, end);
    }
}
