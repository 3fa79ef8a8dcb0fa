using BenchmarkDotNet.Attributes;
using Colo.Packets.Frames;

namespace Colo.Benchmarks;

/// <summary>FrameParser.TryParse + FlowKey.From over 1024 distinct frames (per-frame time and allocation).</summary>
[MemoryDiagnoser]
[BenchmarkCategory(Categories.Parse)]
public class ParseBenchmarks
{
    private const int FrameCount = 1024;
    private byte[][] _large = [];
    private byte[][] _small = [];

    [GlobalSetup]
    public void Setup()
    {
        _large = new byte[FrameCount][];
        _small = new byte[FrameCount][];
        for (int i = 0; i < FrameCount; i++)
        {
            _large[i] = BenchmarkFlows.Frame(i, 1460, BenchmarkFlows.Isn(i), 0, (ushort)i);
            _small[i] = BenchmarkFlows.Frame(i, 64, BenchmarkFlows.Isn(i), 0, (ushort)i);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = FrameCount, Description = "parse 1514 B TCP frame")]
    public int Parse1514() => ParseAll(_large);

    [Benchmark(OperationsPerInvoke = FrameCount, Description = "parse 118 B TCP frame (64 B payload)")]
    public int Parse118() => ParseAll(_small);

    private static int ParseAll(byte[][] frames)
    {
        int hash = 0;
        foreach (byte[] frame in frames)
        {
            if (FrameParser.TryParse(frame, 0, out PacketInfo info) == ParseStatus.Ok)
                hash ^= FlowKey.From(frame, info).GetHashCode() + info.PayloadLength;
        }

        return hash;
    }
}
