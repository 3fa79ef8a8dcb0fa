using System.Buffers.Binary;
using Colo.Cli.Replay;
using Colo.Cli.Tests.Replay;
using Colo.Packets.Capture;
using Colo.Packets.Frames;
using Colo.TestSupport.Capture;

namespace Colo.Cli.Tests.Align;

/// <summary>
/// <c>colo-proxy align</c>: a secondary captured before filter-rewriter, re-mapped into the primary's sequence space,
/// replays as the rewritten capture does.
/// </summary>
public sealed class AlignCommandTests : IDisposable
{
    private const uint OwnIsnDistance = 0x5A5A_0000;

    private readonly string _temp = Directory.CreateTempSubdirectory("colo-align-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Theory]
    [InlineData("chatty_same", "same")]
    [InlineData("chatty_divergent", "divergent")]
    public void Run_SecondaryWithoutHandshakeInItsOwnSequenceSpace_ReplaysAsTheRewrittenOne(string name, string verdict)
    {
        // Both captures started after the handshake (filter-dump added to a running pair); the secondary's on its tap.
        CapturePair pair = CaptureManifest.Get(name);
        string primary = Path.Combine(_temp, "primary.pcap"), rewritten = Path.Combine(_temp, "rewritten.pcap");
        string raw = Path.Combine(_temp, "raw.pcap"), aligned = Path.Combine(_temp, "aligned.pcap");
        CaptureRewriter.Write(pair.PrimaryPath, primary, (data, ts, number) => number == 1 ? null : (data, LinkType.Ethernet, ts));
        CaptureRewriter.Write(pair.SecondaryPath, rewritten, (data, ts, number) => number == 1 ? null : (data, LinkType.Ethernet, ts));
        CaptureRewriter.Rewrite shift = CaptureRewriter.ShiftSequence(OwnIsnDistance, 0);
        CaptureRewriter.Write(rewritten, raw, shift);
        Assert.Equal(ReplayVerdict.Incomplete, ReplaySession.Run(new ReplayOptions { PrimaryPath = primary, SecondaryPath = raw }).Verdict);
        var stdout = new StringWriter();

        int exit = AlignCommand.Run(primary, raw, aligned, stdout, TextWriter.Null);

        Assert.Equal(0, exit);
        Assert.Contains("(payload)", stdout.ToString(), StringComparison.Ordinal);
        ReplayResult expected = ReplaySession.Run(new ReplayOptions { PrimaryPath = primary, SecondaryPath = rewritten });
        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = primary, SecondaryPath = aligned });
        Assert.Equal(verdict, result.Verdict);
        Assert.Equal(expected.Divergences.Select(d => d.StreamOffset), result.Divergences.Select(d => d.StreamOffset));
    }

    [Fact]
    public void Run_HandshakeInBothCaptures_SequenceNumbersAsFilterRewriterLeavesThemAndChecksumsStillValid()
    {
        CapturePair pair = CaptureManifest.Get("http_keepalive_same");
        string raw = Path.Combine(_temp, "raw.pcap"), aligned = Path.Combine(_temp, "aligned.pcap");
        CaptureRewriter.Write(pair.SecondaryPath, raw, CaptureRewriter.ShiftSequenceKeepingChecksum(OwnIsnDistance));
        var stdout = new StringWriter();

        int exit = AlignCommand.Run(pair.PrimaryPath, raw, aligned, stdout, TextWriter.Null);

        Assert.Equal(0, exit);
        Assert.Contains("(handshake)", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal(Sequences(pair.SecondaryPath), Sequences(aligned));
        // The original file's checksums are right; an incremental update of a right checksum stays right.
        Assert.Equal(Checksums(pair.SecondaryPath), Checksums(aligned));
    }

    [Fact]
    public void Run_ConnectionOnlyInTheSecondary_LeftAsCapturedExitThree()
    {
        CapturePair pair = CaptureManifest.Get("chatty_same");
        CapturePair other = CaptureManifest.Get("http_keepalive_same");
        var stdout = new StringWriter();

        int exit = AlignCommand.Run(pair.PrimaryPath, other.SecondaryPath, Path.Combine(_temp, "out.pcapng"), stdout, TextWriter.Null);

        Assert.Equal(ReplayCommand.ExitIncomplete, exit);
        Assert.Contains("left as captured (no counterpart in the primary capture)", stdout.ToString(), StringComparison.Ordinal);
    }

    private static List<uint> Sequences(string path) => Tcp(path, (data, info) => BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(info.TransportOffset + 4)));

    private static List<uint> Checksums(string path) => Tcp(path, (data, info) => BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(info.TransportOffset + 16)));

    private static List<uint> Tcp(string path, Func<byte[], PacketInfo, uint> field)
    {
        var values = new List<uint>();
        using CaptureReader reader = CaptureReader.Open(path);
        while (reader.TryReadNext(out CaptureRecord record))
        {
            byte[] data = record.Data.ToArray();
            if (FrameParser.TryParse(data, 0, out PacketInfo info) == ParseStatus.Ok && info.Protocol == IpProtocol.Tcp)
                values.Add(field(data, info));
        }
        return values;
    }
}
