using System.Diagnostics;
using System.Text.Json;
using Colo.Cli.Replay;
using Colo.Compare;
using Colo.Packets.Capture;
using Colo.Packets.Frames;

namespace Colo.Cli.Tests.Replay;

/// <summary><c>colo-proxy replay</c> over the real capture pairs: verdicts and offsets exactly as the manifest says.</summary>
public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("colo-replay-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    public static TheoryData<string> Pairs => CaptureManifest.Names();

    public static TheoryData<string> SamePairs => CaptureManifest.Names("same");

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Run_CapturePair_VerdictAndFirstDivergenceAsManifestSays(string name)
    {
        CapturePair pair = CaptureManifest.Get(name);

        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath });

        Assert.Equal(pair.Verdict, result.Verdict);
        Assert.Equal(pair.Divergences.Count, result.Divergences.Count);
        foreach (ExpectedDivergence expected in pair.Divergences)
        {
            Divergence actual = Assert.Single(result.Divergences, d => d.Flow.DestinationPort == expected.DestinationPort);
            Assert.Equal(expected.Protocol, IpProtocol.Name(actual.Protocol));
            Assert.Equal(expected.Offset, actual.StreamOffset);
            if (expected.Sequence is { } seq)
                Assert.Equal((uint)seq, actual.Sequence);
            if (expected.DatagramIndex is { } index)
                Assert.Equal(index, actual.DatagramIndex);
            Assert.Equal(expected.PrimaryByte, actual.PrimaryContext[actual.ContextOffset]);
            if (expected.SecondaryByte < 0)
                Assert.Equal(actual.ContextOffset, actual.SecondaryContext.Length);
            else
                Assert.Equal(expected.SecondaryByte, actual.SecondaryContext[actual.ContextOffset]);
        }
        Assert.True(result.Counters.IsBalanced);
        Assert.Equal(0, result.Checkpoints[CheckpointReason.Divergence] - result.Divergences.Count);
    }

    [Theory]
    [MemberData(nameof(SamePairs))]
    public void Run_SamePair_ReleasesEveryPrimaryFrameInPerFlowOrder(string name)
    {
        CapturePair pair = CaptureManifest.Get(name);
        string output = Path.Combine(_temp, name + ".pcapng");

        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath, OutputPath = output });

        Dictionary<FlowKey, List<byte[]>> expected = FramesByFlow(pair.PrimaryPath);
        long uncompared = result.Counters.Released(ReleaseReason.NotCompared) + result.Counters.Released(ReleaseReason.Housekeeping);
        Dictionary<FlowKey, List<byte[]>> released = FramesByFlow(output);
        Assert.Equal(result.Counters.PrimaryReceived, result.Counters.Released(ReleaseReason.Compared) + uncompared);
        Assert.True(expected.Keys.ToHashSet().SetEquals(released.Keys), "released flows differ from the primary's flows");
        foreach ((FlowKey flow, List<byte[]> frames) in expected)
            Assert.True(frames.SequenceEqual(released[flow], ByteArrayComparer.Instance), $"{flow}: released order differs from the primary's");
    }

    [Fact]
    public void Run_ChattySame_TimeoutsRecordedButNotDivergences()
    {
        CapturePair pair = CaptureManifest.Get("chatty_same");

        ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath });

        Assert.Equal("same", result.Verdict);
        Assert.NotEmpty(result.Timeouts);
        Assert.All(result.Timeouts, t => Assert.True(t.Waited > TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public void Run_Json_PrintsOneObjectWithTheDocumentedFields()
    {
        CapturePair pair = CaptureManifest.Get("udp_dns_divergent");
        var stdout = new StringWriter();

        int exit = ReplayCommand.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath }, json: true, stdout, TextWriter.Null);

        Assert.Equal(ReplayCommand.ExitDivergent, exit);
        using JsonDocument doc = JsonDocument.Parse(stdout.ToString());
        JsonElement root = doc.RootElement;
        Assert.Equal("divergent", root.GetProperty("verdict").GetString());
        JsonElement d = Assert.Single(root.GetProperty("divergences").EnumerateArray());
        Assert.Equal("udp", d.GetProperty("protocol").GetString());
        Assert.Equal("10.77.0.1", d.GetProperty("flow").GetProperty("src").GetString());
        Assert.Equal(53, d.GetProperty("flow").GetProperty("src-port").GetInt32());
        Assert.Equal(37433, d.GetProperty("flow").GetProperty("dst-port").GetInt32());
        Assert.Equal(2133, d.GetProperty("stream-offset").GetInt64());
        Assert.Equal(42, d.GetProperty("datagram-index").GetInt64());
        Assert.NotEmpty(d.GetProperty("primary-hex").GetString()!);
        Assert.NotEmpty(d.GetProperty("secondary-hex").GetString()!);
        Assert.Equal(1, root.GetProperty("checkpoints").GetProperty("divergence").GetInt32());
        Assert.Equal(100, root.GetProperty("primary").GetProperty("frames").GetInt32());
        Assert.Equal(100, root.GetProperty("primary").GetProperty("released").GetInt32());
        Assert.Equal(0, root.GetProperty("primary").GetProperty("queued").GetInt32());
        Assert.Equal(100, root.GetProperty("secondary").GetProperty("frames").GetInt32());
    }

    [Fact]
    public void Run_HumanReport_ShowsVerdictFlowOffsetAndMarkedByte()
    {
        CapturePair pair = CaptureManifest.Get("chatty_divergent");
        var stdout = new StringWriter();

        int exit = ReplayCommand.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath }, json: false, stdout, TextWriter.Null);

        string text = stdout.ToString();
        Assert.Equal(ReplayCommand.ExitDivergent, exit);
        Assert.Contains("verdict: divergent", text, StringComparison.Ordinal);
        Assert.Contains("tcp 10.77.0.1:9000 -> 10.77.0.2:49994 at stream offset 220935 (seq 3839232724)", text, StringComparison.Ordinal);
        Assert.Contains("[36]", text, StringComparison.Ordinal);
        Assert.Contains("[58]", text, StringComparison.Ordinal);
        Assert.Contains("timeouts (", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_MissingFile_ExitsTwoWithMessage()
    {
        var stderr = new StringWriter();

        int exit = ReplayCommand.Run(new ReplayOptions { PrimaryPath = Path.Combine(_temp, "nope.pcap"), SecondaryPath = Path.Combine(_temp, "nope2.pcap") }, false, TextWriter.Null, stderr);

        Assert.Equal(ReplayCommand.ExitBadInput, exit);
        Assert.Contains("nope.pcap", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Run_TruncatedCapture_ExitsTwoNamingFileAndOffset()
    {
        CapturePair pair = CaptureManifest.Get("udp_dns_same");
        string truncated = Path.Combine(_temp, "truncated.pcap");
        byte[] bytes = File.ReadAllBytes(pair.PrimaryPath);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length - 10)]);
        var stderr = new StringWriter();

        int exit = ReplayCommand.Run(new ReplayOptions { PrimaryPath = truncated, SecondaryPath = pair.SecondaryPath }, false, TextWriter.Null, stderr);

        Assert.Equal(ReplayCommand.ExitBadInput, exit);
        Assert.Contains("truncated.pcap", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("at byte", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Main_AsProcess_ExitCodesZeroOneTwo()
    {
        CapturePair same = CaptureManifest.Get("udp_dns_same");
        CapturePair divergent = CaptureManifest.Get("udp_dns_divergent");

        Assert.Equal(0, RunCli("replay", same.PrimaryPath, same.SecondaryPath).ExitCode);
        Assert.Equal(1, RunCli("replay", divergent.PrimaryPath, divergent.SecondaryPath).ExitCode);
        Assert.Equal(2, RunCli("replay", same.PrimaryPath).ExitCode);
        Assert.Equal(2, RunCli("replay", same.PrimaryPath, same.SecondaryPath, "--max-queue-size", "zero").ExitCode);
        (int exit, string stdout) = RunCli("replay", "--json", divergent.PrimaryPath, divergent.SecondaryPath);
        Assert.Equal(1, exit);
        Assert.Equal("divergent", JsonDocument.Parse(stdout).RootElement.GetProperty("verdict").GetString());
    }

    [Fact]
    public void Run_OutFile_ReadableByTshark()
    {
        CapturePair pair = CaptureManifest.Get("http_keepalive_same");
        foreach (string name in new[] { "released.pcap", "released.pcapng" })
        {
            string output = Path.Combine(_temp, name);
            ReplayResult result = ReplaySession.Run(new ReplayOptions { PrimaryPath = pair.PrimaryPath, SecondaryPath = pair.SecondaryPath, OutputPath = output });

            var psi = new ProcessStartInfo("tshark", ["-r", output, "-T", "fields", "-e", "frame.len"]) { RedirectStandardOutput = true, RedirectStandardError = true };
            using Process tshark = Process.Start(psi) ?? throw new InvalidOperationException("tshark did not start (install Debian's tshark package)");
            string lines = tshark.StandardOutput.ReadToEnd();
            tshark.WaitForExit();
            Assert.Equal(0, tshark.ExitCode);
            Assert.Equal(result.ReleasedWritten, lines.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        }
    }

    private static (int ExitCode, string Stdout) RunCli(params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "colo-proxy.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (string arg in args)
            psi.ArgumentList.Add(arg);
        using Process process = Process.Start(psi)!;
        string stdout = process.StandardOutput.ReadToEnd();
        process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout);
    }

    private static Dictionary<FlowKey, List<byte[]>> FramesByFlow(string path)
    {
        var result = new Dictionary<FlowKey, List<byte[]>>();
        using CaptureReader reader = CaptureReader.Open(path);
        while (reader.TryReadNext(out CaptureRecord record))
        {
            if (FrameParser.TryParse(record.Data, 0, out PacketInfo info) == ParseStatus.NotIp)
                continue;
            FlowKey key = FlowKey.From(record.Data, info);
            if (!result.TryGetValue(key, out List<byte[]>? list))
                result[key] = list = [];
            list.Add(record.Data.ToArray());
        }
        return result;
    }

    private sealed class ByteArrayComparer : IEqualityComparer<byte[]>
    {
        public static readonly ByteArrayComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
