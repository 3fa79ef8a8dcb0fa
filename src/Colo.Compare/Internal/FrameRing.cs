namespace Colo.Compare.Internal;

/// <summary>
/// The most recent frames of one side of one flow, in a fixed byte array: appending never allocates and evicts the
/// oldest frames that are in the way. Each frame is stored contiguously; one that does not fit before the end of the
/// array starts again at its beginning (the tail left unused is at most one frame).
/// </summary>
internal sealed class FrameRing
{
    private readonly byte[] _bytes;
    private readonly Entry[] _entries;
    private int _first;
    private int _count;
    private int _write;

    public FrameRing(byte[] storage)
    {
        _bytes = storage;
        // A frame is at least 14 bytes; 64 covers the smallest real ones without making the index larger than the data.
        _entries = new Entry[Math.Max(16, storage.Length / 64)];
    }

    public int Capacity => _bytes.Length;

    public int Count => _count;

    public byte[] Storage => _bytes;

    /// <summary>Keeps <paramref name="frame"/>; a frame larger than the whole ring is not kept (returns false).</summary>
    public bool Append(ReadOnlySpan<byte> frame, TimeSpan time)
    {
        if (frame.Length > _bytes.Length)
            return false;
        int at = _write;
        bool wrapped = at + frame.Length > _bytes.Length;
        if (wrapped)
            at = 0;
        // Entries are laid out in arrival order around the array: the oldest ones are the first in the way.
        while (_count > 0)
        {
            ref Entry oldest = ref _entries[_first];
            bool inTail = wrapped && oldest.Offset >= _write;
            bool overlaps = oldest.Offset < at + frame.Length && at < oldest.Offset + oldest.Length;
            if (_count < _entries.Length && !inTail && !overlaps)
                break;
            _first = (_first + 1) % _entries.Length;
            _count--;
        }
        frame.CopyTo(_bytes.AsSpan(at));
        _entries[(_first + _count) % _entries.Length] = new Entry(at, frame.Length, time);
        _count++;
        _write = at + frame.Length;
        return true;
    }

    /// <summary>Copies the kept frames out, oldest first (rare path: allocates).</summary>
    public void CopyTo(List<RecordedFrame> into, Side side)
    {
        for (int i = 0; i < _count; i++)
        {
            Entry entry = _entries[(_first + i) % _entries.Length];
            into.Add(new RecordedFrame(side, entry.Time, _bytes.AsSpan(entry.Offset, entry.Length).ToArray()));
        }
    }

    public void Clear()
    {
        _first = 0;
        _count = 0;
        _write = 0;
    }

    private readonly record struct Entry(int Offset, int Length, TimeSpan Time);
}
