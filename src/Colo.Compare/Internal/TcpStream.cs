namespace Colo.Compare.Internal;

/// <summary>
/// TCP comparison state of one flow. Wire sequence numbers are mapped to 64-bit stream offsets at the edge (offset 0
/// is ISN+1 when the SYN was seen, else the first sequence number seen; the SYN itself sits at -1), so everything
/// after <see cref="Offset"/> uses plain integer order. The mapping is anchored at <see cref="Confirmed"/> and uses
/// serial arithmetic, so it stays exact across sequence wrap as long as segments lie within 2^31 of it.
/// </summary>
internal sealed class TcpStream
{
    public const long None = long.MinValue;
    public const int HistoryLength = 16;

    /// <summary>Wire sequence number of stream offset 0.</summary>
    public uint Origin;
    public bool IsnKnown;

    /// <summary>Every byte (and SYN/FIN) below this offset is equal on both sides.</summary>
    public long Confirmed;

    public readonly StreamBuffer PrimaryBytes = new();
    public readonly StreamBuffer SecondaryBytes = new();

    // Control markers per side: offset of the SYN, FIN (end of data) and RST, or None.
    public long PrimarySyn = None;
    public long SecondarySyn = None;
    public long PrimaryFin = None;
    public long SecondaryFin = None;
    public long PrimaryReset = None;
    public long SecondaryReset = None;
    public bool ResetMatched;

    // The ACK gate: the secondary's highest ACK (serial max) and the primary's, for re-baselining.
    public uint SecondaryMaxAck;
    public bool SecondaryHasAck;
    public uint PrimaryMaxAck;
    public bool PrimaryHasAck;

    /// <summary>Highest end offset (including FIN) of any primary segment: the re-baseline point after a checkpoint.</summary>
    public long PrimaryHighestEnd = None;

    // The last confirmed bytes, for the "before" half of a divergence's hex context (equal on both sides).
    public readonly byte[] History = new byte[HistoryLength];
    public int HistoryCount;

    public TcpStream(uint origin, bool isnKnown, long confirmed)
    {
        Origin = origin;
        IsnKnown = isnKnown;
        Confirmed = confirmed;
        PrimaryBytes.Reset(confirmed, null);
        SecondaryBytes.Reset(confirmed, null);
    }

    /// <summary>Stream offset of wire sequence number <paramref name="sequence"/> (serial arithmetic around Confirmed).</summary>
    public long Offset(uint sequence) => Confirmed + unchecked((int)(sequence - SequenceAt(Confirmed)));

    /// <summary>Wire sequence number at stream offset <paramref name="offset"/>.</summary>
    public uint SequenceAt(long offset) => unchecked(Origin + (uint)offset);

    public void RecordHistory(ReadOnlySpan<byte> confirmedBytes)
    {
        if (confirmedBytes.Length >= HistoryLength)
        {
            confirmedBytes[^HistoryLength..].CopyTo(History);
            HistoryCount = HistoryLength;
            return;
        }
        int keep = Math.Min(HistoryCount, HistoryLength - confirmedBytes.Length);
        if (keep > 0)
            History.AsSpan(HistoryCount - keep, keep).CopyTo(History);
        confirmedBytes.CopyTo(History.AsSpan(keep));
        HistoryCount = keep + confirmedBytes.Length;
    }

    /// <summary>Records an ACK number, keeping the serial maximum.</summary>
    public static void RaiseAck(ref uint max, ref bool has, uint ack)
    {
        if (!has || unchecked((int)(ack - max)) > 0)
        {
            max = ack;
            has = true;
        }
    }
}
