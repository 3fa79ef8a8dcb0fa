using System.Globalization;
using System.Text.Json;
using Colo.Cli.Replay;
using Colo.Compare;
using Colo.Packets.Capture;
using Colo.Packets.Frames;
using Colo.TestSupport;
using Colo.TestSupport.Capture;

namespace Colo.Cli.Tests.Replay;

/// <summary>
/// From a replay report to the frames in Wireshark: frame numbers and times that tshark confirms, per-flow results
/// with Community IDs, the <c>incomplete</c> verdict and its hints, the captures people have (gzip, Linux cooked, raw
/// IP, mixed pcapng), <c>--flow</c>, <c>--extract</c> and <c>--secondary-time-offset</c>.
/// </summary>
public sealed class ReplayForensicsTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("colo-forensics-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    public static TheoryData<string> DivergentPairs => CaptureManifest.Names("divergent");

    private static string Sample(string pair, string file) => Path.Combine(AppContext.BaseDirectory, "data", "samples", pair, file);

    [Fact]
    public void Run_ShippedDivergentSample_ReportNamesTheFramesTsharkShowsHoldingTheByte()
    {
        string primary = Sample("chatty_divergent", "primary.pcap"), secondary = Sample("chatty_divergent", "secondary.pcap");
        var stdout = new StringWriter();

        int exit = ReplayCommand.Run(new ReplayOptions { PrimaryPath = primary, SecondaryPath = secondary }, json: false, stdout, TextWriter.Null);

        Assert.Equal(ReplayCommand.ExitDivergent, exit);
        string text = stdout.ToString();
        Assert.Contains("primary   frame 1117 at ", text, StringComparison.Ordinal);
        Assert.Contains("secondary frame 515 at ", text, StringComparison.Ordinal);
        Assert.Contains("found     7.286", text, StringComparison.Ordinal);
        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = primary, SecondaryPath = secondary });
        AssertFramesHoldDivergence(result, primary, secondary);
    }

    [Theory]
    [MemberData(nameof(DivergentPairs))]
    public void Run_DivergentPair_EachDivergenceFrameHoldsTheDifferingByteInTshark(string name)
    {
        CapturePair pair = CaptureManifest.Get(name);

        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath });

        Assert.NotEmpty(result.Divergences);
        AssertFramesHoldDivergence(result, pair.PrimaryPath, pair.SecondaryPath);
    }

    [Fact]
    public void Run_Json_DivergenceCarriesFramesTimesAndFlowTable()
    {
        string primary = Sample("chatty_divergent", "primary.pcap"), secondary = Sample("chatty_divergent", "secondary.pcap");

        JsonElement root = RunJson(new ReplayOptions { PrimaryPath = primary, SecondaryPath = secondary }, out int exit);

        Assert.Equal(ReplayCommand.ExitDivergent, exit);
        JsonElement d = Assert.Single(root.GetProperty("divergences").EnumerateArray());
        Assert.Equal(1117, d.GetProperty("primary-frame").GetProperty("number").GetInt64());
        Assert.Equal(515, d.GetProperty("secondary-frame").GetProperty("number").GetInt64());
        string[] tshark = Tshark.Fields(primary, "frame.number == 1117", "frame.time_epoch")[0];
        Assert.Equal(tshark[0], d.GetProperty("primary-frame").GetProperty("time-epoch").GetString());
        Assert.Equal(0.03192, d.GetProperty("primary-frame").GetProperty("relative-s").GetDouble(), 5);
        Assert.Equal(7.286, d.GetProperty("time-s").GetDouble(), 3);
        JsonElement flow = Assert.Single(root.GetProperty("flows").EnumerateArray());
        Assert.Equal("divergent", flow.GetProperty("result").GetString());
        Assert.Equal(1396, flow.GetProperty("primary-frames").GetInt64());
        Assert.Equal(648, flow.GetProperty("secondary-frames").GetInt64());
        Assert.True(flow.GetProperty("bytes-compared").GetInt64() > 200_000);
    }

    [Fact]
    public void Run_Json_MemberNamesKebabCaseLikeTheControlSocket()
    {
        CapturePair pair = CaptureManifest.Get("udp_dns_divergent");

        JsonElement root = RunJson(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath }, out _);

        var names = new List<string>();
        CollectMemberNames(root, names);
        Assert.DoesNotContain(names, n => n.Contains('_', StringComparison.Ordinal));
        Assert.Contains("src-port", names);
        Assert.Contains("dst-port", names);
        Assert.Contains("stream-offset", names);
    }

    [Fact]
    public void Run_EveryFlow_CommunityIdAsTsharkComputesIt()
    {
        CapturePair pair = CaptureManifest.Get("concurrent_same");

        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath });

        var expected = Tshark.Fields(pair.PrimaryPath, "tcp", "tcp.dstport", "communityid")
            .GroupBy(f => int.Parse(f[0], CultureInfo.InvariantCulture))
            .ToDictionary(g => g.Key, g => Assert.Single(g.Select(f => f[1]).Distinct()));
        Assert.True(result.Flows.Count > 1);
        Assert.All(result.Flows, f => Assert.Equal(expected[f.Flow.DestinationPort], f.CommunityId));
        Assert.All(result.Flows, f => Assert.Equal(FlowResult.Same, f.Result));
    }

    [Fact]
    public void Run_EmptySecondary_IncompleteExitThreeNothingCompared()
    {
        CapturePair pair = CaptureManifest.Get("udp_dns_same");
        string empty = Path.Combine(_temp, "empty.pcap");
        CaptureRewriter.Write(pair.SecondaryPath, empty, (_, _, _) => null);
        var stdout = new StringWriter();

        int exit = ReplayCommand.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = empty }, json: false, stdout, TextWriter.Null);

        Assert.Equal(ReplayCommand.ExitIncomplete, exit);
        Assert.Contains("verdict: incomplete", stdout.ToString(), StringComparison.Ordinal);
        Assert.Contains("hint: nothing compared: the secondary capture holds no comparable frame", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_SecondaryCapturedBeforeFilterRewriter_IncompleteWithIsnHint()
    {
        CapturePair pair = CaptureManifest.Get("chatty_same");
        string raw = Path.Combine(_temp, "raw-isn.pcap");
        CaptureRewriter.Rewrite shift = CaptureRewriter.ShiftSequence(0x5A5A_0000, 0x1234_5678);
        // Without its handshake (a capture started mid-connection), nothing ties the secondary's ISN to the primary's.
        CaptureRewriter.Write(pair.SecondaryPath, raw, (data, ts, number) => number == 1 ? null : shift(data, ts, number));

        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = raw });

        Assert.Equal(ReplayVerdict.Incomplete, result.Verdict);
        Assert.Contains(result.Hints, h => h.Contains("captured before filter-rewriter", StringComparison.Ordinal));
        Assert.Contains(result.Flows, f => f.Result == FlowResult.Incomplete);
    }

    [Fact]
    public void Run_SecondaryCaptureEndsEarly_IncompleteWithEndsEarlyHint()
    {
        CapturePair pair = CaptureManifest.Get("chatty_same");
        string cut = Path.Combine(_temp, "cut.pcap");
        CaptureRewriter.Write(pair.SecondaryPath, cut, (data, ts, number) => number <= 100 ? (data, LinkType.Ethernet, ts) : null);

        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = cut });

        Assert.Equal(ReplayVerdict.Incomplete, result.Verdict);
        Assert.Contains(result.Hints, h => h.Contains("the secondary capture ends early", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_SecondaryOfAnotherClientPort_IncompleteNoFlowInBothCaptures()
    {
        CapturePair pair = CaptureManifest.Get("chatty_same");
        string other = Path.Combine(_temp, "other-port.pcap");
        CaptureRewriter.Write(pair.SecondaryPath, other, (data, ts, _) =>
        {
            Assert.Equal(ParseStatus.Ok, FrameParser.TryParse(data, 0, out PacketInfo info));
            data[info.TransportOffset + 3] ^= 0x01; // the destination port's low byte
            return (data, LinkType.Ethernet, ts);
        });

        int exit = ReplayCommand.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = other }, json: false, TextWriter.Null, TextWriter.Null);
        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = other });

        Assert.Equal(ReplayCommand.ExitIncomplete, exit);
        Assert.Contains(result.Hints, h => h.Contains("no flow appears in both captures", StringComparison.Ordinal));
    }

    [Fact]
    public void Run_CaptureOfBothDirections_HintSaysSo()
    {
        CapturePair pair = CaptureManifest.Get("udp_dns_same");
        string both = Path.Combine(_temp, "both.pcap");
        CaptureRewriter.Write(pair.PrimaryPath, both, (data, ts, number) => number == 5 ? (Reversed(data), LinkType.Ethernet, ts) : (data, LinkType.Ethernet, ts));

        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = both, SecondaryPath = pair.SecondaryPath });

        Assert.Contains(result.Hints, h => h.Contains("the primary capture holds both directions", StringComparison.Ordinal));
    }

    public static TheoryData<string, bool, bool> LinkTypes => new()
    {
        { nameof(CaptureRewriter.ToSll), false, false },
        { nameof(CaptureRewriter.ToSll2), true, true },
        { nameof(CaptureRewriter.ToRawIp), true, false },
        { nameof(CaptureRewriter.Same), true, false },
    };

    [Theory]
    [MemberData(nameof(LinkTypes))]
    public void Run_CookedRawIpOrGzipCaptures_SameDivergenceAndFramesAsEthernet(string conversion, bool gzip, bool pcapng)
    {
        CapturePair pair = CaptureManifest.Get("chatty_divergent");
        CaptureRewriter.Rewrite rewrite = conversion switch
        {
            nameof(CaptureRewriter.ToSll) => CaptureRewriter.ToSll,
            nameof(CaptureRewriter.ToSll2) => CaptureRewriter.ToSll2,
            nameof(CaptureRewriter.ToRawIp) => CaptureRewriter.ToRawIp,
            _ => CaptureRewriter.Same,
        };
        string extension = (pcapng ? ".pcapng" : ".pcap") + (gzip ? ".gz" : "");
        string primary = Path.Combine(_temp, "primary" + extension), secondary = Path.Combine(_temp, "secondary" + extension);
        CaptureRewriter.Write(pair.PrimaryPath, primary, rewrite, gzip, pcapng);
        CaptureRewriter.Write(pair.SecondaryPath, secondary, rewrite, gzip, pcapng);
        ReplayResult expected = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath });

        ReplayResult actual = ReplaySession.Run(new ReplayOptions { PrimaryPath = primary, SecondaryPath = secondary });

        Assert.Equal(ReplayVerdict.Divergent, actual.Verdict);
        Assert.Equal(expected.Divergences.Select(d => d.StreamOffset), actual.Divergences.Select(d => d.StreamOffset));
        Assert.Equal(expected.DivergenceFrames.Select(f => (f.Primary?.Number, f.Secondary?.Number)), actual.DivergenceFrames.Select(f => (f.Primary?.Number, f.Secondary?.Number)));
        Assert.Equal(expected.Counters.PrimaryReceived, actual.Counters.PrimaryReceived);
    }

    [Fact]
    public void Run_PcapngMixingLinkTypes_SkipsAndCountsOtherInterfacesFramesStillAsTsharkNumbersThem()
    {
        CapturePair pair = CaptureManifest.Get("chatty_divergent");
        string mixed = Path.Combine(_temp, "mixed.pcapng");
        const LinkType usb = (LinkType)220; // LINKTYPE_USB_LINUX_MMAPPED: nothing a comparator can read.
        using (PcapngWriter writer = PcapngWriter.CreateFile(mixed, LinkType.Ethernet))
        using (CaptureReader reader = CaptureReader.Open(pair.PrimaryPath))
        {
            while (reader.TryReadNext(out CaptureRecord record))
            {
                if (record.FrameNumber % 10 == 0)
                    writer.Write(new byte[64], record.TimestampNanoseconds, usb, comment: null);
                writer.Write(record.Data, record.TimestampNanoseconds, LinkType.Ethernet, comment: null);
            }
        }

        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = mixed, SecondaryPath = pair.SecondaryPath });

        Assert.Equal(ReplayVerdict.Divergent, result.Verdict);
        Assert.Equal(139, result.Primary.Skipped);
        Assert.Contains(result.Hints, h => h.Contains("139 primary frames of link type 220 were skipped", StringComparison.Ordinal));
        Assert.Equal(1117 + 111, result.DivergenceFrames[0].Primary?.Number);
        AssertFramesHoldDivergence(result, mixed, pair.SecondaryPath);
    }

    [Fact]
    public void Run_FlowOption_OnlyThatFlowByTextOrCommunityId()
    {
        CapturePair pair = CaptureManifest.Get("udp_dns_same");
        ReplayResult all = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath });
        FlowSummary wanted = all.Flows[1];

        foreach (string flow in new[] { wanted.Flow.ToString(), wanted.CommunityId!, "10.77.0.2:" + wanted.Flow.DestinationPort + " -> 10.77.0.1:53" })
        {
            ReplayResult one = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath, Flow = flow });

            Assert.Equal(ReplayVerdict.Same, one.Verdict);
            FlowSummary only = Assert.Single(one.Flows);
            Assert.Equal(wanted.Flow, only.Flow);
            Assert.Equal(50, one.Primary.FilteredOut);
        }
    }

    [Fact]
    public void Run_Extract_WritesOwnerOnlyPcapngPairWithCommentOnTheDivergenceFrameThatReplaysTheSame()
    {
        CapturePair pair = CaptureManifest.Get("chatty_divergent");
        string directory = Path.Combine(_temp, "extract");

        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath, ExtractDirectory = directory });

        Assert.Equal(2, result.ExtractedFiles.Count);
        string primary = result.ExtractedFiles[0], secondary = result.ExtractedFiles[1];
        if (!OperatingSystem.IsWindows())
        {
            foreach (string file in result.ExtractedFiles)
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        }
        string[] commented = Assert.Single(Tshark.Fields(primary, "frame.comment", "frame.comment", "tcp.seq_raw", "tcp.len"));
        Assert.Contains("divergence 1", commented[0], StringComparison.Ordinal);
        Assert.Contains("frame 1117 of primary.pcap", commented[0], StringComparison.Ordinal);
        Assert.Single(Tshark.Fields(secondary, "frame.comment", "frame.comment"));
        ReplayResult again = ReplaySession.Run(new ReplayOptions { PrimaryPath = primary, SecondaryPath = secondary });
        Assert.Equal(result.Divergences[0].StreamOffset, Assert.Single(again.Divergences).StreamOffset);
    }

    [Fact]
    public void Run_SecondaryClockAhead_OffsetRestoresTheSameReplay()
    {
        CapturePair pair = CaptureManifest.Get("chatty_divergent");
        string ahead = Path.Combine(_temp, "ahead.pcap");
        CaptureRewriter.Write(pair.SecondaryPath, ahead, CaptureRewriter.ShiftTime(60_000_000_000));
        ReplayResult expected = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath });

        ReplayResult shifted = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = ahead });
        ReplayResult corrected = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = ahead, SecondaryTimeOffset = TimeSpan.FromSeconds(-60) });

        Assert.NotEqual(expected.Timeouts.Count, shifted.Timeouts.Count);
        Assert.Equal(expected.Timeouts.Count, corrected.Timeouts.Count);
        Assert.Equal(expected.Divergences[0].StreamOffset, corrected.Divergences[0].StreamOffset);
        Assert.Equal(expected.Divergences[0].Time, corrected.Divergences[0].Time);
    }

    /// <summary>Checks with tshark that each reported frame holds its divergence's differing byte at the reported time.</summary>
    private static void AssertFramesHoldDivergence(ReplayResult result, string primaryPath, string secondaryPath)
    {
        for (int i = 0; i < result.Divergences.Count; i++)
        {
            Divergence d = result.Divergences[i];
            DivergenceFrames frames = result.DivergenceFrames[i];
            Assert.NotNull(frames.Primary);
            AssertFrameHolds(primaryPath, frames.Primary.Value, d, d.PrimaryContext);
            if (frames.Secondary is { } secondary)
                AssertFrameHolds(secondaryPath, secondary, d, d.SecondaryContext);
            else
                Assert.True(d.ContextOffset >= d.SecondaryContext.Length, "a secondary that has the byte must name its frame");
        }
    }

    private static void AssertFrameHolds(string path, CapturedFrame frame, Divergence d, byte[] context)
    {
        string filter = "frame.number == " + frame.Number.ToString(CultureInfo.InvariantCulture);
        if (d.Sequence is { } seq)
        {
            string[] f = Assert.Single(Tshark.Fields(path, filter, "frame.time_epoch", "tcp.seq_raw", "tcp.len", "tcp.flags.fin"));
            Assert.Equal(FrameTimeText.Epoch(frame.TimestampNanoseconds), f[0]);
            uint start = uint.Parse(f[1], CultureInfo.InvariantCulture);
            int length = int.Parse(f[2], CultureInfo.InvariantCulture) + (f[3] is "1" or "True" ? 1 : 0);
            Assert.True(unchecked(seq - start) < (uint)length, $"{path} frame {frame.Number} covers seq {start}+{length}, not {seq}");
        }
        else
        {
            string[] f = Assert.Single(Tshark.Fields(path, filter, "frame.time_epoch", "udp.payload"));
            Assert.Equal(FrameTimeText.Epoch(frame.TimestampNanoseconds), f[0]);
            byte[] payload = Convert.FromHexString(f[1].Replace(":", "", StringComparison.Ordinal));
            Assert.Equal(context[d.ContextOffset], payload[d.DatagramByteOffset!.Value]);
        }
    }

    private static JsonElement RunJson(ReplayOptions options, out int exit)
    {
        var stdout = new StringWriter();
        exit = ReplayCommand.Run(options, json: true, stdout, TextWriter.Null);
        using JsonDocument doc = JsonDocument.Parse(stdout.ToString());
        return doc.RootElement.Clone();
    }

    /// <summary>Member names, except the keys of the reason-count maps, which are reason names (snake_case, as on the control socket).</summary>
    private static void CollectMemberNames(JsonElement element, List<string> names)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement item in element.EnumerateArray())
                CollectMemberNames(item, names);
        }
        else if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in element.EnumerateObject())
            {
                names.Add(property.Name);
                if (property.Name is not ("checkpoints" or "dropped-by"))
                    CollectMemberNames(property.Value, names);
            }
        }
    }

    /// <summary>The same UDP datagram sent the other way (addresses and ports swapped).</summary>
    private static byte[] Reversed(byte[] ethernet)
    {
        byte[] copy = (byte[])ethernet.Clone();
        Assert.Equal(ParseStatus.Ok, FrameParser.TryParse(copy, 0, out PacketInfo info));
        ethernet.AsSpan(info.SourceAddressOffset, 4).CopyTo(copy.AsSpan(info.DestinationAddressOffset));
        ethernet.AsSpan(info.DestinationAddressOffset, 4).CopyTo(copy.AsSpan(info.SourceAddressOffset));
        ethernet.AsSpan(info.TransportOffset, 2).CopyTo(copy.AsSpan(info.TransportOffset + 2));
        ethernet.AsSpan(info.TransportOffset + 2, 2).CopyTo(copy.AsSpan(info.TransportOffset));
        return copy;
    }
}
