using Colo.TestSupport.Frames;

namespace Colo.Differential.Tests.Scenarios;

/// <summary>
/// Random scenarios from a seed: 1-4 interleaved flows (TCP, UDP, ICMP, GRE; some IPv6 or VLAN-tagged). A TCP flow
/// has independent random segmentation per side, optional SYN/FIN/timestamps, ISNs and ACKs near the wrap, and at most
/// one twist: reordering, a retransmission, a partial retransmission over compared data, pure ACKs, e1000 padding,
/// a lagging secondary ACK, a changed byte, a FIN on one side only, or extra secondary data.
/// </summary>
internal static class ScenarioGenerator
{
    private static readonly string[] TcpTwists =
    [
        "none", "none", "none", Feature.ReorderPrimary, Feature.ReorderSecondary, Feature.RetransmitPrimary,
        Feature.RetransmitSecondary, Feature.PartialRetransmit, Feature.PureAck, Feature.Padded, Feature.AckLag,
        Feature.ContentDiff, Feature.ContentDiff, Feature.FinOneSide, Feature.LengthDiff,
    ];

    public static Scenario Generate(int seed, ushort number)
    {
        var random = new Random(seed);
        var builder = new ScenarioBuilder(new Scenario($"generated #{number}", seed, number), random);
        var flows = random.Next(1, 5);
        for (var i = 0; i < flows; i++)
        {
            var roll = random.Next(100);
            if (roll < 60)
                AddTcpFlow(builder);
            else if (roll < 80)
                AddDatagramFlow(builder, FlowKind.Udp);
            else if (roll < 92)
                AddDatagramFlow(builder, FlowKind.Icmp);
            else
                AddDatagramFlow(builder, FlowKind.OtherIp);
        }

        return builder.Interleave();
    }

    private static (bool Ipv6, ushort[] Vlans) Placement(Random random, bool allowIpv6)
    {
        var roll = random.Next(100);
        if (roll < 10 && allowIpv6)
            return (true, []);
        if (roll < 17)
            return (false, [(ushort)random.Next(1, 4095)]);
        if (roll < 19)
            return (false, [(ushort)random.Next(1, 4095), (ushort)random.Next(1, 4095)]);
        return (false, []);
    }

    private static void AddTcpFlow(ScenarioBuilder builder)
    {
        var random = builder.Random;
        var (ipv6, vlans) = Placement(random, allowIpv6: true);
        var twist = TcpTwists[random.Next(TcpTwists.Length)];
        var pad = twist == Feature.Padded;
        var flow = builder.AddFlow(FlowKind.Tcp, "tcp", ipv6, vlans);
        if (twist != "none")
            flow.Features.Add(twist);

        var isn = random.Next(4) == 0 ? uint.MaxValue - (uint)random.Next(0, 3000) : (uint)random.NextInt64(0, 1L << 32);
        var ack = random.Next(8) == 0 ? uint.MaxValue - (uint)random.Next(0, 20) : (uint)random.NextInt64(0, 1L << 32);
        var length = pad ? random.Next(1, 400) : random.Next(1, 4000);
        if (unchecked(isn + 1 + (uint)length) < isn + 1)
            flow.Features.Add(Feature.SequenceWrap);
        var data = new byte[length];
        random.NextBytes(data);
        var secondaryData = (byte[])data.Clone();
        var syn = random.Next(5) == 0;
        var fin = random.Next(4) == 0 || twist == Feature.FinOneSide;
        var timestamps = !pad && random.Next(2) == 0; // options would lift every frame above 60 bytes
        if (syn)
            flow.Features.Add(Feature.Syn);
        if (fin)
            flow.Features.Add(Feature.Fin);

        if (twist == Feature.ContentDiff)
            secondaryData[random.Next(length)] ^= (byte)random.Next(1, 256);
        if (twist == Feature.LengthDiff)
        {
            var extra = new byte[random.Next(1, 200)];
            random.NextBytes(extra);
            secondaryData = [.. secondaryData, .. extra];
        }

        var primaryAck = twist == Feature.AckLag ? unchecked(ack + 100) : ack;
        var primary = Segment(random, data, primaryAck, maxSegment: pad ? 40 : 1460);
        var secondary = Segment(random, secondaryData, ack, maxSegment: pad ? 40 : 1460);
        if (primary.Count > 1 || secondary.Count > 1)
            flow.Features.Add(Feature.Resegmented);

        switch (twist)
        {
            case Feature.ReorderPrimary:
                SwapAdjacent(random, primary);
                break;
            case Feature.ReorderSecondary:
                SwapAdjacent(random, secondary);
                break;
            case Feature.RetransmitPrimary:
                Retransmit(random, primary);
                break;
            case Feature.RetransmitSecondary:
                Retransmit(random, secondary);
                break;
            case Feature.PartialRetransmit:
                PartialRetransmit(random, primary, data, primaryAck);
                break;
            case Feature.PureAck:
            case Feature.Padded:
                AddPureAcks(random, primary, primaryAck);
                AddPureAcks(random, secondary, ack);
                break;
        }

        if (syn)
        {
            primary.Insert(0, new TcpSegment(-1, [], TcpSegment.Syn | TcpSegment.AckFlag, primaryAck));
            secondary.Insert(0, new TcpSegment(-1, [], TcpSegment.Syn | TcpSegment.AckFlag, ack));
        }

        if (fin)
        {
            primary.Add(new TcpSegment(data.Length, [], TcpSegment.Fin | TcpSegment.AckFlag, primaryAck));
            if (twist != Feature.FinOneSide)
                secondary.Add(new TcpSegment(secondaryData.Length, [], TcpSegment.Fin | TcpSegment.AckFlag, ack));
        }

        if (twist == Feature.AckLag)
            secondary.Add(new TcpSegment(secondaryData.Length + (fin ? 1 : 0), [], TcpSegment.AckFlag, primaryAck));
        if (unchecked(ack + 100) < ack || twist == Feature.AckLag && unchecked(ack + 100) < 100)
            flow.Features.Add(Feature.AckWrap);

        var sourcePort = (ushort)random.Next(1024, 65535);
        var destinationPort = (ushort)random.Next(1024, 65535);
        builder.AddList(flow, Side.Primary, builder.TcpFrames(flow, Side.Primary, primary, sourcePort, destinationPort, isn, timestamps, pad));
        builder.AddList(flow, Side.Secondary, builder.TcpFrames(flow, Side.Secondary, secondary, sourcePort, destinationPort, isn, timestamps, pad));
    }

    private static List<TcpSegment> Segment(Random random, byte[] data, uint ack, int maxSegment)
    {
        var segments = new List<TcpSegment>();
        var offset = 0;
        // At most ~24 segments per side: queues stay far below max_queue_size.
        var typical = Math.Max(random.Next(1, maxSegment + 1), (data.Length / 16) + 1);
        while (offset < data.Length)
        {
            var size = Math.Min(data.Length - offset, random.Next(3) == 0 ? random.Next((data.Length / 24) + 1, maxSegment + 1) : typical);
            segments.Add(new TcpSegment(offset, data[offset..(offset + size)], TcpSegment.Psh | TcpSegment.AckFlag, ack));
            offset += size;
        }

        return segments;
    }

    private static void SwapAdjacent(Random random, List<TcpSegment> segments)
    {
        if (segments.Count < 2)
            return;
        var i = random.Next(segments.Count - 1);
        (segments[i], segments[i + 1]) = (segments[i + 1], segments[i]);
    }

    private static void Retransmit(Random random, List<TcpSegment> segments)
    {
        var i = random.Next(segments.Count);
        var at = random.Next(i + 1, segments.Count + 1);
        segments.Insert(at, segments[i]);
    }

    /// <summary>Resends the tail of segment i together with the start of segment i+1 (overlap plus new bytes).</summary>
    private static void PartialRetransmit(Random random, List<TcpSegment> segments, byte[] data, uint ack)
    {
        if (segments.Count < 2)
            return;
        var i = random.Next(segments.Count - 1);
        var first = segments[i];
        var next = segments[i + 1];
        var start = first.Offset + random.Next(first.Data.Length);
        var end = next.Offset + next.Data.Length;
        segments[i + 1] = new TcpSegment(start, data[(int)start..(int)end], TcpSegment.Psh | TcpSegment.AckFlag, ack);
    }

    private static void AddPureAcks(Random random, List<TcpSegment> segments, uint ack)
    {
        var count = random.Next(1, 4);
        for (var k = 0; k < count; k++)
        {
            var at = random.Next(segments.Count + 1);
            var offset = at == 0 ? 0 : segments[at - 1].Offset + segments[at - 1].Data.Length;
            segments.Insert(at, new TcpSegment(offset, [], TcpSegment.AckFlag, ack));
        }
    }

    private static void AddDatagramFlow(ScenarioBuilder builder, FlowKind kind)
    {
        var random = builder.Random;
        var (ipv6, vlans) = Placement(random, allowIpv6: kind != FlowKind.OtherIp);
        var flow = builder.AddFlow(kind, kind.ToString().ToLowerInvariant(), ipv6, vlans);
        var count = random.Next(1, 7);
        var diff = random.Next(5) == 0 ? random.Next(count) : -1;
        if (diff >= 0)
            flow.Features.Add(Feature.ContentDiff);
        if (kind == FlowKind.OtherIp)
            flow.Features.Add(Feature.IpIdDiff);
        var pad = random.Next(10) == 0;
        if (pad)
            flow.Features.Add(Feature.Padded);
        var sourcePort = (ushort)random.Next(1024, 65535);
        var identifier = (ushort)random.Next(65536);
        var primary = new List<byte[]>();
        var secondary = new List<byte[]>();
        for (var i = 0; i < count; i++)
        {
            var payload = new byte[pad ? random.Next(1, 10) : random.Next(1, 600)];
            random.NextBytes(payload);
            var secondaryPayload = (byte[])payload.Clone();
            if (i == diff)
                secondaryPayload[random.Next(payload.Length)] ^= 0x20;
            primary.Add(Datagram(builder, flow, kind, Side.Primary, sourcePort, identifier, (ushort)i, payload, pad));
            secondary.Add(Datagram(builder, flow, kind, Side.Secondary, sourcePort, identifier, (ushort)i, secondaryPayload, pad));
        }

        if (diff < 0 && random.Next(10) == 0)
        {
            // The secondary sends one datagram more; it waits for a primary one that never comes.
            flow.Features.Add(Feature.SecondaryExtra);
            var extra = new byte[random.Next(1, 100)];
            random.NextBytes(extra);
            secondary.Add(Datagram(builder, flow, kind, Side.Secondary, sourcePort, identifier, (ushort)count, extra, pad));
        }

        builder.AddList(flow, Side.Primary, primary);
        builder.AddList(flow, Side.Secondary, secondary);
    }

    public static byte[] Datagram(
        ScenarioBuilder builder, FlowInfo flow, FlowKind kind, Side side, ushort sourcePort, ushort identifier,
        ushort sequence, byte[] payload, bool pad)
    {
        var ipId = side == Side.Primary ? builder.NextPrimaryIpId() : builder.SecondaryIpId();
        var ttl = side == Side.Primary ? (byte)64 : (byte)63;
        var padTo = pad ? FrameBuilder.MinimumFrameLength : 0;
        return kind switch
        {
            FlowKind.Udp => FrameBuilder.Udp(payload, sourcePort, 53, flow.Address, ipId, ttl, padTo),
            FlowKind.Icmp => FrameBuilder.IcmpEcho(identifier, sequence, payload, address: flow.Address, ipId: ipId, ttl: ttl, padTo: padTo),
            _ => FrameBuilder.Gre(payload, flow.Address, ipId, ttl, padTo),
        };
    }
}
