using Colo.Compare.Tests.Support;
using Colo.Packets.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Compare.Tests;

/// <summary>
/// Flows first seen in the middle of a connection (after a restart of the proxy, an eviction, a reused port): no
/// primary byte is ever taken as compared without its counterpart, and nothing waits for a byte that cannot come.
/// </summary>
public class TcpMidStreamTests
{
    private const TcpFlags SynAck = TcpFlags.Syn | TcpFlags.Ack;
    private const TcpFlags FinAck = TcpFlags.Fin | TcpFlags.Ack;

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_SecondaryFirstAtLaterByte_PrimaryBytesBeforeItAreCompared(uint seq)
    {
        var h = new EngineHarness();

        h.Secondary(Tcp(unchecked(seq + 4), Ascii("efgh")));
        h.Primary(Tcp(seq, Ascii("XXXX")));
        Assert.Empty(h.Sink.Released);
        h.Secondary(Tcp(seq, Ascii("abcd")));

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(0, d.StreamOffset);
        Assert.Equal(seq, d.Sequence);
        Assert.Empty(h.Sink.Released);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_SecondaryFirstAtLaterByteThenEqualEarlierBytes_AllComparedAndReleased(uint seq)
    {
        var h = new EngineHarness();

        h.Secondary(Tcp(unchecked(seq + 4), Ascii("efgh")));
        h.Primary(Tcp(seq, Ascii("abcd")));
        h.Secondary(Tcp(seq, Ascii("abcd")));
        h.Primary(Tcp(unchecked(seq + 4), Ascii("efgh")));

        Assert.Equal(["abcd", "efgh"], h.Sink.ReleasedPayloads());
        Assert.All(h.Sink.Released, r => Assert.Equal(ReleaseReason.Compared, r.Info.Reason));
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_PrimaryBytesBelowConfirmedStart_ReleasedAsNotCompared(uint seq)
    {
        var h = new EngineHarness();
        h.Primary(Tcp(unchecked(seq + 4), Ascii("efgh"))).Secondary(Tcp(unchecked(seq + 4), Ascii("efgh")));
        Assert.Equal(ReleaseReason.Compared, Assert.Single(h.Sink.Released).Info.Reason);

        h.Primary(Tcp(seq, Ascii("abcd")));
        h.Secondary(Tcp(seq, Ascii("zzzz")));

        Assert.Equal(ReleaseReason.NotCompared, h.Sink.Released[1].Info.Reason);
        Assert.Equal(1, h.Engine.Counters.Released(ReleaseReason.NotCompared));
        Assert.Equal(1, h.Engine.Counters.Dropped(Side.Secondary, DropReason.NotCompared));
        Assert.Empty(h.Sink.Divergences);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_SecondaryBytesBeforePrimaryFirstByte_ComparisonStartsAtPrimaryFirstByte()
    {
        // The proxy restarted: the primary's earlier bytes went out before, the lagging secondary still sends them.
        var h = new EngineHarness();
        h.Primary(Tcp(1008, Ascii("ijkl")));
        h.Secondary(Tcp(1000, Ascii("abcd"))).Secondary(Tcp(1004, Ascii("efgh")));
        Assert.Empty(h.Sink.Released);
        h.Secondary(Tcp(1008, Ascii("ijkl")));
        h.Primary(Tcp(1012, Ascii("mnop"))).Secondary(Tcp(1012, Ascii("mnop")));
        h.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(["ijkl", "mnop"], h.Sink.ReleasedPayloads());
        Assert.All(h.Sink.Released, r => Assert.Equal(ReleaseReason.Compared, r.Info.Reason));
        Assert.Equal(2, h.Engine.Counters.Dropped(Side.Secondary, DropReason.NotCompared));
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_KeepaliveSeenFirst_DoesNotSetStartAndDataFlows(uint next)
    {
        var h = new EngineHarness();
        uint probe = unchecked(next - 1);

        h.Primary(Tcp(probe, [], TcpFlags.Ack)).Secondary(Tcp(probe, [], TcpFlags.Ack));
        h.Primary(Tcp(next, Ascii("data"))).Secondary(Tcp(next, Ascii("data")));
        h.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(2, h.Sink.Released.Count);
        Assert.Equal(ReleaseReason.Compared, h.Sink.Released[1].Info.Reason);
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_ReusedPortsAfterMidStreamConnectionEnded_NewIsnBehind_Compared(uint seq)
    {
        var h = new EngineHarness();
        h.Primary(Tcp(seq, Ascii("old"), FinAck)).Secondary(Tcp(seq, Ascii("old"), FinAck));
        uint isn = unchecked(seq - 100_000);

        h.Primary(Tcp(isn, [], SynAck)).Secondary(Tcp(unchecked(isn + 77), [], SynAck));
        h.Primary(Tcp(unchecked(isn + 1), Ascii("new!"))).Secondary(Tcp(unchecked(isn + 1), Ascii("newX")));

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(3, d.StreamOffset);
        Assert.True(d.IsnKnown);
        Assert.Equal(1, h.Engine.Counters.StreamsRestarted);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_ReusedPortsAfterMidStreamConnectionEnded_NewIsnAhead_NoMemoryCap(uint seq)
    {
        var h = new EngineHarness();
        h.Primary(Tcp(seq, Ascii("old"), FinAck)).Secondary(Tcp(seq, Ascii("old"), FinAck));
        uint isn = unchecked(seq + 0x7000_0000u);

        h.Primary(Tcp(isn, [], SynAck)).Secondary(Tcp(unchecked(isn + 5), [], SynAck));
        h.Primary(Tcp(unchecked(isn + 1), Ascii("same"))).Secondary(Tcp(unchecked(isn + 1), Ascii("same")));

        Assert.Equal(3, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_ReusedPortsWhileOldFramesWait_NewConnectionHeldUntilCheckpointThenCompared()
    {
        var h = new EngineHarness();
        h.Primary(Tcp(100, [], SynAck)).Secondary(Tcp(100, [], SynAck));
        h.Primary(Tcp(101, Ascii("old"), FinAck));
        Assert.Single(h.Sink.Released);

        h.Primary(Tcp(900_000, [], SynAck));
        h.Primary(Tcp(900_001, Ascii("new")));

        Assert.Equal(1, h.Sink.TriggerCount(CheckpointReason.Resync));
        Assert.Equal(3, h.Engine.Counters.PrimaryQueued);
        Assert.Empty(h.Sink.Divergences);

        h.Engine.CompleteCheckpoint(h.Now);
        Assert.Equal(["", "old", "", "new"], h.Sink.ReleasedPayloads());
        h.Primary(Tcp(900_004, Ascii("next"))).Secondary(Tcp(900_004, Ascii("next")));
        Assert.Equal(5, h.Sink.Released.Count);
        Assert.Equal(ReleaseReason.Compared, h.Sink.Released[^1].Info.Reason);
        Assert.Single(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_SecondarySynOfNewConnectionBeforePrimarys_CarriedOverTheRestart()
    {
        var h = new EngineHarness();
        h.Primary(Tcp(500, Ascii("old"), FinAck)).Secondary(Tcp(500, Ascii("old"), FinAck));

        h.Secondary(Tcp(77, [], SynAck));
        h.Primary(Tcp(9_000_000, [], SynAck));
        h.Primary(Tcp(9_000_001, Ascii("hi"))).Secondary(Tcp(9_000_001, Ascii("hi")));

        Assert.Equal(3, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }
}
