using Colo.Compare.Tests.Support;
using Colo.Packets.Frames;
using Colo.TestSupport.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Compare.Tests;

/// <summary>TCP is compared as a byte stream keyed by sequence number (DESIGN.md section 4, rules 1-7).</summary>
public class TcpComparisonTests
{
    private const TcpFlags SynAck = TcpFlags.Syn | TcpFlags.Ack;
    private const TcpFlags FinAck = TcpFlags.Fin | TcpFlags.Ack;

    /// <summary>Both replicas' SYN-ACK at <paramref name="isn"/>; data then starts at isn + 1.</summary>
    private static EngineHarness Connected(uint isn, CompareOptions? options = null)
    {
        var h = new EngineHarness(options);
        h.Primary(Tcp(isn, [], SynAck)).Secondary(Tcp(isn, [], SynAck));
        Assert.Single(h.Sink.Released);
        h.Sink.Released.Clear();
        return h;
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_SeedExamplePrimarySplit_ReleasesBothInOrderWithoutCheckpoint(uint isn)
    {
        var h = Connected(isn);

        h.Primary(Tcp(isn + 1, Ascii("123"))).Primary(Tcp(isn + 4, Ascii("4567890")));
        Assert.Empty(h.Sink.Released);
        h.Secondary(Tcp(isn + 1, Ascii("1234567890")));

        Assert.Equal(["123", "4567890"], h.Sink.ReleasedPayloads());
        Assert.Empty(h.Sink.Triggers);
        Assert.Equal(0, h.Engine.Counters.SecondaryQueued);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_SeedExampleSecondarySplit_ReleasesWholePrimarySegment(uint isn)
    {
        var h = Connected(isn);

        h.Secondary(Tcp(isn + 1, Ascii("123"))).Secondary(Tcp(isn + 4, Ascii("4567890")));
        h.Primary(Tcp(isn + 1, Ascii("1234567890")));

        Assert.Equal(["1234567890"], h.Sink.ReleasedPayloads());
        Assert.Empty(h.Sink.Triggers);
        Assert.Equal(0, h.Engine.Counters.SecondaryQueued);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_PrimaryIsPrefixOfSecondary_ReleasesPrimaryAndLeftoverWaits(uint isn)
    {
        var h = Connected(isn);

        h.Secondary(Tcp(isn + 1, Ascii("hello!")));
        h.Primary(Tcp(isn + 1, Ascii("hello")));

        Assert.Equal(["hello"], h.Sink.ReleasedPayloads());
        Assert.Equal(1, h.Engine.Counters.SecondaryQueued);
        Assert.Empty(h.Sink.Divergences);

        h.Primary(Tcp(isn + 6, Ascii("!")));
        Assert.Equal(["hello", "!"], h.Sink.ReleasedPayloads());
        Assert.Equal(0, h.Engine.Counters.SecondaryQueued);
        h.AssertBalanced();
    }

    [Fact]
    public void AdvanceTime_PrimaryLongerThanSecondary_TimesOutOnceNotDiverges()
    {
        var h = Connected(100);
        h.Primary(Tcp(101, Ascii("hello!"))).Secondary(Tcp(101, Ascii("hello")));

        for (int i = 0; i < 10; i++)
            h.Advance(TimeSpan.FromMilliseconds(1000));

        Assert.Empty(h.Sink.Released);
        Assert.Empty(h.Sink.Divergences);
        Assert.Equal(1, h.Sink.TriggerCount(CheckpointReason.Timeout));
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_ByteDiffers_DivergesAtItsStreamOffsetAndHoldsPrimary(uint isn)
    {
        var h = Connected(isn);

        h.Primary(Tcp(isn + 1, Ascii("abcdefgh"))).Primary(Tcp(isn + 9, Ascii("ijklmnop")));
        h.Secondary(Tcp(isn + 1, Ascii("abcdefghijkXmnop")));

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(DivergenceKind.Payload, d.Kind);
        Assert.Equal(11, d.StreamOffset);
        Assert.Equal(unchecked(isn + 1 + 11), d.Sequence);
        Assert.True(d.IsnKnown);
        Assert.Equal((byte)'l', d.PrimaryContext[d.ContextOffset]);
        Assert.Equal((byte)'X', d.SecondaryContext[d.ContextOffset]);
        Assert.Equal("abcdefghijk", System.Text.Encoding.ASCII.GetString(d.PrimaryContext, 0, d.ContextOffset));
        Assert.Equal(["abcdefgh"], h.Sink.ReleasedPayloads());
        Assert.Equal(1, h.Sink.TriggerCount(CheckpointReason.Divergence));
        Assert.Equal(1, h.Engine.Counters.PrimaryQueued);
        h.AssertBalanced();
    }

    [Fact]
    public void CompleteCheckpoint_AfterDivergence_ReleasesHeldFramesAndComparesAgainFromPrimaryState()
    {
        var h = Connected(1000);
        h.Primary(Tcp(1001, Ascii("AAAA"))).Secondary(Tcp(1001, Ascii("AAAB")));
        h.Primary(Tcp(1005, Ascii("CCCC")));
        Assert.Empty(h.Sink.Released);

        h.Engine.CompleteCheckpoint(h.Now);

        Assert.Equal(["AAAA", "CCCC"], h.Sink.ReleasedPayloads());
        Assert.All(h.Sink.Released, r => Assert.Equal(ReleaseReason.Checkpoint, r.Info.Reason));
        // The secondary now runs from the primary's state: its old bytes are not compared again, new ones are.
        h.Secondary(Tcp(1001, Ascii("AAAACCCC")));
        h.Primary(Tcp(1009, Ascii("DD"))).Secondary(Tcp(1009, Ascii("DD")));
        Assert.Equal(["AAAA", "CCCC", "DD"], h.Sink.ReleasedPayloads());
        Assert.Single(h.Sink.Divergences);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_RetransmissionOverlappingConfirmedBytes_ComparesOnlyNewBytes(uint isn)
    {
        var h = Connected(isn);
        h.Primary(Tcp(isn + 1, Ascii("0123456789"))).Secondary(Tcp(isn + 1, Ascii("0123456789")));

        // The secondary resends 5..9 with new bytes 10..14; QEMU compares it misaligned against the primary's next segment.
        h.Secondary(Tcp(isn + 6, Ascii("56789ABCDE")));
        h.Primary(Tcp(isn + 11, Ascii("ABCDE")));

        Assert.Equal(["0123456789", "ABCDE"], h.Sink.ReleasedPayloads());
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_SecondaryRetransmitsConfirmedBytesWithOtherContent_IsDroppedNotCompared()
    {
        var h = Connected(5);
        h.Primary(Tcp(6, Ascii("0123456789"))).Secondary(Tcp(6, Ascii("0123456789")));

        h.Secondary(Tcp(6, Ascii("xxxxx")));

        Assert.Empty(h.Sink.Divergences);
        Assert.Equal(1, h.Engine.Counters.Dropped(Side.Secondary, DropReason.Retransmission));
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_PrimaryRetransmissionWhileNewerDataWaits_ReleasedFirst(uint isn)
    {
        var h = Connected(isn);
        h.Primary(Tcp(isn + 1, Ascii("old"))).Secondary(Tcp(isn + 1, Ascii("old")));
        h.Primary(Tcp(isn + 4, Ascii("new")));

        h.Primary(Tcp(isn + 1, Ascii("old")));
        Assert.Equal(["old", "old"], h.Sink.ReleasedPayloads());
        h.Secondary(Tcp(isn + 4, Ascii("new")));

        Assert.Equal(["old", "old", "new"], h.Sink.ReleasedPayloads());
        h.AssertBalanced();
    }

    [Fact]
    public void AdvanceTime_OlderFrameBehindNewerHead_StillTimesOut()
    {
        var h = Connected(1);
        h.Secondary(Tcp(2, [], TcpFlags.Ack, acknowledgment: 500));
        h.Primary(Tcp(12, Ascii("later")));
        h.Advance(TimeSpan.FromSeconds(2));
        h.Primary(Tcp(2, Ascii("earlier!!!"), acknowledgment: 900));

        h.Advance(TimeSpan.FromSeconds(1.5));

        CheckpointTrigger t = Assert.Single(h.Sink.Triggers);
        Assert.True(t.Waited >= TimeSpan.FromSeconds(3.5));
    }

    [Fact]
    public void Ingest_PrimaryRetransmitsConfirmedBytes_ReleasedThroughGateWithoutSecondary()
    {
        var h = Connected(5);
        h.Primary(Tcp(6, Ascii("0123456789"))).Secondary(Tcp(6, Ascii("0123456789")));

        h.Primary(Tcp(6, Ascii("01234")));

        Assert.Equal(["0123456789", "01234"], h.Sink.ReleasedPayloads());
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_SideResendsDifferentBytesForUnconfirmedRange_DivergesAtFirstDifference(uint isn)
    {
        var h = Connected(isn);
        h.Primary(Tcp(isn + 1, Ascii("abcdef")));

        h.Primary(Tcp(isn + 3, Ascii("cdXf")));

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(DivergenceKind.InconsistentRetransmission, d.Kind);
        Assert.Equal(4, d.StreamOffset);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_OutOfOrderOnBothSides_ReleasesInSequenceOrder(uint isn)
    {
        var h = Connected(isn);

        h.Primary(Tcp(isn + 7, Ascii("ghi"))).Primary(Tcp(isn + 1, Ascii("abc"))).Primary(Tcp(isn + 4, Ascii("def")));
        h.Secondary(Tcp(isn + 5, Ascii("efghi")));
        Assert.Empty(h.Sink.Released);
        h.Secondary(Tcp(isn + 1, Ascii("abcd")));

        Assert.Equal(["abc", "def", "ghi"], h.Sink.ReleasedPayloads());
        Assert.Empty(h.Sink.Triggers);
        Assert.Equal(0, h.Engine.Counters.SecondaryQueued);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_FinWhereOtherSideHasData_DivergesAtFinOffset(uint isn)
    {
        var h = Connected(isn);

        h.Primary(Tcp(isn + 1, Ascii("abc"), FinAck));
        h.Secondary(Tcp(isn + 1, Ascii("abcdef")));

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(DivergenceKind.Fin, d.Kind);
        Assert.Equal(3, d.StreamOffset);
        Assert.Empty(h.Sink.Released);
    }

    [Fact]
    public void Ingest_DataBeyondOtherSidesFin_Diverges()
    {
        var h = Connected(50);

        h.Secondary(Tcp(51, Ascii("abc"), FinAck));
        h.Primary(Tcp(51, Ascii("abcdef")));

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(DivergenceKind.Fin, d.Kind);
        Assert.Equal(3, d.StreamOffset);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_MatchingFinsInDifferentSegments_ReleasesFin(uint isn)
    {
        var h = Connected(isn);

        h.Primary(Tcp(isn + 1, Ascii("abc"))).Primary(Tcp(isn + 4, [], FinAck));
        h.Secondary(Tcp(isn + 1, Ascii("abc"), FinAck));

        Assert.Equal(2, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_ResetOnOneSideOnly_DivergesWhenOtherSendsData()
    {
        var h = Connected(7);
        h.Primary(Tcp(8, [], TcpFlags.Rst | TcpFlags.Ack));
        Assert.Empty(h.Sink.Released);

        h.Secondary(Tcp(8, Ascii("data")));

        Assert.Equal(DivergenceKind.Reset, Assert.Single(h.Sink.Divergences).Kind);
    }

    [Fact]
    public void Ingest_ResetOnBothSides_ReleasesPrimaryReset()
    {
        var h = Connected(7);
        h.Primary(Tcp(8, [], TcpFlags.Rst | TcpFlags.Ack)).Secondary(Tcp(8, [], TcpFlags.Rst | TcpFlags.Ack));

        Assert.Single(h.Sink.Released);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_PrimaryAcksMoreThanSecondary_WaitsForSecondaryAckWithoutCheckpoint(uint isn)
    {
        var h = Connected(isn);
        uint clientData = 5000;

        h.Primary(Tcp(isn + 1, Ascii("reply"), acknowledgment: clientData + 10));
        h.Secondary(Tcp(isn + 1, Ascii("reply"), acknowledgment: clientData));
        Assert.Empty(h.Sink.Released);
        Assert.Empty(h.Sink.Triggers);

        h.Secondary(Tcp(isn + 6, [], TcpFlags.Ack, acknowledgment: clientData + 10));

        Assert.Equal(["reply"], h.Sink.ReleasedPayloads());
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_SecondaryAcksArriveReordered_GateUsesHighestNotLast()
    {
        // QEMU keeps the last ACK seen, so a reordered older ACK re-closes its gate.
        var h = Connected(1);
        h.Secondary(Tcp(2, [], TcpFlags.Ack, acknowledgment: 2000)).Secondary(Tcp(2, [], TcpFlags.Ack, acknowledgment: 1500));

        h.Primary(Tcp(2, [], TcpFlags.Ack, acknowledgment: 2000));

        Assert.Single(h.Sink.Released);
    }

    [Fact]
    public void Ingest_SecondaryAckWrapsPastZero_GateUsesSerialOrder()
    {
        var h = Connected(1);
        h.Secondary(Tcp(2, [], TcpFlags.Ack, acknowledgment: 0xFFFFFFF0)).Secondary(Tcp(2, [], TcpFlags.Ack, acknowledgment: 0x10));

        h.Primary(Tcp(2, [], TcpFlags.Ack, acknowledgment: 0x08));

        Assert.Single(h.Sink.Released);
    }

    [Fact]
    public void Ingest_PureAckWithGateOpen_ReleasedAtOnce()
    {
        var h = Connected(1);
        h.Secondary(Tcp(2, [], TcpFlags.Ack, acknowledgment: 3000));

        h.Primary(Tcp(2, [], TcpFlags.Ack, acknowledgment: 3000, window: 123));

        Assert.Single(h.Sink.Released);
    }

    [Fact]
    public void Ingest_PureAckBehindUnconfirmedData_WaitsForIt()
    {
        var h = Connected(1);
        h.Secondary(Tcp(2, [], TcpFlags.Ack, acknowledgment: 1000));
        h.Primary(Tcp(2, Ascii("data"))).Primary(Tcp(6, [], TcpFlags.Ack));
        Assert.Empty(h.Sink.Released);

        h.Secondary(Tcp(2, Ascii("data")));

        Assert.Equal(["data", ""], h.Sink.ReleasedPayloads());
    }

    [Fact]
    public void AdvanceTime_SecondarySegmentFullyConsumed_NoSpuriousTimeout()
    {
        var h = Connected(1);
        h.Secondary(Tcp(2, Ascii("0123456789")));
        h.Primary(Tcp(2, Ascii("01234"))).Primary(Tcp(7, Ascii("56789")));

        for (int i = 0; i < 10; i++)
            h.Advance(TimeSpan.FromSeconds(1));

        Assert.Empty(h.Sink.Triggers);
        Assert.Equal(0, h.Engine.Counters.SecondaryQueued);
    }

    [Fact]
    public void Ingest_HeaderFieldsDiffer_NoDivergence()
    {
        var h = Connected(1);
        byte[] timestampsA = [1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2];
        byte[] timestampsB = [1, 1, 8, 10, 0, 0, 9, 9, 0, 0, 7, 7];

        h.Primary(Tcp(2, Ascii("payload"), ipId: 111, ttl: 64, window: 1000, options: timestampsA, checksum: 0x1234));
        h.Secondary(Tcp(2, Ascii("payload"), ipId: 999, ttl: 63, window: 2000, options: timestampsB, checksum: 0x4321));

        Assert.Single(h.Sink.Released);
        Assert.Empty(h.Sink.Triggers);
    }

    [Fact]
    public void Ingest_PaddedShortFrame_PaddingIsNotPayload()
    {
        // e1000 pads short frames to 60 bytes; QEMU counts the padding as TCP payload.
        var h = Connected(1);
        byte[] padded = Tcp(2, Ascii("ok"), padTo: 60);
        padded[^1] = 0xEE;

        h.Primary(padded).Secondary(Tcp(2, Ascii("ok")));

        Assert.Single(h.Sink.Released);
        Assert.Equal(padded, h.Sink.Released[0].Frame);
        Assert.Empty(h.Sink.Triggers);
    }

    [Fact]
    public void Ingest_IPv6Stream_ComparedLikeIPv4()
    {
        var h = new EngineHarness();
        h.Primary(Tcp(9, [], SynAck, address: FlowAddress.Ipv6)).Secondary(Tcp(9, [], SynAck, address: FlowAddress.Ipv6));
        h.Primary(Tcp(10, Ascii("123"), address: FlowAddress.Ipv6)).Primary(Tcp(13, Ascii("456"), address: FlowAddress.Ipv6));
        h.Secondary(Tcp(10, Ascii("12X456"), address: FlowAddress.Ipv6));

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(2, d.StreamOffset);
        Assert.Equal(6, d.Flow.IpVersion);
    }

    [Fact]
    public void Ingest_VlanTagged_ComparedWithinVlanAndKeyedByIt()
    {
        var h = new EngineHarness();
        h.Primary(Tcp(1, Ascii("abc"), address: FlowAddress.Ipv4.Tagged(10))).Secondary(Tcp(1, Ascii("abc"), address: FlowAddress.Ipv4.Tagged(10)));
        Assert.Single(h.Sink.Released);

        h.Primary(Tcp(4, Ascii("def"), address: FlowAddress.Ipv4.Tagged(10))).Secondary(Tcp(4, Ascii("def"), address: FlowAddress.Ipv4.Tagged(20)));

        Assert.Single(h.Sink.Released);
        Assert.Equal(2, h.Engine.FlowCount);
    }

    [Fact]
    public void Ingest_VnetHeaderPresent_ReleasedByteIdenticalWithIt()
    {
        var h = new EngineHarness();
        byte[] primary = Tcp(1, Ascii("x"), vnetHeaderLength: 12);
        primary[0] = 0xAB;

        h.Primary(primary, vnet: 12).Secondary(Tcp(1, Ascii("x"), vnetHeaderLength: 10), vnet: 10);

        Assert.Equal(primary, h.Sink.Released[0].Frame);
        Assert.Equal(12, h.Sink.Released[0].Info.VnetHeaderLength);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_StreamCrossesSequenceWrap_ComparesAcrossIt(uint isn)
    {
        var h = Connected(isn);
        var data = new byte[300];
        for (int i = 0; i < data.Length; i++)
            data[i] = (byte)i;

        uint seq = isn + 1;
        for (int i = 0; i < 300; i += 100)
            h.Primary(Tcp(unchecked(seq + (uint)i), data.AsSpan(i, 100)));
        var changed = (byte[])data.Clone();
        changed[250] ^= 0xFF;
        h.Secondary(Tcp(seq, changed.AsSpan(0, 150))).Secondary(Tcp(unchecked(seq + 150), changed.AsSpan(150)));

        Assert.Equal(250, Assert.Single(h.Sink.Divergences).StreamOffset);
        Assert.Equal(2, h.Sink.Released.Count);
    }

    [Fact]
    public void Ingest_FlowSeenMidStream_StreamOffsetCountsFromFirstSequence()
    {
        var h = new EngineHarness();
        h.Primary(Tcp(777, Ascii("abcd"))).Secondary(Tcp(777, Ascii("abXd")));

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(2, d.StreamOffset);
        Assert.False(d.IsnKnown);
    }

    [Fact]
    public void Ingest_GsoSuperFrameAgainstMssSegments_Same()
    {
        var h = Connected(100);
        var data = new byte[64000];
        new Random(7).NextBytes(data);

        for (int i = 0; i < data.Length; i += 1448)
            h.Primary(Tcp(101 + (uint)i, data.AsSpan(i, Math.Min(1448, data.Length - i))));
        h.Secondary(Tcp(101, data));

        Assert.Equal((data.Length + 1447) / 1448, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_NewConnectionReusesPorts_StartsFreshStream()
    {
        var h = Connected(100);
        h.Primary(Tcp(101, Ascii("a"), FinAck)).Secondary(Tcp(101, Ascii("a"), FinAck));

        h.Primary(Tcp(90000, [], SynAck)).Secondary(Tcp(90000, [], SynAck));
        h.Primary(Tcp(90001, Ascii("b"))).Secondary(Tcp(90001, Ascii("b")));

        Assert.Equal(3, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Triggers);
    }
}
