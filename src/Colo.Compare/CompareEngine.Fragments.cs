using System.Buffers.Binary;
using Colo.Compare.Internal;
using Colo.Packets.Frames;

namespace Colo.Compare;

// IP fragments: reassembled per side, then compared as the datagram they carry, on its own flow (DESIGN.md section 3:
// "reassemble per side, compare at L4"). The replicas may fragment differently (another MTU) and still match. The
// original fragment frames are what a primary release sends, byte-identical and in their arrival order.
public sealed partial class CompareEngine
{
    /// <summary>
    /// More fragments than any real datagram has: guests fragment at their MTU (a 64 KiB datagram is 45 pieces at 1500
    /// bytes, 51 at IPv6's minimum 1280), so 256 leaves room for tiny MTUs and stops a flood of 8-byte pieces.
    /// </summary>
    public const int MaxFragmentsPerDatagram = 256;

    private readonly Dictionary<FragmentKey, FragmentGroup> _fragments = new();

    private void IngestFragment(Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, in PacketInfo info, TimeSpan now)
    {
        FlowKey fragmentFlow = FlowKey.From(frame, info);
        if (side == Side.Secondary && OverMemoryCap)
        {
            if (!_memoryCapReported)
            {
                _memoryCapReported = true;
                Trigger(CheckpointReason.MemoryCap, fragmentFlow, true, side, TimeSpan.Zero, now);
            }
            DropSecondary(DropReason.MemoryCap);
            return;
        }
        var key = new FragmentKey(fragmentFlow, info.FragmentId, side);
        if (!_fragments.TryGetValue(key, out FragmentGroup? group))
        {
            group = new FragmentGroup { FirstArrival = now };
            _fragments.Add(key, group);
        }
        group.LastArrival = now;
        if (group.Abandoned)
        {
            // Reassembly of this datagram was given up: its fragments go on as they come, uncompared.
            ForwardOrDrop(side, frame, vnetHeaderLength, fragmentFlow, now, ReleaseReason.NotCompared, DropReason.Malformed);
            return;
        }

        byte[] copy = RentFragmentBuffer(frame.Length);
        frame.CopyTo(copy);
        int payloadLength = info.NetworkEnd - info.TransportOffset;
        group.Add(new StoredFragment(copy, frame.Length, vnetHeaderLength, now, info.TransportOffset, payloadLength,
            info.FragmentOffset));
        if (!info.MoreFragments)
            group.TotalLength = info.FragmentOffset + payloadLength;
        if (side == Side.Primary)
            Counters.PrimaryQueued++;
        else
            Counters.SecondaryQueued++;
        CheckMemoryCap(now);

        if (group.Count >= MaxFragmentsPerDatagram && !group.IsComplete)
        {
            // No real datagram comes in this many pieces: stop the work a guest could make it cost. The primary's
            // fragments are released uncompared (never dropped), the secondary's dropped, both counted.
            Counters.MalformedFrames++;
            if (side == Side.Primary)
                ReleaseGroup(group, ReleaseReason.NotCompared, fragmentFlow);
            else
                DropGroup(group, DropReason.Malformed);
            group.Abandoned = true;
            return;
        }
        if (!group.IsComplete)
            return;
        _fragments.Remove(key);
        IngestReassembled(side, fragmentFlow, info.Protocol, group, now);
    }

    private void IngestReassembled(Side side, FlowKey fragmentFlow, byte protocol, FragmentGroup group, TimeSpan now)
    {
        int total = group.TotalLength;
        byte[] datagram = RentFragmentBuffer(Math.Max(total, 1));
        group.Reassemble(datagram.AsSpan(0, total));
        (FlowKey key, int offset, int length) = ReassembledFlow(fragmentFlow, protocol, datagram.AsSpan(0, total));

        Flow flow = GetOrCreateFlow(key, now);
        Touch(flow, now);
        bool skipChecksum = SkipsChecksum(flow.Key);
        if (flow.State == FlowState.Passthrough || (flow.State == FlowState.Diverged && (side == Side.Secondary || _options.ReleaseDivergedFlows)))
        {
            ReturnFragmentBuffer(datagram);
            if (side == Side.Secondary)
                DropGroup(group, flow.State == FlowState.Passthrough ? DropReason.Passthrough : DropReason.Diverged);
            else
                ReleaseGroup(group, flow.State == FlowState.Passthrough ? ReleaseReason.Passthrough : ReleaseReason.Diverged, flow.Key);
            return;
        }

        if (side == Side.Primary)
        {
            var pending = new PendingFrame
            {
                Buffer = datagram,
                Length = total,
                CompareOffset = offset,
                CompareLength = length,
                StreamOffset = flow.PrimaryDatagramBytes,
                DatagramIndex = flow.PrimaryDatagramCount++,
                Group = group,
            };
            flow.PrimaryDatagramBytes += length;
            QueuePrimary(flow, ref pending, now);
            if (flow.State == FlowState.Comparing)
                MatchDatagrams(flow, skipChecksum, now);
            return;
        }

        // The secondary keeps only the compared bytes, moved to the start of its buffer.
        datagram.AsSpan(offset, length).CopyTo(datagram);
        var record = new SecondaryRecord { HasData = true, Data = datagram, Length = length, Group = group };
        EnqueueSecondary(flow, ref record, now);
        MatchDatagrams(flow, skipChecksum, now);
    }

    /// <summary>
    /// The flow a reassembled datagram belongs to and the bytes compared: UDP by its ports (its payload), ICMP by its
    /// echo identifier (the whole message), other protocols by addresses (the whole IP payload). TCP inside fragments
    /// (Linux sets DF on TCP, so this is rare) stays on the fragment flow and is compared by its payload as a datagram.
    /// </summary>
    private static (FlowKey Key, int Offset, int Length) ReassembledFlow(FlowKey fragmentFlow, byte protocol, ReadOnlySpan<byte> datagram)
    {
        const int UdpHeaderLength = 8;
        const int TcpMinHeaderLength = 20;
        switch (protocol)
        {
            case IpProtocol.Udp when datagram.Length >= UdpHeaderLength:
                {
                    int udpLength = BinaryPrimitives.ReadUInt16BigEndian(datagram[4..]);
                    int end = udpLength >= UdpHeaderLength && udpLength <= datagram.Length ? udpLength : datagram.Length;
                    FlowKey key = fragmentFlow.WithPorts(BinaryPrimitives.ReadUInt16BigEndian(datagram), BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]));
                    return (key, UdpHeaderLength, end - UdpHeaderLength);
                }
            case IpProtocol.Icmp or IpProtocol.Icmpv6 when datagram.Length >= 8:
                {
                    ushort id = FrameParser.IsEcho(protocol, datagram[0]) ? BinaryPrimitives.ReadUInt16BigEndian(datagram[4..]) : (ushort)0;
                    return (fragmentFlow.WithPorts(id, 0), 0, datagram.Length);
                }
            case IpProtocol.Tcp when datagram.Length >= TcpMinHeaderLength:
                {
                    int header = Math.Clamp((datagram[12] >> 4) * 4, TcpMinHeaderLength, datagram.Length);
                    return (fragmentFlow, header, datagram.Length - header);
                }
            case IpProtocol.Tcp:
                return (fragmentFlow, 0, datagram.Length);
            default:
                return (fragmentFlow.WithPorts(0, 0), 0, datagram.Length);
        }
    }

    /// <summary>Releases a datagram's fragment frames in arrival order (each counted as one released frame).</summary>
    private void ReleaseGroup(FragmentGroup group, ReleaseReason reason, FlowKey flow)
    {
        foreach (StoredFragment fragment in group.Fragments)
        {
            Counters.PrimaryQueued--;
            Counters.ReleasedBy[(int)reason]++;
            _sink.Release(fragment.Buffer.AsSpan(0, fragment.Length), new ReleaseInfo(reason, flow, fragment.Arrival, fragment.VnetHeaderLength));
        }
        ReturnFragments(group);
    }

    private void DropGroup(FragmentGroup group, DropReason reason)
    {
        Counters.SecondaryQueued -= group.Count;
        Counters.SecondaryDroppedBy[(int)reason] += group.Count;
        ReturnFragments(group);
    }

    private void ReturnFragments(FragmentGroup group)
    {
        foreach (StoredFragment fragment in group.Fragments)
            ReturnFragmentBuffer(fragment.Buffer);
        group.ClearFragments();
    }

    private byte[] RentFragmentBuffer(int length)
    {
        byte[] buffer = _memory.Fragments.Rent(length);
        _memory.OtherBytes += buffer.Length;
        return buffer;
    }

    private void ReturnFragmentBuffer(byte[] buffer)
    {
        _memory.OtherBytes -= buffer.Length;
        _memory.Fragments.Return(buffer);
    }

    /// <summary>Datagrams still missing fragments: the primary's are released, the secondary's dropped.</summary>
    private void FlushFragments(ReleaseReason release, DropReason drop)
    {
        foreach ((FragmentKey key, FragmentGroup group) in _fragments)
        {
            if (key.Side == Side.Primary)
                ReleaseGroup(group, release, key.Flow);
            else
                DropGroup(group, drop);
        }
        _fragments.Clear();
    }

    /// <summary>
    /// An incomplete datagram older than compare_timeout is reported once, like any other waiting frame; an abandoned
    /// one is forgotten once its fragments stopped coming for that long.
    /// </summary>
    private void ScanFragmentTimeouts(TimeSpan now)
    {
        List<FragmentKey>? forget = null;
        foreach ((FragmentKey key, FragmentGroup group) in _fragments)
        {
            if (group.Abandoned)
            {
                if (now - group.LastArrival > _options.CompareTimeout)
                    (forget ??= []).Add(key);
                continue;
            }
            if (!group.TimeoutReported && now - group.FirstArrival > _options.CompareTimeout)
            {
                group.TimeoutReported = true;
                Trigger(CheckpointReason.Timeout, key.Flow, true, key.Side, now - group.FirstArrival, now);
            }
        }
        if (forget is not null)
        {
            foreach (FragmentKey key in forget)
                _fragments.Remove(key);
        }
    }
}
