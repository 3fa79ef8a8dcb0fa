using Colo.Compare.Tests.Support;
using Colo.Packets.Frames;
using static Colo.Compare.Tests.Support.TestFrames;

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

        h.Primary(IcmpEcho(3, 1, Ascii("v6"), ipv6: true)).Secondary(IcmpEcho(3, 1, Ascii("v6"), ipv6: true, checksum: 9));

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

        h.Primary(Udp(Ascii("six"), ipv6: true)).Secondary(Udp(Ascii("six"), ipv6: true));
        h.Primary(Udp(Ascii("6ix"), ipv6: true)).Secondary(Udp(Ascii("sIx"), ipv6: true));

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
    public void Ingest_Arp_PrimaryForwardedSecondaryDroppedAndCounted()
    {
        var h = new EngineHarness();

        h.Primary(Arp()).Secondary(Arp());

        Assert.Equal(ReleaseReason.NotCompared, Assert.Single(h.Sink.Released).Info.Reason);
        Assert.Equal(1, h.Engine.Counters.Dropped(Side.Secondary, DropReason.NotCompared));
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_ArpWithCompareNonIp_ComparedWithoutPadding()
    {
        var h = new EngineHarness(new CompareOptions { CompareNonIp = true });
        byte[] padded = Arp();
        Array.Resize(ref padded, 60);
        padded[^1] = 0x77;

        h.Primary(padded).Secondary(Arp());

        Assert.Equal(ReleaseReason.Compared, Assert.Single(h.Sink.Released).Info.Reason);
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_ArpDiffersWithCompareNonIp_DivergesOnEtherTypeFlow()
    {
        var h = new EngineHarness(new CompareOptions { CompareNonIp = true });
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
    public void Ingest_Ipv4Fragments_ComparedPerFragment()
    {
        var h = new EngineHarness();
        byte[] MakeFragment(string payload, ushort ipId, bool more, int offsetUnits)
        {
            byte[] f = Udp(Ascii(payload), ipId: ipId);
            f[14 + 6] = (byte)((more ? 0x20 : 0) | (offsetUnits >> 8));
            f[14 + 7] = (byte)offsetUnits;
            return f;
        }

        h.Primary(MakeFragment("part-one", 1, true, 0)).Primary(MakeFragment("part-two", 1, false, 2));
        h.Secondary(MakeFragment("part-one", 77, true, 0)).Secondary(MakeFragment("part-twX", 77, false, 2));

        Assert.Single(h.Sink.Released);
        Assert.True(Assert.Single(h.Sink.Divergences).Flow.IsFragmentFlow);
    }
}
