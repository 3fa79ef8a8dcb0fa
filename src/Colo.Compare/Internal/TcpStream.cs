namespace Colo.Compare.Internal;

/// <summary>
/// TCP comparison state of one flow (one connection at a time on its addresses and ports). Wire sequence numbers are
/// mapped to 64-bit stream offsets at the edge, relative to <see cref="Reference"/>, the first primary-space sequence
/// number seen; everything after <see cref="Offset"/> uses plain integer order. The mapping is anchored at
/// <see cref="Confirmed"/> and uses serial arithmetic, so it stays exact across sequence wrap as long as segments lie
/// within 2^31 of it.
/// <para>
/// Where comparison starts: at the primary's SYN when it was seen (its ISN is then known). For a flow picked up in
/// the middle (after a restart of the proxy, an eviction), at the first byte either side sent; until a byte is
/// confirmed that start is tentative and moves down to an earlier first byte of either side, so no primary byte is
/// ever taken as compared without its counterpart. A segment without data (an ACK, a keepalive probe) never sets it.
/// </para>
/// <para>
/// The secondary's own SYN / SYN-ACK is not in the primary's sequence space: filter-rewriter learns a connection's
/// offset only from the client's handshake ACK, so it leaves the secondary's SYN-ACK (and a bare RST without ACK)
/// unrewritten, and never rewrites a connection the guest opened. Its SYN confirms the primary's by presence
/// (DESIGN.md section 4, rule 8); its ISN is kept to map its bare RSTs.
/// </para>
/// </summary>
internal sealed class TcpStream
{
    public const long None = long.MinValue;
    public const int HistoryLength = 16;

    /// <summary>Wire sequence number of stream offset 0; meaningful once <see cref="HasReference"/>.</summary>
    public uint Reference;
    public bool HasReference;

    /// <summary>Where comparison starts; meaningful once <see cref="HasStart"/>.</summary>
    public long Start;
    public bool HasStart;

    /// <summary>The start can no longer move: the primary's SYN was seen, a byte was confirmed, or a checkpoint re-baselined.</summary>
    public bool Anchored;

    /// <summary>The primary's SYN was seen: <see cref="Start"/> is its offset, data begins at Start + 1.</summary>
    public bool IsnKnown;
    public uint PrimaryIsn;

    /// <summary>The primary's SYN carried no ACK: the guest opened the connection (filter-rewriter never maps it).</summary>
    public bool GuestInitiated;

    /// <summary>The secondary's SYN was seen (this connection, since the last checkpoint); its own ISN.</summary>
    public bool SecondarySynSeen;
    public uint SecondaryIsn;

    /// <summary>Secondary ISN minus primary ISN while filter-rewriter maps the connection; 0 after every checkpoint.</summary>
    public uint SecondaryIsnDelta;

    /// <summary>
    /// A new connection reused the addresses and ports while this one's frames still waited: its SYN is held with the
    /// rest until the checkpoint, which then starts the new stream at this ISN.
    /// </summary>
    public bool RestartPending;
    public uint RestartIsn;
    public bool RestartGuestInitiated;

    /// <summary>While a restart is pending: the serial-highest sequence number after any primary segment of the new connection.</summary>
    public uint RestartHighestEnd;
    public uint RestartMaxAck;
    public bool RestartHasAck;

    /// <summary>Every byte (and SYN/FIN) below this offset is equal on both sides.</summary>
    public long Confirmed;

    public readonly StreamBuffer PrimaryBytes;
    public readonly StreamBuffer SecondaryBytes;

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

    public TcpStream(EngineMemory memory)
    {
        PrimaryBytes = new StreamBuffer(memory);
        SecondaryBytes = new StreamBuffer(memory);
    }

    /// <summary>Sets the sequence number of offset 0 (the first primary-space sequence number seen).</summary>
    public void SetReference(uint sequence)
    {
        Reference = sequence;
        HasReference = true;
        Confirmed = 0;
    }

    /// <summary>Stream offset of wire sequence number <paramref name="sequence"/> (serial arithmetic around Confirmed).</summary>
    public long Offset(uint sequence) => Confirmed + unchecked((int)(sequence - SequenceAt(Confirmed)));

    /// <summary>Wire sequence number at stream offset <paramref name="offset"/>.</summary>
    public uint SequenceAt(long offset) => unchecked(Reference + (uint)offset);

    /// <summary>
    /// Offset 0 of reports: ISN + 1 when the SYN was seen, else the first byte compared (as Wireshark's relative
    /// sequence numbers count).
    /// </summary>
    public long ReportBase => IsnKnown ? Start + 1 : HasStart ? Start : 0;

    /// <summary>True once the connection is over: its RSTs matched, or the primary's FIN was confirmed.</summary>
    public bool HasEnded => ResetMatched || (PrimaryFin != None && Confirmed > PrimaryFin);

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
