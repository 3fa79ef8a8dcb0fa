using Colo.Compare.Tests.Support;
using Colo.Packets.Frames;
using Colo.TestSupport.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Compare.Tests;

/// <summary>UDP, ICMP and other IP protocols: datagram by datagram, FIFO, checksums ignored.</summary>
public class DatagramComparisonTests
{
    [Fact]
    public void Ingest_SecondaryLate_ReleasesPrimaryInArrivalOrder()
    {
        // QEMU's datagram queues are LIFO since 2022, which reorders output and misses matches.
        var h = new EngineHarness();
        h.Primary(Udp(Ascii("one"))).Primary(Udp(Ascii("two"))).Primary(Udp(Ascii("three")));
        Assert.Empty(h.Sink.Released);

        h.Secondary(Udp(Ascii("one"))).Secondary(Udp(Ascii("two"))).Secondary(Udp(Ascii("three")));

        Assert.Equal(["one", "two", "three"], h.Sink.ReleasedPayloads());
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_SecondaryFirst_MatchesOldestEqualDatagram()
    {
        var h = new EngineHarness();
        h.Secondary(Udp(Ascii("a"))).Secondary(Udp(Ascii("b")));

        h.Primary(Udp(Ascii("a"))).Primary(Udp(Ascii("b")));

        Assert.Equal(["a", "b"], h.Sink.ReleasedPayloads());
        Assert.Equal(0, h.Engine.Counters.SecondaryQueued);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_NoEqualQueuedDatagram_DivergesWithDatagramIndexAndOffset()
    {
        var h = new EngineHarness();
        h.Primary(Udp(Ascii("first"))).Secondary(Udp(Ascii("first")));

        h.Primary(Udp(Ascii("second-A"))).Secondary(Udp(Ascii("second-B")));

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(DivergenceKind.Datagram, d.Kind);
        Assert.Equal(1, d.DatagramIndex);
        Assert.Equal(5 + 7, d.StreamOffset);
        Assert.Equal(7, d.DatagramByteOffset);
        Assert.Equal((byte)'A', d.PrimaryContext[d.ContextOffset]);
        Assert.Equal((byte)'B', d.SecondaryContext[d.ContextOffset]);
        Assert.Equal(1, h.Sink.TriggerCount(CheckpointReason.Divergence));
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_ChecksumsIpIdAndTtlDiffer_Same()
    {
        var h = new EngineHarness();

        h.Primary(Udp(Ascii("payload"), ipId: 1, ttl: 64, checksum: 0xAAAA));
        h.Secondary(Udp(Ascii("payload"), ipId: 2, ttl: 60, checksum: 0xBBBB));

        Assert.Single(h.Sink.Released);
        Assert.Empty(h.Sink.Triggers);
    }

    [Fact]
    public void Ingest_IcmpEchoChecksumDiffers_Same()
    {
        var h = new EngineHarness();

        h.Primary(IcmpEcho(7, 1, Ascii("ping"), checksum: 0x1111)).Secondary(IcmpEcho(7, 1, Ascii("ping"), checksum: 0x2222));

        Assert.Single(h.Sink.Released);
        Assert.Empty(h.Sink.Divergences);
    }

    [Fact]
    public void Ingest_IcmpEchoPayloadDiffers_Diverges()
    {
        var h = new EngineHarness();

        h.Primary(IcmpEcho(7, 1, Ascii("ping"))).Secondary(IcmpEcho(7, 1, Ascii("pong")));

        Assert.Equal(9, Assert.Single(h.Sink.Divergences).StreamOffset);
    }

    [Fact]
    public void Ingest_Icmpv6Echo_Compared()
    {
        var h = new EngineHarness();

        h.Primary(IcmpEcho(3, 1, Ascii("v6"), address: FlowAddress.Ipv6)).Secondary(IcmpEcho(3, 1, Ascii("v6"), address: FlowAddress.Ipv6, checksum: 9));

        Assert.Single(h.Sink.Released);
        Assert.Empty(h.Sink.Triggers);
    }

    [Fact]
    public void Ingest_GreWithDifferentIpId_Same()
    {
        // QEMU compares other IPv4 protocols over the whole frame including the IP ID: a false checkpoint.
        var h = new EngineHarness();

        h.Primary(Gre(Ascii("tunnelled"), ipId: 100, ttl: 64)).Secondary(Gre(Ascii("tunnelled"), ipId: 200, ttl: 63));

        Assert.Single(h.Sink.Released);
        Assert.Empty(h.Sink.Triggers);
    }

    [Fact]
    public void Ingest_GrePayloadDiffers_Diverges()
    {
        var h = new EngineHarness();

        h.Primary(Gre(Ascii("aaaa"))).Secondary(Gre(Ascii("aaba")));

        Assert.Equal(4 + 2, Assert.Single(h.Sink.Divergences).StreamOffset);
    }

    [Fact]
    public void Ingest_UdpOverIPv6_Compared()
    {
        var h = new EngineHarness();

        h.Primary(Udp(Ascii("six"), address: FlowAddress.Ipv6)).Secondary(Udp(Ascii("six"), address: FlowAddress.Ipv6));
        h.Primary(Udp(Ascii("6ix"), address: FlowAddress.Ipv6)).Secondary(Udp(Ascii("sIx"), address: FlowAddress.Ipv6));

        Assert.Single(h.Sink.Released);
        Assert.Equal(3, Assert.Single(h.Sink.Divergences).StreamOffset);
    }

    [Fact]
    public void Ingest_PaddedUdpFrame_PaddingNotCompared()
    {
        var h = new EngineHarness();
        byte[] padded = Udp(Ascii("x"), padTo: 60);
        padded[^1] = 0x55;

        h.Primary(padded).Secondary(Udp(Ascii("x")));

        Assert.Single(h.Sink.Released);
    }

    [Fact]
    public void Ingest_NonIp_PrimaryForwardedSecondaryDroppedAndCounted()
    {
        var h = new EngineHarness();

        h.Primary(NonIp(Ascii("lldp"))).Secondary(NonIp(Ascii("lldp")));

        Assert.Equal(ReleaseReason.NotCompared, Assert.Single(h.Sink.Released).Info.Reason);
        Assert.Equal(1, h.Engine.Counters.Dropped(Side.Secondary, DropReason.NotCompared));
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_NonIpDiffersWithCompareNonIp_DivergesOnEtherTypeFlow()
    {
        var h = new EngineHarness(new CompareOptions { CompareNonIp = true });

        h.Primary(NonIp(Ascii("abcdef"))).Secondary(NonIp(Ascii("abcXef")));

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(3, d.StreamOffset);
        Assert.StartsWith("ethertype 0x88cc 02:00:00:00:00:01 -> 02:00:00:00:00:02", d.Flow.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Ingest_ArpWithCompareNonIpAndHousekeeping_ComparedWithoutPadding()
    {
        var h = new EngineHarness(new CompareOptions { CompareNonIp = true, CompareHousekeeping = true });
        byte[] padded = Arp();
        Array.Resize(ref padded, 60);
        padded[^1] = 0x77;

        h.Primary(padded).Secondary(Arp());

        Assert.Equal(ReleaseReason.Compared, Assert.Single(h.Sink.Released).Info.Reason);
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_ArpDiffersWithCompareNonIpAndHousekeeping_DivergesOnEtherTypeFlow()
    {
        var h = new EngineHarness(new CompareOptions { CompareNonIp = true, CompareHousekeeping = true });
        byte[] other = Arp();
        other[14 + 27] = 9; // target protocol address

        h.Primary(Arp()).Secondary(other);

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(27, d.StreamOffset);
        Assert.StartsWith("ethertype 0x0806 02:00:00:00:00:01 -> 02:00:00:00:00:02", d.Flow.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Ingest_MalformedPrimary_ForwardedAndCounted()
    {
        var h = new EngineHarness();
        byte[] broken = Udp(Ascii("x"));
        broken[14] = 0x41; // IHL 1

        h.Primary(broken).Secondary(broken);

        Assert.Equal(ReleaseReason.NotCompared, Assert.Single(h.Sink.Released).Info.Reason);
        Assert.Equal(2, h.Engine.Counters.MalformedFrames);
        Assert.Equal(1, h.Engine.Counters.Dropped(Side.Secondary, DropReason.Malformed));
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_FragmentedDifferentlyOnEachSide_ReassembledAndSame()
    {
        var h = new EngineHarness();
        byte[] payload = new byte[100];
        new Random(3).NextBytes(payload);
        List<byte[]> primary = UdpFragments(payload, 24, ipId: 7);
        List<byte[]> secondary = UdpFragments(payload, 48, ipId: 900);

        foreach (byte[] f in primary)
            h.Primary(f);
        Assert.Empty(h.Sink.Released);
        foreach (byte[] f in secondary)
            h.Secondary(f);

        Assert.Equal(primary, h.Sink.Released.Select(r => r.Frame));
        Assert.All(h.Sink.Released, r => Assert.Equal(ReleaseReason.Compared, r.Info.Reason));
        Assert.Equal(53, h.Sink.Released[0].Info.Flow.SourcePort);
        Assert.Equal(secondary.Count, h.Engine.Counters.SecondaryMatched);
        Assert.Empty(h.Sink.Triggers);
        Assert.Equal(0, h.Engine.BufferedBytes);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_FragmentsOutOfOrder_ReassembledAndMatchedAgainstWholeDatagram()
    {
        var h = new EngineHarness();
        byte[] payload = Ascii(new string('z', 70));
        List<byte[]> primary = UdpFragments(payload, 32, ipId: 1);
        primary.Reverse();

        foreach (byte[] f in primary)
            h.Primary(f);
        h.Secondary(Udp(payload));

        Assert.Equal(primary, h.Sink.Released.Select(r => r.Frame));
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_FragmentedPayloadDiffers_DivergesOnUdpFlowAtPayloadOffset()
    {
        var h = new EngineHarness();
        byte[] payload = Ascii(new string('a', 60));
        byte[] changed = (byte[])payload.Clone();
        changed[41] = (byte)'b';

        foreach (byte[] f in UdpFragments(payload, 16, ipId: 5))
            h.Primary(f);
        foreach (byte[] f in UdpFragments(changed, 32, ipId: 6))
            h.Secondary(f);

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(41, d.StreamOffset);
        Assert.Equal(53, d.Flow.SourcePort);
        Assert.False(d.Flow.IsFragmentFlow);
        h.AssertBalanced();
    }

    [Fact]
    public void AdvanceTime_IncompleteDatagram_TimesOutOnceAndCheckpointReleasesFragments()
    {
        var h = new EngineHarness();
        List<byte[]> fragments = UdpFragments(Ascii(new string('q', 50)), 16, ipId: 9);

        h.Primary(fragments[0]).Primary(fragments[2]);
        for (int i = 0; i < 5; i++)
            h.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(CheckpointReason.Timeout, Assert.Single(h.Sink.Triggers).Reason);
        Assert.Equal(2, h.Engine.Counters.PrimaryQueued);
        h.Engine.CompleteCheckpoint(h.Now);
        Assert.Equal([fragments[0], fragments[2]], h.Sink.Released.Select(r => r.Frame));
        Assert.Equal(0, h.Engine.BufferedBytes);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_FragmentedAndWholeDatagramsOnOneFlow_ReleasedInPrimaryOrder()
    {
        var h = new EngineHarness();
        List<byte[]> big = UdpFragments(Ascii(new string('B', 40)), 24, ipId: 3);

        h.Primary(Udp(Ascii("first")));
        foreach (byte[] f in big)
            h.Primary(f);
        h.Primary(Udp(Ascii("last")));
        h.Secondary(Udp(Ascii("first"))).Secondary(Udp(Ascii(new string('B', 40)))).Secondary(Udp(Ascii("last")));

        Assert.Equal(2 + big.Count, h.Sink.Released.Count);
        Assert.Equal(big, h.Sink.Released.Skip(1).Take(big.Count).Select(r => r.Frame));
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }
}
