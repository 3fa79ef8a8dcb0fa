using Colo.Compare.Internal;
using Colo.Packets.Frames;

namespace Colo.Compare;

// TCP: the byte stream of each side, keyed by sequence number (DESIGN.md section 4, rules 1-7).
public sealed partial class CompareEngine
{
    private void IngestTcp(Flow flow, Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, in PacketInfo info, TimeSpan now)
    {
        TcpFlags flags = info.TcpFlags;
        bool syn = (flags & TcpFlags.Syn) != 0;
        bool fin = (flags & TcpFlags.Fin) != 0;
        bool rst = (flags & TcpFlags.Rst) != 0;
        bool ack = (flags & TcpFlags.Ack) != 0;
        uint sequence = info.TcpSequence;
        TcpStream tcp = flow.Tcp ??= new TcpStream(_memory);
        if (tcp.RestartPending)
        {
            // A new connection waits to take over the flow at the next checkpoint.
            HoldForRestart(flow, tcp, side, frame, vnetHeaderLength, in info, now);
            return;
        }

        // Where the segment sits in the primary's sequence space (rule 8 and filter-rewriter's behaviour).
        if (syn)
        {
            if (side == Side.Primary)
            {
                if (!TakePrimarySyn(flow, ref tcp, sequence, ack))
                {
                    BeginRestart(flow, tcp, sequence, ack, now);
                    HoldForRestart(flow, tcp, side, frame, vnetHeaderLength, in info, now);
                    return;
                }
            }
            else if (!tcp.IsnKnown)
            {
                TakeEarlySecondarySyn(flow, ref tcp, sequence, ack, info.TcpAcknowledgment, now);
                return;
            }
        }
        else if (side == Side.Secondary && rst && !ack)
        {
            // A bare RST is never rewritten: it is in the secondary's own space while filter-rewriter maps the flow.
            sequence = unchecked(sequence - tcp.SecondaryIsnDelta);
        }

        if (!tcp.HasReference)
            tcp.SetReference(sequence);
        // The secondary's SYN confirms the primary's by its presence, whatever its own sequence number.
        long start = syn && side == Side.Secondary ? tcp.Start : tcp.Offset(sequence);
        long dataStart = start + (syn ? 1 : 0);
        long dataEnd = dataStart + info.PayloadLength;
        long end = dataEnd + (fin ? 1 : 0);

        if (side == Side.Primary)
        {
            if (ack)
                TcpStream.RaiseAck(ref tcp.PrimaryMaxAck, ref tcp.PrimaryHasAck, info.TcpAcknowledgment);
            if (tcp.PrimaryHighestEnd == TcpStream.None || end > tcp.PrimaryHighestEnd)
                tcp.PrimaryHighestEnd = end;
        }
        else
        {
            if (ack)
                TcpStream.RaiseAck(ref tcp.SecondaryMaxAck, ref tcp.SecondaryHasAck, info.TcpAcknowledgment);
            if (syn)
                TakeSecondarySyn(tcp, sequence);
        }

        if (flow.State is FlowState.Diverged or FlowState.Resync)
        {
            IngestAfterDivergence(flow, side, frame, vnetHeaderLength, now, start);
            return;
        }

        bool occupiesSequence = info.PayloadLength > 0 || syn || fin || rst;
        if (side == Side.Secondary && tcp.HasStart && occupiesSequence && IsImplausible(tcp, start, end))
        {
            // Nowhere near the primary's stream: the secondary's copy of the connection is out of step.
            EnterResync(flow, tcp, now);
            DropSecondary(DropReason.Resync);
            return;
        }
        if (occupiesSequence)
            MoveStart(tcp, start);
        bool belowStart = occupiesSequence && tcp.HasStart && start < tcp.Start;

        // Control markers; one per side, the first seen at or beyond the confirmed point.
        bool newControl = false;
        long confirmed = tcp.Confirmed;
        if (syn && start >= confirmed)
            newControl |= SetMarker(ref side == Side.Primary ? ref tcp.PrimarySyn : ref tcp.SecondarySyn, start);
        if (fin && dataEnd >= confirmed)
            newControl |= SetMarker(ref side == Side.Primary ? ref tcp.PrimaryFin : ref tcp.SecondaryFin, dataEnd);
        if (rst && start >= confirmed)
            newControl |= SetMarker(ref side == Side.Primary ? ref tcp.PrimaryReset : ref tcp.SecondaryReset, start);

        bool newBytes = info.PayloadLength > 0 && dataEnd > confirmed;
        // The primary's payload lies whole in its stream buffer (written or verified there): when the frame has to wait,
        // only the bytes around the payload are stored with it.
        bool payloadInStream = false;
        if (newBytes)
        {
            StreamBuffer mine = side == Side.Primary ? tcp.PrimaryBytes : tcp.SecondaryBytes;
            bool tooFar = dataEnd - confirmed > _maxStreamWindow;
            if (tooFar || (side == Side.Secondary && OverMemoryCap))
            {
                HoldForMemory(flow, tcp, side, frame, vnetHeaderLength, start, now);
                return;
            }

            ReadOnlySpan<byte> payload = frame.Slice(info.PayloadOffset, info.PayloadLength);
            if (!CompareIncoming(flow, tcp, side, payload, dataStart, now))
            {
                IngestAfterDivergence(flow, side, frame, vnetHeaderLength, now, start);
                return;
            }
            // What the fast path did not confirm is stored (bytes below the confirmed point are never compared again).
            long from = Math.Max(dataStart, tcp.Confirmed);
            if (from < dataEnd)
            {
                StreamWrite stored = mine.Write(from, payload[(int)(from - dataStart)..], out long conflict);
                if (stored == StreamWrite.Conflict)
                {
                    DivergeTcp(flow, tcp, DivergenceKind.InconsistentRetransmission, conflict, now, side,
                        payload[(int)(conflict - dataStart)..]);
                    IngestAfterDivergence(flow, side, frame, vnetHeaderLength, now, start);
                    return;
                }
                if (stored == StreamWrite.TooFragmented)
                {
                    HoldForMemory(flow, tcp, side, frame, vnetHeaderLength, start, now);
                    return;
                }
                payloadInStream = side == Side.Primary && from == dataStart;
            }
        }

        if (newBytes || newControl)
        {
            if (!CompareStreams(flow, tcp, now))
            {
                IngestAfterDivergence(flow, side, frame, vnetHeaderLength, now, start);
                return;
            }
        }

        if (side == Side.Primary)
        {
            RetireSecondary(flow, tcp);
            ReleaseReadyTcp(flow, tcp);
            var pending = new PendingFrame
            {
                // Pure ACKs wait only for the gate (and for the frames before them).
                RequiredConfirmed = info.PayloadLength > 0 || syn || fin ? end : rst ? start : long.MinValue,
                NeedsReset = rst,
                Ack = info.TcpAcknowledgment,
                HasAck = ack,
                StreamOffset = start,
                BelowStart = belowStart,
            };
            if (CanRelease(tcp, in pending) && (flow.Primary.IsEmpty || flow.Primary.Head.StreamOffset > start))
                ReleaseDirect(frame, belowStart ? ReleaseReason.NotCompared : ReleaseReason.Compared, flow.Key, now, vnetHeaderLength);
            else if (payloadInStream && tcp.PrimaryBytes.ContainsRange(dataStart, info.PayloadLength))
                EnqueuePrimarySegment(flow, frame, vnetHeaderLength, info.PayloadOffset, info.PayloadLength, dataStart, ref pending, now);
            else
                EnqueuePrimary(flow, frame, vnetHeaderLength, ref pending, now);
        }
        else
        {
            if (!newBytes && !newControl)
            {
                // Nothing to compare: a pure ACK (its ACK number was taken above) or a retransmission of confirmed
                // bytes, or bytes below where comparison started.
                if (belowStart && end <= tcp.Start)
                    DropSecondary(DropReason.NotCompared);
                else if (occupiesSequence)
                    DropSecondary(DropReason.Retransmission);
                else
                    Counters.SecondaryMatched++;
            }
            else
            {
                var record = new SecondaryRecord { RequiredConfirmed = rst ? start : end, NeedsReset = rst };
                if (flow.Secondary.IsEmpty && IsSatisfied(tcp, in record))
                    Counters.SecondaryMatched++;
                else
                    EnqueueSecondary(flow, ref record, now);
            }
            RetireSecondary(flow, tcp);
            ReleaseReadyTcp(flow, tcp);
        }

        // A connection the guest opened keeps the secondary's own ISN for good: once its SYN is confirmed by
        // presence, only a checkpoint lets the secondary's copy follow.
        if (syn && tcp.GuestInitiated && tcp.SecondarySynSeen && tcp.SecondaryIsn != tcp.PrimaryIsn
            && flow.State == FlowState.Comparing)
        {
            EnterResync(flow, tcp, now);
        }
    }

    private static bool SetMarker(ref long marker, long offset)
    {
        if (marker != TcpStream.None)
            return false;
        marker = offset;
        return true;
    }

    private static bool CanRelease(TcpStream tcp, in PendingFrame frame)
    {
        if (frame.RequiredConfirmed > tcp.Confirmed)
            return false;
        if (frame.NeedsReset && !tcp.ResetMatched)
            return false;
        // The ACK gate: never release what acknowledges client data the secondary has not acknowledged.
        return !frame.HasAck || (tcp.SecondaryHasAck && unchecked((int)(frame.Ack - tcp.SecondaryMaxAck)) <= 0);
    }

    private static bool IsSatisfied(TcpStream tcp, in SecondaryRecord record) =>
        record.RequiredConfirmed <= tcp.Confirmed && (!record.NeedsReset || tcp.ResetMatched);

    private void ReleaseReadyTcp(Flow flow, TcpStream tcp)
    {
        while (!flow.Primary.IsEmpty && CanRelease(tcp, in flow.Primary.Head))
            ReleaseHead(flow, flow.Primary.Head.BelowStart ? ReleaseReason.NotCompared : ReleaseReason.Compared);
    }

    private void RetireSecondary(Flow flow, TcpStream tcp)
    {
        while (!flow.Secondary.IsEmpty && IsSatisfied(tcp, in flow.Secondary.Head))
            RemoveSecondary(flow, 0, drop: null);
    }

    /// <summary>
    /// After a divergence (or while the connection waits for a resync): live, primary frames wait for the checkpoint;
    /// replay, they pass uncompared.
    /// </summary>
    private void IngestAfterDivergence(Flow flow, Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, TimeSpan now, long start = 0)
    {
        bool resync = flow.State == FlowState.Resync;
        if (side == Side.Secondary)
        {
            DropSecondary(resync ? DropReason.Resync : DropReason.Diverged);
            return;
        }
        if (_options.ReleaseDivergedFlows)
        {
            ReleaseDirect(frame, resync ? ReleaseReason.NotCompared : ReleaseReason.Diverged, flow.Key, now, vnetHeaderLength);
            return;
        }
        // While a new connection waits to take over the flow, its offsets mean nothing in the old stream: keep
        // arrival order at the end of the queue.
        if (flow.Tcp is { RestartPending: true })
            start = long.MaxValue;
        var held = new PendingFrame { RequiredConfirmed = long.MaxValue, StreamOffset = start };
        EnqueuePrimary(flow, frame, vnetHeaderLength, ref held, now);
    }

    /// <summary>
    /// Fast path: when this side has nothing buffered and the other side already holds the bytes at the confirmed
    /// point, compare the incoming payload in place (no copy). Returns false on divergence.
    /// </summary>
    private bool CompareIncoming(Flow flow, TcpStream tcp, Side side, ReadOnlySpan<byte> payload, long dataStart, TimeSpan now)
    {
        long c = tcp.Confirmed;
        StreamBuffer mine = side == Side.Primary ? tcp.PrimaryBytes : tcp.SecondaryBytes;
        StreamBuffer other = side == Side.Primary ? tcp.SecondaryBytes : tcp.PrimaryBytes;
        // Only when this side holds nothing from the confirmed point on (the primary keeps confirmed bytes that
        // waiting frames still need: those do not count).
        if (mine.LastEnd > c || dataStart > c || HasMarkerAt(tcp, c))
            return true;
        long otherEnd = DataEnd(other, side == Side.Primary ? tcp.SecondaryFin : tcp.PrimaryFin);
        long mineEnd = DataEnd(dataStart + payload.Length, side == Side.Primary ? tcp.PrimaryFin : tcp.SecondaryFin);
        long n = Math.Min(mineEnd, otherEnd) - c;
        if (n <= 0)
            return true;

        ReadOnlySpan<byte> incoming = payload.Slice((int)(c - dataStart), (int)n);
        int done = 0;
        while (done < n)
        {
            ReadOnlySpan<byte> stored = other.GetSpan(c + done, (int)n - done);
            ReadOnlySpan<byte> mineChunk = incoming.Slice(done, stored.Length);
            int same = mineChunk.CommonPrefixLength(stored);
            if (same < stored.Length)
            {
                tcp.RecordHistory(incoming[..(done + same)]);
                ConfirmUpToDivergence(flow, tcp, c + done + same);
                DivergeTcp(flow, tcp, DivergenceKind.Payload, c + done + same, now, side, incoming[(done + same)..]);
                return false;
            }
            done += stored.Length;
        }
        tcp.RecordHistory(incoming);
        AdvanceConfirmed(flow, tcp, c + n);
        return true;
    }

    /// <summary>Advances the confirmed point over everything both sides hold equal. Returns false on divergence.</summary>
    private bool CompareStreams(Flow flow, TcpStream tcp, TimeSpan now)
    {
        if (!tcp.Anchored)
            StartAtPrimaryFirstByte(flow, tcp);
        while (true)
        {
            long c = tcp.Confirmed;

            // RST occupies no sequence space: both sides must reset at the same point.
            if (!tcp.ResetMatched && (tcp.PrimaryReset == c || tcp.SecondaryReset == c))
            {
                bool primaryReset = tcp.PrimaryReset == c;
                if (primaryReset && tcp.SecondaryReset == c)
                {
                    tcp.ResetMatched = true;
                    tcp.Anchored = true;
                    return true;
                }
                if (HasContentAt(tcp, primaryReset ? Side.Secondary : Side.Primary, c))
                {
                    DivergeTcp(flow, tcp, DivergenceKind.Reset, c, now, null, default);
                    return false;
                }
                return true;
            }

            // SYN and FIN occupy one sequence number each.
            if (tcp.PrimarySyn == c || tcp.SecondarySyn == c)
            {
                if (tcp.PrimarySyn == c && tcp.SecondarySyn == c)
                {
                    AdvanceConfirmed(flow, tcp, c + 1);
                    continue;
                }
                if (HasContentAt(tcp, tcp.PrimarySyn == c ? Side.Secondary : Side.Primary, c))
                {
                    DivergeTcp(flow, tcp, DivergenceKind.Syn, c, now, null, default);
                    return false;
                }
                return true;
            }
            if (tcp.PrimaryFin == c || tcp.SecondaryFin == c)
            {
                if (tcp.PrimaryFin == c && tcp.SecondaryFin == c)
                {
                    AdvanceConfirmed(flow, tcp, c + 1);
                    continue;
                }
                if (HasContentAt(tcp, tcp.PrimaryFin == c ? Side.Secondary : Side.Primary, c))
                {
                    DivergeTcp(flow, tcp, DivergenceKind.Fin, c, now, null, default);
                    return false;
                }
                return true;
            }

            long primaryEnd = DataEnd(tcp.PrimaryBytes, tcp.PrimaryFin);
            long secondaryEnd = DataEnd(tcp.SecondaryBytes, tcp.SecondaryFin);
            long n = Math.Min(primaryEnd, secondaryEnd) - c;
            if (n <= 0)
                return true;

            long done = 0;
            while (done < n)
            {
                int want = (int)Math.Min(n - done, int.MaxValue);
                ReadOnlySpan<byte> p = tcp.PrimaryBytes.GetSpan(c + done, want);
                ReadOnlySpan<byte> s = tcp.SecondaryBytes.GetSpan(c + done, p.Length);
                p = p[..s.Length];
                int same = p.CommonPrefixLength(s);
                if (same < p.Length)
                {
                    tcp.RecordHistory(p[..same]);
                    ConfirmUpToDivergence(flow, tcp, c + done + same);
                    DivergeTcp(flow, tcp, DivergenceKind.Payload, c + done + same, now, null, default);
                    return false;
                }
                tcp.RecordHistory(p);
                done += p.Length;
            }
            AdvanceConfirmed(flow, tcp, c + n);
        }
    }

    /// <summary>
    /// The bytes before a divergence are equal on both sides: confirm them and release what they complete, so only
    /// frames that carry (or follow) the differing byte wait for the checkpoint.
    /// </summary>
    private void ConfirmUpToDivergence(Flow flow, TcpStream tcp, long offset)
    {
        AdvanceConfirmed(flow, tcp, offset);
        RetireSecondary(flow, tcp);
        ReleaseReadyTcp(flow, tcp);
    }

    private void AdvanceConfirmed(Flow flow, TcpStream tcp, long offset)
    {
        tcp.Confirmed = offset;
        tcp.Anchored = true;
        tcp.SecondaryBytes.AdvanceTo(offset);
        TrimPrimaryBytes(flow, tcp);
    }

    /// <summary>
    /// Drops the primary's confirmed bytes that no waiting frame needs: frames whose payload is read back from the
    /// stream at release keep it; the queue is in sequence order, so its head bounds what they need.
    /// </summary>
    private static void TrimPrimaryBytes(Flow flow, TcpStream tcp)
    {
        long keep = tcp.Confirmed;
        if (!flow.Primary.IsEmpty && flow.Primary.Head.StreamOffset < keep)
            keep = flow.Primary.Head.StreamOffset;
        tcp.PrimaryBytes.AdvanceTo(keep);
    }

    /// <summary>
    /// Bytes that cannot be buffered (too far ahead of the confirmed point, the memory cap reached, or too many holes):
    /// ask for a checkpoint; a primary frame waits for it, a secondary one is dropped.
    /// </summary>
    private void HoldForMemory(Flow flow, TcpStream tcp, Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, long start, TimeSpan now)
    {
        if (!_memoryCapReported)
        {
            _memoryCapReported = true;
            Trigger(CheckpointReason.MemoryCap, flow.Key, true, side, TimeSpan.Zero, now);
        }
        if (side == Side.Secondary)
        {
            DropSecondary(DropReason.MemoryCap);
            return;
        }
        var held = new PendingFrame { RequiredConfirmed = long.MaxValue, StreamOffset = start };
        ReleaseReadyTcp(flow, tcp);
        EnqueuePrimary(flow, frame, vnetHeaderLength, ref held, now);
    }

    private static bool HasMarkerAt(TcpStream tcp, long offset) =>
        tcp.PrimarySyn == offset || tcp.SecondarySyn == offset || tcp.PrimaryFin == offset || tcp.SecondaryFin == offset
        || (!tcp.ResetMatched && (tcp.PrimaryReset == offset || tcp.SecondaryReset == offset));

    /// <summary>True when <paramref name="side"/> has a byte, SYN, FIN or RST at <paramref name="offset"/>.</summary>
    private static bool HasContentAt(TcpStream tcp, Side side, long offset)
    {
        if (side == Side.Primary)
        {
            return tcp.PrimarySyn == offset || tcp.PrimaryFin == offset || tcp.PrimaryReset == offset
                || DataEnd(tcp.PrimaryBytes, tcp.PrimaryFin) > offset;
        }
        return tcp.SecondarySyn == offset || tcp.SecondaryFin == offset || tcp.SecondaryReset == offset
            || DataEnd(tcp.SecondaryBytes, tcp.SecondaryFin) > offset;
    }

    /// <summary>End of a side's contiguous data, never past its FIN.</summary>
    private static long DataEnd(StreamBuffer bytes, long fin) => DataEnd(bytes.ContiguousEnd, fin);

    private static long DataEnd(long contiguousEnd, long fin) =>
        fin != TcpStream.None && fin < contiguousEnd ? fin : contiguousEnd;
}
