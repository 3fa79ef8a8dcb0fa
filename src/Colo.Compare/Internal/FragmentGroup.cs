namespace Colo.Compare.Internal;

/// <summary>
/// The original frames of one fragmented datagram, in arrival order, with where each fragment's bytes sit in the
/// datagram. Primary: released together, byte-identical, once the reassembled datagram matched. Secondary: dropped
/// or counted as matched together. Coverage is kept as merged, sorted ranges, so telling whether the datagram is
/// complete costs at most the number of fragments, never a sweep per fragment.
/// </summary>
internal sealed class FragmentGroup
{
    public readonly List<StoredFragment> Fragments = [];

    // Covered byte ranges of the datagram, sorted and merged.
    private readonly List<(int Start, int End)> _covered = [];

    /// <summary>The datagram's length, known once the last fragment (more-fragments clear) arrived.</summary>
    public int TotalLength = -1;

    public TimeSpan FirstArrival;
    public TimeSpan LastArrival;
    public bool TimeoutReported;

    /// <summary>
    /// Too many fragments for a real datagram: reassembly was given up, the fragments went on uncompared, and
    /// later fragments of the datagram follow them until the group is forgotten.
    /// </summary>
    public bool Abandoned;

    public int Count => Fragments.Count;

    /// <summary>True when fragments cover the datagram from 0 to its end without a hole.</summary>
    public bool IsComplete => TotalLength >= 0 && _covered.Count == 1 && _covered[0].Start == 0 && _covered[0].End >= TotalLength;

    public void Add(in StoredFragment fragment)
    {
        Fragments.Add(fragment);
        int start = fragment.Offset;
        int end = fragment.Offset + fragment.PayloadLength;
        if (end <= start)
            return;
        int i = 0;
        while (i < _covered.Count && _covered[i].End < start)
            i++;
        int j = i;
        while (j < _covered.Count && _covered[j].Start <= end)
        {
            start = Math.Min(start, _covered[j].Start);
            end = Math.Max(end, _covered[j].End);
            j++;
        }
        _covered.RemoveRange(i, j - i);
        _covered.Insert(i, (start, end));
    }

    /// <summary>Forgets the fragments (their buffers were returned) and the coverage.</summary>
    public void ClearFragments()
    {
        Fragments.Clear();
        _covered.Clear();
    }

    /// <summary>Copies the datagram (transport header and payload) into <paramref name="destination"/>; earlier fragments win overlaps.</summary>
    public void Reassemble(Span<byte> destination)
    {
        for (int i = Fragments.Count - 1; i >= 0; i--)
        {
            StoredFragment f = Fragments[i];
            int length = Math.Min(f.PayloadLength, TotalLength - f.Offset);
            if (length > 0)
                f.Buffer.AsSpan(f.PayloadStart, length).CopyTo(destination[f.Offset..]);
        }
    }
}
