using Colo.Compare.Tests.Support;
using Colo.Packets.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Compare.Tests;

/// <summary>
/// Handshakes as a real COLO pair shows them (DESIGN.md section 1, rule 8): filter-rewriter maps the secondary's TCP
/// into the primary's sequence space only after the client's handshake ACK, so the secondary's SYN-ACK (and its
/// retransmissions, and a bare RST) keep the secondary's own ISN, a connection the guest opens is never mapped, and
/// every checkpoint sets the offsets back to 0.
/// </summary>
public class TcpHandshakeTests
{
    private const TcpFlags SynAck = TcpFlags.Syn | TcpFlags.Ack;
    private const uint ClientIsn = 5000;

    /// <summary>A secondary ISN unrelated to the primary's (and across the wrap from it for some ISNs).</summary>
    private static uint OtherIsn(uint isn) => unchecked(isn + 0x9E3779B9u);

    private static byte[] SynAckFrom(uint isn) => Tcp(isn, [], SynAck, acknowledgment: ClientIsn + 1);

    private static byte[] Data(uint isn, int offset, string text) =>
        Tcp(unchecked(isn + 1 + (uint)offset), Ascii(text), acknowledgment: ClientIsn + 1 + 20);

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_SecondarySynAckWithOwnIsn_ConfirmsPrimarySynAckAtOnce(uint isn)
    {
        var h = new EngineHarness();

        h.Primary(SynAckFrom(isn));
        Assert.Empty(h.Sink.Released);
        h.Secondary(SynAckFrom(OtherIsn(isn)));

        Assert.Single(h.Sink.Released);
        Assert.Empty(h.Sink.Triggers);
        Assert.Empty(h.Sink.Divergences);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_SecondaryOwnIsnThenRewrittenData_WholeResponseComparedWithoutCheckpoint(uint isn)
    {
        var h = new EngineHarness();

        h.Primary(SynAckFrom(isn)).Secondary(SynAckFrom(OtherIsn(isn)));
        // After the client's handshake ACK, filter-rewriter maps the secondary's segments into the primary's space.
        h.Primary(Data(isn, 0, "HTTP/1.0 200 OK\r\n")).Primary(Data(isn, 17, "\r\nbody"));
        h.Secondary(Data(isn, 0, "HTTP/1.0 200 OK\r\n\r\nbody"));
        h.Primary(Tcp(unchecked(isn + 24), [], TcpFlags.Fin | TcpFlags.Ack, acknowledgment: ClientIsn + 21))
            .Secondary(Tcp(unchecked(isn + 24), [], TcpFlags.Fin | TcpFlags.Ack, acknowledgment: ClientIsn + 21));
        h.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(4, h.Sink.Released.Count);
        Assert.All(h.Sink.Released, r => Assert.Equal(ReleaseReason.Compared, r.Info.Reason));
        Assert.Empty(h.Sink.Triggers);
        Assert.Equal(0, h.Engine.Counters.SecondaryQueued);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_SecondarySynAckBeforePrimary_WaitsThenConfirms(uint isn)
    {
        var h = new EngineHarness();

        h.Secondary(SynAckFrom(OtherIsn(isn)));
        Assert.Equal(1, h.Engine.Counters.SecondaryQueued);
        h.Primary(SynAckFrom(isn));

        Assert.Single(h.Sink.Released);
        Assert.Equal(0, h.Engine.Counters.SecondaryQueued);

        h.Secondary(Data(isn, 0, "hello")).Primary(Data(isn, 0, "hello"));
        Assert.Equal(2, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_SecondarySynAckRunsAheadWithData_ComparedOncePrimaryCatchesUp()
    {
        const uint isn = 1000;
        var h = new EngineHarness();

        h.Secondary(SynAckFrom(OtherIsn(isn))).Secondary(Data(isn, 0, "abc")).Secondary(Data(isn, 3, "def"));
        h.Primary(SynAckFrom(isn)).Primary(Data(isn, 0, "abcdef"));

        Assert.Equal(2, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Triggers);
        Assert.Empty(h.Sink.Divergences);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_RetransmittedSynAcksOnBothSides_NoCheckpointNoDivergence(uint isn)
    {
        var h = new EngineHarness();

        h.Primary(SynAckFrom(isn)).Secondary(SynAckFrom(OtherIsn(isn)));
        h.Secondary(SynAckFrom(OtherIsn(isn)));
        h.Primary(SynAckFrom(isn));
        h.Secondary(SynAckFrom(OtherIsn(isn)));
        h.Primary(Data(isn, 0, "x")).Secondary(Data(isn, 0, "x"));
        h.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(3, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Triggers);
        Assert.Empty(h.Sink.Divergences);
        Assert.Equal(2, h.Engine.Counters.Dropped(Side.Secondary, DropReason.Retransmission));
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_SecondarySynAckAcksOtherClientData_GateHoldsPrimary()
    {
        var h = new EngineHarness();

        h.Primary(Tcp(100, [], SynAck, acknowledgment: ClientIsn + 1)).Secondary(Tcp(OtherIsn(100), [], SynAck, acknowledgment: ClientIsn));

        Assert.Empty(h.Sink.Released);
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void CompleteCheckpoint_HandshakeSpansIt_StaleSecondarySynAckIgnoredAndComparisonGoesOn()
    {
        const uint isn = 700;
        var h = new EngineHarness();

        h.Primary(SynAckFrom(isn));
        h.Engine.CompleteCheckpoint(h.Now);
        Assert.Single(h.Sink.Released);
        // The secondary's SYN-ACK from before the checkpoint arrives late, with its own ISN; after it, the restored
        // secondary (the primary's state, offsets back to 0) sends in the primary's space.
        h.Secondary(SynAckFrom(OtherIsn(isn)));
        h.Primary(Data(isn, 0, "reply")).Secondary(Data(isn, 0, "reply"));
        h.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(2, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Triggers);
        Assert.Empty(h.Sink.Divergences);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_CheckpointCutHandshakeSecondaryResetsWithWrongSequence_ResyncAtOnceWithoutDivergence(uint isn)
    {
        var h = new EngineHarness();
        h.Primary(SynAckFrom(isn)).Secondary(SynAckFrom(OtherIsn(isn)));
        h.Engine.CompleteCheckpoint(h.Now);

        // filter-rewriter learned a wrong offset: the secondary answers the client's ACK with a bare RST whose
        // sequence number is the client's (wrongly mapped) ACK, far from the stream.
        h.Primary(Data(isn, 0, "reply"));
        h.Secondary(Tcp(unchecked(isn + 0x5000_0000u), [], TcpFlags.Rst));

        Assert.Equal(1, h.Sink.TriggerCount(CheckpointReason.Resync));
        Assert.Empty(h.Sink.Divergences);
        Assert.Equal(1, h.Engine.Counters.PrimaryQueued);

        h.Secondary(Tcp(unchecked(isn + 0x5000_0000u), [], TcpFlags.Rst));
        Assert.Equal(1, h.Sink.TriggerCount(CheckpointReason.Resync));
        h.Engine.CompleteCheckpoint(h.Now);
        Assert.Equal(2, h.Sink.Released.Count);

        h.Primary(Data(isn, 5, "more")).Secondary(Data(isn, 5, "more"));
        Assert.Equal(3, h.Sink.Released.Count);
        Assert.Single(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_BareRstOfSecondaryInItsOwnSpace_MatchesPrimaryRst(uint isn)
    {
        var h = new EngineHarness();
        uint other = OtherIsn(isn);
        h.Primary(SynAckFrom(isn)).Secondary(SynAckFrom(other));
        h.Primary(Data(isn, 0, "abc")).Secondary(Data(isn, 0, "abc"));

        // The guest closed its socket; the client's next segment makes both guests answer with a bare RST whose
        // sequence number is that segment's ACK: the primary's in its space, the secondary's in its own.
        h.Primary(Tcp(unchecked(isn + 4), [], TcpFlags.Rst)).Secondary(Tcp(unchecked(other + 4), [], TcpFlags.Rst));

        Assert.Equal(3, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Divergences);
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Ingest_GuestInitiatedConnectionWithOtherIsn_SynReleasedOneResyncNoDivergence(uint isn)
    {
        // The guest connects out (SYN without ACK); the secondary's SYN keeps its own ISN for good, the server's
        // SYN-ACK acknowledges the primary's, and the secondary answers it with a bare RST at the primary's ISN + 1.
        var h = new EngineHarness();
        uint other = OtherIsn(isn);

        h.Primary(Tcp(isn, [], TcpFlags.Syn, sourcePort: 40000, destinationPort: 80));
        h.Secondary(Tcp(other, [], TcpFlags.Syn, sourcePort: 40000, destinationPort: 80));
        Assert.Single(h.Sink.Released);
        Assert.Equal(1, h.Sink.TriggerCount(CheckpointReason.Resync));

        h.Primary(Tcp(unchecked(isn + 1), [], TcpFlags.Ack, acknowledgment: 9001, sourcePort: 40000, destinationPort: 80));
        h.Secondary(Tcp(unchecked(isn + 1), [], TcpFlags.Rst, sourcePort: 40000, destinationPort: 80));
        h.Primary(Tcp(unchecked(isn + 1), Ascii("GET / HTTP/1.0\r\n\r\n"), acknowledgment: 9001, sourcePort: 40000, destinationPort: 80));
        h.Secondary(Tcp(other, [], TcpFlags.Syn, sourcePort: 40000, destinationPort: 80));
        Assert.Empty(h.Sink.Divergences);
        Assert.Equal(2, h.Engine.Counters.PrimaryQueued);
        Assert.Single(h.Sink.Triggers);

        h.Engine.CompleteCheckpoint(h.Now);
        Assert.Equal(3, h.Sink.Released.Count);
        // The restored secondary has the primary's connection: compared again in the primary's space.
        h.Primary(Tcp(unchecked(isn + 19), Ascii("x"), acknowledgment: 9100, sourcePort: 40000, destinationPort: 80))
            .Secondary(Tcp(unchecked(isn + 19), Ascii("x"), acknowledgment: 9100, sourcePort: 40000, destinationPort: 80));
        Assert.Equal(4, h.Sink.Released.Count);
        Assert.Equal(ReleaseReason.Compared, h.Sink.Released[^1].Info.Reason);
        Assert.Single(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_GuestInitiatedConnectionWithSameIsn_ComparedWithoutCheckpoint()
    {
        var h = new EngineHarness();

        h.Primary(Tcp(300, [], TcpFlags.Syn, sourcePort: 40000, destinationPort: 80)).Secondary(Tcp(300, [], TcpFlags.Syn, sourcePort: 40000, destinationPort: 80));
        h.Primary(Tcp(301, Ascii("GET"), acknowledgment: 9001, sourcePort: 40000, destinationPort: 80)).Secondary(Tcp(301, Ascii("GET"), acknowledgment: 9001, sourcePort: 40000, destinationPort: 80));

        Assert.Equal(2, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Triggers);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_ManyGuestInitiatedConnections_OneResyncTriggerEach()
    {
        var h = new EngineHarness();
        for (ushort port = 41000; port < 41010; port++)
        {
            h.Primary(Tcp(10, [], TcpFlags.Syn, sourcePort: port, destinationPort: 80)).Secondary(Tcp(20, [], TcpFlags.Syn, sourcePort: port, destinationPort: 80));
            h.Primary(Tcp(11, Ascii("a"), acknowledgment: 1, sourcePort: port, destinationPort: 80)).Secondary(Tcp(11, [], TcpFlags.Rst, sourcePort: port, destinationPort: 80));
        }

        Assert.Equal(10, h.Sink.TriggerCount(CheckpointReason.Resync));
        Assert.Equal(10, h.Sink.Triggers.Count);
        Assert.Equal(10, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Divergences);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_SecondarySynNeverMatchedByPrimary_AgesIntoOneTimeout()
    {
        var h = new EngineHarness();

        h.Secondary(SynAckFrom(77));
        for (int i = 0; i < 10; i++)
            h.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(1, h.Sink.TriggerCount(CheckpointReason.Timeout));
        h.Engine.CompleteCheckpoint(h.Now);
        for (int i = 0; i < 10; i++)
            h.Advance(TimeSpan.FromSeconds(1));
        Assert.Single(h.Sink.Triggers);
        h.AssertBalanced();
    }
}
