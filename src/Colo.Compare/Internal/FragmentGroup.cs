namespace Colo.Compare.Internal;

/// <summary>
/// The original frames of one fragmented datagram, in arrival order, with where each fragment's bytes sit in the
/// datagram. Primary: released together, byte-identical, once the reassembled datagram matched. Secondary: dropped
/// or counted as matched together.
/// </summary>
internal sealed class FragmentGroup
{
    public readonly List<StoredFragment> Fragments = [];

    /// <summary>The datagram's length, known once the last fragment (more-fragments clear) arrived.</summary>
    public int TotalLength = -1;

    public TimeSpan FirstArrival;
    public bool TimeoutReported;

    public int Count => Fragments.Count;

    /// <summary>True when fragments cover the datagram from 0 to its end without a hole.</summary>
    public bool IsComplete
    {
        get
        {
            if (TotalLength < 0)
                return false;
            // Few fragments per datagram: a quadratic sweep is fine and needs no sorting or allocation.
            int covered = 0;
            bool advanced = true;
            while (covered < TotalLength && advanced)
            {
                advanced = false;
                foreach (StoredFragment f in Fragments)
                {
                    if (f.Offset <= covered && f.Offset + f.PayloadLength > covered)
                    {
                        covered = f.Offset + f.PayloadLength;
                        advanced = true;
                    }
                }
            }
            return covered >= TotalLength;
        }
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
