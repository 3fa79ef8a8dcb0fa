using Colo.Compare.Tests.Support;
using Colo.TestSupport.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Compare.Tests;

/// <summary>
/// Link-local housekeeping (ARP, IPv6 neighbour discovery, MLD, IGMP) is not compared by default: the replicas send it
/// on their own timers and the secondary after every checkpoint, so comparing it would make checkpoints that make the
/// next announcement (DESIGN.md section 4, rule 9).
/// </summary>
public class HousekeepingTests
{
    private static readonly TimeSpan PastTimeout = TimeSpan.FromSeconds(10);

    public static TheoryData<string> Kinds => new()
    {
        "arp", "neighbour-solicitation", "neighbour-advertisement", "router-solicitation", "mld-report", "mldv2-report",
        "mld-done", "igmp",
    };

    private static byte[] Frame(string kind, byte variant = 0) => kind switch
    {
        "arp" => ArpWithTarget(variant),
        "neighbour-solicitation" => Icmpv6(135, [0, 0, 0, 0, variant, 1, 2, 3]),
        "neighbour-advertisement" => Icmpv6(136, [0x20, 0, 0, 0, variant, 1, 2, 3]),
        "router-solicitation" => Icmpv6(133, [0, 0, 0, variant]),
        "mld-report" => Icmpv6(131, [0, 0, 0, variant]),
        "mldv2-report" => Icmpv6(143, [0, 0, 0, 1, 4, 0, 0, 0, variant]),
        "mld-done" => Icmpv6(132, [0, 0, 0, variant]),
        "igmp" => Igmp((byte)(22 + variant)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static byte[] ArpWithTarget(byte variant)
    {
        byte[] arp = Arp();
        arp[14 + 27] = variant;
        return arp;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Ingest_HousekeepingOnPrimaryOnly_ReleasedAtOnceAndNeverTimesOut(string kind)
    {
        var h = new EngineHarness();

        h.Primary(Frame(kind));
        h.Advance(PastTimeout).Advance(PastTimeout);

        Assert.Equal(ReleaseReason.Housekeeping, Assert.Single(h.Sink.Released).Info.Reason);
        Assert.Empty(h.Sink.Triggers);
        Assert.Equal(1, h.Engine.Counters.Released(ReleaseReason.Housekeeping));
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Ingest_HousekeepingOnSecondaryOnly_DroppedCountedAndNeverTimesOut(string kind)
    {
        var h = new EngineHarness();

        h.Secondary(Frame(kind));
        h.Advance(PastTimeout).Advance(PastTimeout);

        Assert.Empty(h.Sink.Triggers);
        Assert.Equal(1, h.Engine.Counters.Dropped(Side.Secondary, DropReason.Housekeeping));
        Assert.Equal(0, h.Engine.Counters.SecondaryQueued);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Ingest_HousekeepingDiffersBetweenReplicas_NoDivergence(string kind)
    {
        var h = new EngineHarness();

        h.Primary(Frame(kind, 1)).Secondary(Frame(kind, 2));

        Assert.Empty(h.Sink.Divergences);
        Assert.Empty(h.Sink.Triggers);
        Assert.Single(h.Sink.Released);
        h.AssertBalanced();
    }

    [Fact]
    public void CompleteCheckpoint_SecondaryAnnouncesItselfAfterRestore_NoCheckpointFollows()
    {
        // virtio-net's guest announce after every restore: gratuitous ARP, unsolicited neighbour advertisements, MLD.
        var h = new EngineHarness();
        for (int round = 0; round < 5; round++)
        {
            h.Engine.CompleteCheckpoint(h.Now);
            h.Secondary(Frame("arp", 9)).Secondary(Frame("neighbour-advertisement", 9))
                .Secondary(Frame("mldv2-report", 9)).Secondary(Frame("mldv2-report", 9));
            h.Advance(PastTimeout);
        }

        Assert.Empty(h.Sink.Triggers);
        Assert.Equal(20, h.Engine.Counters.Dropped(Side.Secondary, DropReason.Housekeeping));
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_IcmpV6EchoIsNotHousekeeping_StillCompared()
    {
        var h = new EngineHarness();

        h.Primary(IcmpEcho(1, 1, Ascii("ping"), address: FlowAddress.Ipv6)).Secondary(IcmpEcho(1, 1, Ascii("pong"), address: FlowAddress.Ipv6));

        Assert.Single(h.Sink.Divergences);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Ingest_CompareHousekeepingOn_OneSidedFrameTimesOut(string kind)
    {
        var h = new EngineHarness(new CompareOptions { CompareHousekeeping = true, CompareNonIp = true });

        h.Primary(Frame(kind));
        h.Advance(PastTimeout).Advance(PastTimeout);

        Assert.Empty(h.Sink.Released);
        Assert.Equal(1, h.Sink.TriggerCount(CheckpointReason.Timeout));
        h.AssertBalanced();
    }
}
