using Colo.Compare.Internal;
using Colo.Packets.Frames;

namespace Colo.Compare;

// TCP: where a connection's comparison starts, the secondary's SYN (rule 8), new connections on reused addresses and
// ports, and connections the secondary cannot follow until a checkpoint (resync).
public sealed partial class CompareEngine
{
    /// <summary>
    /// A secondary segment this far ahead of the confirmed point is not in the primary's sequence space (no TCP
    /// sender is a gigabyte ahead of its own acknowledged data): the secondary's copy of the connection is out of step.
    /// </summary>
    private const long ImplausibleAhead = 1L << 30;

    /// <summary>
    /// Likewise behind: a retransmission lies within the sender's unacknowledged data, far less than this. A
    /// connection whose handshake a checkpoint cut (filter-rewriter then learns a wrong offset) shows up here.
    /// </summary>
    private const long ImplausibleBehind = 1L << 26;

    /// <summary>
    /// Takes the primary's SYN: the ISN of the connection. A SYN with another ISN is a new connection on the same
    /// addresses and ports: the stream restarts when nothing of the old one waits; otherwise returns false (the caller
    /// holds it until a checkpoint, which starts the new stream).
    /// </summary>
    private bool TakePrimarySyn(Flow flow, ref TcpStream tcp, uint sequence, bool ack)
    {
        if (tcp.IsnKnown)
        {
            if (sequence == tcp.PrimaryIsn)
                return true;
        }
        else if (!tcp.HasStart)
        {
            AdoptIsn(flow, tcp, sequence, ack);
            return true;
        }
        else
        {
            long offset = tcp.Offset(sequence);
            if (!tcp.Anchored && offset < tcp.Start && tcp.Start - offset <= _maxStreamWindow)
            {
                // The handshake of a flow first seen by later segments: comparison starts at the SYN after all.
                AdoptIsn(flow, tcp, sequence, ack);
                return true;
            }
            if (tcp.Anchored && offset + 1 == tcp.Start)
                return true; // a retransmitted SYN just before where comparison started: released as not compared
        }

        if (!IsIdle(flow))
            return false;
        tcp = RestartStream(flow, tcp);
        AdoptIsn(flow, tcp, sequence, ack);
        return true;
    }

    /// <summary>The primary's SYN sets where comparison starts, for good; an earlier secondary SYN now confirms it.</summary>
    private void AdoptIsn(Flow flow, TcpStream tcp, uint sequence, bool ack)
    {
        if (!tcp.HasReference)
            tcp.SetReference(sequence);
        long syn = tcp.Offset(sequence);
        PlaceStart(tcp, syn);
        tcp.Anchored = true;
        tcp.IsnKnown = true;
        tcp.PrimaryIsn = sequence;
        tcp.GuestInitiated = !ack;
        if (!tcp.SecondarySynSeen)
            return;
        tcp.SecondarySyn = syn;
        tcp.SecondaryIsnDelta = tcp.GuestInitiated ? 0 : unchecked(tcp.SecondaryIsn - sequence);
        for (int i = 0; i < flow.Secondary.Count; i++)
        {
            ref SecondaryRecord record = ref flow.Secondary[i];
            if (record.PendingSyn)
                record.RequiredConfirmed = syn + 1;
        }
    }

    /// <summary>
    /// The secondary's SYN before the primary's (the secondary ran ahead, or a new connection on a flow whose start
    /// is not its SYN): it waits, queued, for the primary's SYN to confirm.
    /// </summary>
    private void TakeEarlySecondarySyn(Flow flow, ref TcpStream tcp, uint sequence, bool ack, uint ackNumber, TimeSpan now)
    {
        if (tcp.HasStart && tcp.HasEnded && IsIdle(flow))
            tcp = RestartStream(flow, tcp);
        if (ack)
            TcpStream.RaiseAck(ref tcp.SecondaryMaxAck, ref tcp.SecondaryHasAck, ackNumber);
        if (flow.State is FlowState.Diverged or FlowState.Resync)
        {
            DropSecondary(flow.State == FlowState.Resync ? DropReason.Resync : DropReason.Diverged);
            return;
        }
        if (tcp.SecondarySynSeen)
        {
            DropSecondary(DropReason.Retransmission);
            return;
        }
        tcp.SecondarySynSeen = true;
        tcp.SecondaryIsn = sequence;
        var record = new SecondaryRecord { RequiredConfirmed = long.MaxValue, PendingSyn = true };
        EnqueueSecondary(flow, ref record, now);
    }

    /// <summary>
    /// The secondary's SYN once the primary's ISN is known: its own ISN maps its bare RSTs while filter-rewriter maps
    /// the connection. A SYN that comes after the primary's was confirmed is a retransmission, or a stale one from
    /// before a checkpoint: it changes nothing.
    /// </summary>
    private static void TakeSecondarySyn(TcpStream tcp, uint sequence)
    {
        if (tcp.SecondarySynSeen || tcp.Confirmed > tcp.Start)
            return;
        tcp.SecondarySynSeen = true;
        tcp.SecondaryIsn = sequence;
        tcp.SecondaryIsnDelta = tcp.GuestInitiated ? 0 : unchecked(sequence - tcp.PrimaryIsn);
    }

    /// <summary>Nothing of the flow waits but secondary SYNs that wait for the primary's.</summary>
    private static bool IsIdle(Flow flow)
    {
        if (!flow.Primary.IsEmpty)
            return false;
        for (int i = 0; i < flow.Secondary.Count; i++)
        {
            if (!flow.Secondary[i].PendingSyn)
                return false;
        }
        return true;
    }

    /// <summary>
    /// A fresh stream for a new connection on the flow. A secondary SYN that waits for the primary's carries over: it
    /// came after the old connection ended.
    /// </summary>
    private TcpStream RestartStream(Flow flow, TcpStream old)
    {
        old.PrimaryBytes.Release();
        old.SecondaryBytes.Release();
        var fresh = new TcpStream(_memory);
        if (!old.IsnKnown && old.SecondarySynSeen)
        {
            fresh.SecondarySynSeen = true;
            fresh.SecondaryIsn = old.SecondaryIsn;
        }
        flow.Tcp = fresh;
        Counters.StreamsRestarted++;
        return fresh;
    }

    /// <summary>Moves where comparison starts (and the confirmed point with it): set once, or lowered while tentative.</summary>
    private void MoveStart(TcpStream tcp, long offset)
    {
        if (!tcp.HasStart)
            PlaceStart(tcp, offset);
        else if (!tcp.Anchored && offset < tcp.Start && tcp.Start - offset <= _maxStreamWindow)
            PlaceStart(tcp, offset);
    }

    private void PlaceStart(TcpStream tcp, long offset)
    {
        tcp.Start = offset;
        tcp.HasStart = true;
        tcp.Confirmed = offset;
        tcp.PrimaryBytes.LowerBase(offset);
        tcp.SecondaryBytes.LowerBase(offset);
    }

    /// <summary>
    /// A tentative start that only the secondary's bytes reach: the secondary sent bytes the primary had sent before
    /// the flow was picked up, and the primary will not send them again. Once the secondary holds the primary's first
    /// byte, comparison starts there instead of waiting for ever; the secondary's earlier bytes are not compared.
    /// </summary>
    private void StartAtPrimaryFirstByte(Flow flow, TcpStream tcp)
    {
        long c = tcp.Confirmed;
        if (tcp.PrimaryBytes.IsEmpty || tcp.PrimaryBytes.ContiguousEnd > c || HasMarkerAt(tcp, c))
            return;
        long first = tcp.PrimaryBytes.FirstOffset;
        if (!tcp.SecondaryBytes.Contains(first))
            return;
        tcp.Start = first;
        tcp.Confirmed = first;
        tcp.PrimaryBytes.AdvanceTo(first);
        tcp.SecondaryBytes.AdvanceTo(first);
        for (int i = flow.Secondary.Count - 1; i >= 0; i--)
        {
            ref SecondaryRecord record = ref flow.Secondary[i];
            if (!record.PendingSyn && !record.NeedsReset && record.RequiredConfirmed <= first)
                RemoveSecondary(flow, i, DropReason.NotCompared);
        }
    }

    private static bool IsImplausible(TcpStream tcp, long start, long end) =>
        start - tcp.Confirmed >= ImplausibleAhead || tcp.Confirmed - end >= ImplausibleBehind;

    /// <summary>
    /// The secondary's copy of the connection cannot be compared until a checkpoint: request one now (once), not after
    /// a timeout; until it completes the primary's frames wait and the secondary's are dropped. No divergence is
    /// reported: the guests did not differ, filter-rewriter's view of the connection did. Replay releases the primary's
    /// frames uncompared.
    /// </summary>
    private void EnterResync(Flow flow, TcpStream tcp, TimeSpan now)
    {
        if (flow.State != FlowState.Comparing)
            return;
        flow.State = FlowState.Resync;
        Trigger(CheckpointReason.Resync, flow.Key, true, Side.Secondary, TimeSpan.Zero, now);
        if (_options.ReleaseDivergedFlows)
            FlushFlow(flow, ReleaseReason.NotCompared, DropReason.Resync);
        while (!flow.Secondary.IsEmpty)
            RemoveSecondary(flow, 0, DropReason.Resync);
        tcp.SecondaryBytes.Reset(tcp.Confirmed);
        HoldUntilCheckpoint(flow);
    }

    /// <summary>A SYN with a new ISN while the old connection's frames still wait: it takes over at the next checkpoint.</summary>
    private void BeginRestart(Flow flow, TcpStream tcp, uint sequence, bool ack, TimeSpan now)
    {
        tcp.RestartPending = true;
        tcp.RestartIsn = sequence;
        tcp.RestartGuestInitiated = !ack;
        tcp.RestartHighestEnd = unchecked(sequence + 1);
        tcp.RestartHasAck = false;
        EnterResync(flow, tcp, now);
    }

    /// <summary>While a new connection waits to take over the flow: the primary's frames wait in arrival order.</summary>
    private void HoldForRestart(Flow flow, TcpStream tcp, Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength,
        in PacketInfo info, TimeSpan now)
    {
        if (side == Side.Primary)
        {
            TcpFlags flags = info.TcpFlags;
            uint end = unchecked(info.TcpSequence + (uint)info.PayloadLength
                + ((flags & TcpFlags.Syn) != 0 ? 1u : 0u) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0u));
            if (unchecked((int)(end - tcp.RestartHighestEnd)) > 0)
                tcp.RestartHighestEnd = end;
            if ((flags & TcpFlags.Ack) != 0)
                TcpStream.RaiseAck(ref tcp.RestartMaxAck, ref tcp.RestartHasAck, info.TcpAcknowledgment);
        }
        IngestAfterDivergence(flow, side, frame, vnetHeaderLength, now, long.MaxValue);
    }

    /// <summary>
    /// After a checkpoint the secondary runs the primary's state: every TCP flow compares again from the primary's
    /// highest sequence, with the primary's ACK as the secondary's, and filter-rewriter's offsets back at zero. A new
    /// connection that waited to take over its flow starts its stream now.
    /// </summary>
    private void Rebaseline(Flow flow)
    {
        TcpStream tcp = flow.Tcp!;
        if (tcp.RestartPending)
        {
            StartAfterRestart(flow, tcp);
            return;
        }
        if (tcp.PrimaryHighestEnd == TcpStream.None)
        {
            // The primary never sent on this flow: nothing to re-baseline on; the next segments start it afresh.
            tcp.PrimaryBytes.Release();
            tcp.SecondaryBytes.Release();
            flow.Tcp = null;
            return;
        }
        if (tcp.PrimaryHighestEnd > tcp.Confirmed)
            tcp.Confirmed = tcp.PrimaryHighestEnd;
        if (!tcp.HasStart)
        {
            tcp.Start = tcp.Confirmed;
            tcp.HasStart = true;
        }
        tcp.Anchored = true;
        tcp.PrimaryBytes.Reset(tcp.Confirmed);
        tcp.SecondaryBytes.Reset(tcp.Confirmed);
        tcp.SecondaryMaxAck = tcp.PrimaryMaxAck;
        tcp.SecondaryHasAck = tcp.PrimaryHasAck;
        tcp.SecondarySyn = tcp.PrimarySyn;
        tcp.SecondaryFin = tcp.PrimaryFin;
        tcp.SecondaryReset = tcp.PrimaryReset;
        tcp.ResetMatched = tcp.PrimaryReset != TcpStream.None;
        tcp.SecondarySynSeen = tcp.IsnKnown;
        tcp.SecondaryIsn = tcp.PrimaryIsn;
        tcp.SecondaryIsnDelta = 0;
        tcp.HistoryCount = 0;
    }

    private void StartAfterRestart(Flow flow, TcpStream old)
    {
        old.PrimaryBytes.Release();
        old.SecondaryBytes.Release();
        var tcp = new TcpStream(_memory);
        tcp.SetReference(unchecked(old.RestartIsn + 1));
        tcp.Start = -1;
        tcp.HasStart = true;
        tcp.Anchored = true;
        tcp.IsnKnown = true;
        tcp.PrimaryIsn = old.RestartIsn;
        tcp.GuestInitiated = old.RestartGuestInitiated;
        tcp.SecondarySynSeen = true;
        tcp.SecondaryIsn = old.RestartIsn;
        tcp.PrimarySyn = -1;
        tcp.SecondarySyn = -1;
        tcp.Confirmed = unchecked((int)(old.RestartHighestEnd - tcp.Reference));
        tcp.PrimaryHighestEnd = tcp.Confirmed;
        tcp.PrimaryBytes.Reset(tcp.Confirmed);
        tcp.SecondaryBytes.Reset(tcp.Confirmed);
        tcp.PrimaryMaxAck = tcp.SecondaryMaxAck = old.RestartMaxAck;
        tcp.PrimaryHasAck = tcp.SecondaryHasAck = old.RestartHasAck;
        flow.Tcp = tcp;
        Counters.StreamsRestarted++;
    }
}
