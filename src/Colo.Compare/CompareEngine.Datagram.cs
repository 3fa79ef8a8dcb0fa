using Colo.Compare.Internal;
using Colo.Packets.Frames;

namespace Colo.Compare;

// UDP, ICMP, ICMPv6, other IP protocols and IP fragments: a primary datagram matches the oldest equal queued
// secondary datagram of its flow; released in primary arrival order; no equal one while the secondary has queued
// datagrams is a divergence. Checksums are never compared.
public sealed partial class CompareEngine
{
    /// <summary>A datagram whose compared bytes are <paramref name="length"/> bytes at <paramref name="offset"/> of the frame.</summary>
    private void IngestDatagram(Flow flow, Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, int offset, int length,
        TimeSpan now)
    {
        ReadOnlySpan<byte> bytes = frame.Slice(offset, length);
        bool skipChecksum = SkipsChecksum(flow.Key);

        if (side == Side.Primary)
        {
            long index = flow.PrimaryDatagramCount++;
            long streamOffset = flow.PrimaryDatagramBytes;
            flow.PrimaryDatagramBytes += length;
            if (flow.State == FlowState.Diverged)
            {
                IngestAfterDivergence(flow, side, frame, vnetHeaderLength, now);
                return;
            }

            if (flow.Primary.IsEmpty && !flow.Secondary.IsEmpty)
            {
                int match = FindEqualSecondary(flow, bytes, skipChecksum);
                if (match >= 0)
                {
                    RemoveSecondary(flow, match, drop: null);
                    ReleaseDirect(frame, ReleaseReason.Compared, flow.Key, now, vnetHeaderLength);
                    return;
                }
                DivergeDatagram(flow, bytes, DatagramBytes(flow, flow.Secondary.Head), skipChecksum, streamOffset, index, now);
                IngestAfterDivergence(flow, side, frame, vnetHeaderLength, now);
                return;
            }

            var pending = new PendingFrame
            {
                CompareOffset = offset,
                CompareLength = length,
                StreamOffset = streamOffset,
                DatagramIndex = index,
            };
            EnqueuePrimary(flow, frame, vnetHeaderLength, ref pending, now);
            MatchDatagrams(flow, skipChecksum, now);
            return;
        }

        if (flow.State == FlowState.Diverged)
        {
            DropSecondary(DropReason.Diverged);
            return;
        }

        // Fast path: the oldest unmatched primary datagram is waiting and nothing older is queued on this side.
        if (flow.Secondary.IsEmpty && !flow.Primary.IsEmpty)
        {
            ref PendingFrame head = ref flow.Primary.Head;
            ReadOnlySpan<byte> primaryBytes = DatagramBytes(flow, head);
            if (FirstDifference(primaryBytes, bytes, skipChecksum) < 0)
            {
                head.Matched = true;
                Counters.SecondaryMatched++;
                ReleaseReadyDatagrams(flow);
                return;
            }
            DivergeDatagram(flow, primaryBytes, bytes, skipChecksum, head.StreamOffset, head.DatagramIndex, now);
            DropSecondary(DropReason.Diverged);
            return;
        }

        if (OverMemoryCap)
        {
            if (!_memoryCapReported)
            {
                _memoryCapReported = true;
                Trigger(CheckpointReason.MemoryCap, flow.Key, true, side, TimeSpan.Zero, now);
            }
            DropSecondary(DropReason.MemoryCap);
            return;
        }

        long position = flow.SecondaryStore.Append(bytes, contiguous: true);
        flow.SecondaryStore.Pin(position, length);
        var record = new SecondaryRecord { HasData = true, Position = position, Length = length };
        EnqueueSecondary(flow, ref record, now);
        MatchDatagrams(flow, skipChecksum, now);
    }

    /// <summary>Matches queued primary datagrams, oldest first, against the secondary's queue.</summary>
    private void MatchDatagrams(Flow flow, bool skipChecksum, TimeSpan now)
    {
        for (int i = 0; i < flow.Primary.Count && !flow.Secondary.IsEmpty; i++)
        {
            ref PendingFrame pending = ref flow.Primary[i];
            if (pending.Matched)
                continue;
            ReadOnlySpan<byte> bytes = DatagramBytes(flow, pending);
            int match = FindEqualSecondary(flow, bytes, skipChecksum);
            if (match < 0)
            {
                DivergeDatagram(flow, bytes, DatagramBytes(flow, flow.Secondary.Head), skipChecksum, pending.StreamOffset,
                    pending.DatagramIndex, now);
                return;
            }
            pending.Matched = true;
            RemoveSecondary(flow, match, drop: null);
        }
        ReleaseReadyDatagrams(flow);
    }

    private void ReleaseReadyDatagrams(Flow flow)
    {
        while (!flow.Primary.IsEmpty && flow.Primary.Head.Matched)
            ReleaseHead(flow, ReleaseReason.Compared);
    }

    private int FindEqualSecondary(Flow flow, ReadOnlySpan<byte> bytes, bool skipChecksum)
    {
        for (int i = 0; i < flow.Secondary.Count; i++)
        {
            if (FirstDifference(bytes, DatagramBytes(flow, flow.Secondary[i]), skipChecksum) < 0)
                return i;
        }
        return -1;
    }

    /// <summary>
    /// The bytes compared for a datagram: the UDP payload (ports are in the flow key, the length is implied); the
    /// whole ICMP message (its checksum skipped); the IP payload of other protocols.
    /// </summary>
    private static (int Offset, int Length) ComparedRegion(in PacketInfo info) => (info.PayloadOffset, info.PayloadLength);

    private static bool SkipsChecksum(in FlowKey key) =>
        !key.IsFragmentFlow && key.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6;

    /// <summary>Index of the first differing byte, or -1 when equal (ICMP: bytes 2-3, the checksum, are skipped).</summary>
    private static int FirstDifference(ReadOnlySpan<byte> primary, ReadOnlySpan<byte> secondary, bool skipChecksum)
    {
        if (!skipChecksum || primary.Length < 4 || secondary.Length < 4)
        {
            int same = primary.CommonPrefixLength(secondary);
            return same == primary.Length && same == secondary.Length ? -1 : same;
        }
        int head = primary[..2].CommonPrefixLength(secondary[..2]);
        if (head < 2)
            return head;
        int rest = primary[4..].CommonPrefixLength(secondary[4..]);
        return rest == primary.Length - 4 && rest == secondary.Length - 4 ? -1 : 4 + rest;
    }
}
