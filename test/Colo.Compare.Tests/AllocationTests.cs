using Colo.Compare.Tests.Support;
using Colo.Packets.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Compare.Tests;

/// <summary>The hot path (parse + compare + release) allocates nothing per frame once warmed up.</summary>
public class AllocationTests
{
    private sealed class NullSink : ICompareSink
    {
        public long Released;

        public void Release(ReadOnlySpan<byte> frame, in ReleaseInfo info) => Released++;

        public void CheckpointTriggered(in CheckpointTrigger trigger) => throw new InvalidOperationException($"unexpected {trigger.Reason}");

        public void Diverged(Divergence divergence) => throw new InvalidOperationException("unexpected divergence");
    }

    /// <summary>Frames of <paramref name="flows"/> TCP flows, each sending <paramref name="segments"/> segments of <paramref name="payload"/> bytes.</summary>
    private static List<byte[]> TcpFrames(int flows, int segments, int payload, bool split)
    {
        var frames = new List<byte[]>();
        var data = new byte[payload];
        new Random(1).NextBytes(data);
        for (int s = 0; s < segments; s++)
        {
            for (int f = 0; f < flows; f++)
            {
                uint seq = (uint)(1 + s * payload);
                if (split)
                {
                    frames.Add(Tcp(seq, data.AsSpan(0, payload / 2), sourcePort: (ushort)(1000 + f)));
                    frames.Add(Tcp(seq + (uint)(payload / 2), data.AsSpan(payload / 2), sourcePort: (ushort)(1000 + f)));
                }
                else
                {
                    frames.Add(Tcp(seq, data, sourcePort: (ushort)(1000 + f)));
                }
            }
        }
        return frames;
    }

    /// <summary>
    /// Runs <paramref name="window"/> a few times and returns the fewest bytes any run allocated on this thread. A real
    /// per-frame allocation shows in every run; the runtime's own one-off work (tiered JIT promotion landing on this
    /// thread while other tests run in parallel) shows in one at most.
    /// </summary>
    private static long FewestBytesAllocated(Action window)
    {
        long fewest = long.MaxValue;
        for (int attempt = 0; attempt < 3 && fewest > 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            window();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }

    /// <summary>Feeds both sides in step (the secondary sends <c>secondary.Count / primary.Count</c> frames per primary frame).</summary>
    private static long Allocated(CompareEngine engine, List<byte[]> primary, List<byte[]> secondary)
    {
        int ratio = secondary.Count / primary.Count;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < primary.Count; i++)
        {
            engine.Ingest(Side.Primary, primary[i], 0, TimeSpan.Zero);
            for (int k = 0; k < ratio; k++)
                engine.Ingest(Side.Secondary, secondary[i * ratio + k], 0, TimeSpan.Zero);
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Theory]
    [InlineData(1, 1448, false)]
    [InlineData(1, 64, false)]
    [InlineData(1000, 1448, false)]
    [InlineData(1, 1448, true)]
    public void Ingest_LockstepTcpSteadyState_AllocatesNothing(int flows, int payload, bool resegmented)
    {
        var sink = new NullSink();
        var engine = new CompareEngine(new CompareOptions(), sink);
        List<byte[]> primary = TcpFrames(flows, 400, payload, false);
        List<byte[]> secondary = TcpFrames(flows, 400, payload, resegmented);
        int ratio = secondary.Count / primary.Count;
        int chunk = primary.Count / 4;
        // Warm up with the first quarter, then measure the other quarters (sliced beforehand: slicing allocates).
        var quarters = Enumerable.Range(0, 4)
            .Select(q => (Primary: primary[(q * chunk)..((q + 1) * chunk)], Secondary: secondary[(q * chunk * ratio)..((q + 1) * chunk * ratio)]))
            .ToList();
        Allocated(engine, quarters[0].Primary, quarters[0].Secondary);
        int next = 1;

        long allocated = FewestBytesAllocated(() =>
        {
            Allocated(engine, quarters[next].Primary, quarters[next].Secondary);
            next++;
        });

        Assert.Equal(0, allocated);
        Assert.Equal(next * chunk, sink.Released);
    }

    [Fact]
    public void Ingest_OneFlowFloodRingGrowsAndDrains_AllocatesNothingOnceWarm()
    {
        // The primary runs 1000 segments (1.4 MB) ahead, then the secondary catches up: the stream ring grows past
        // the small size classes and drains, again and again.
        var sink = new NullSink();
        var engine = new CompareEngine(new CompareOptions(), sink);
        List<byte[]> frames = TcpFrames(1, 5000, 1448, false);
        void Burst(int from)
        {
            for (int i = from; i < from + 1000; i++)
                engine.Ingest(Side.Primary, frames[i], 0, TimeSpan.Zero);
            for (int i = from; i < from + 1000; i++)
                engine.Ingest(Side.Secondary, frames[i], 0, TimeSpan.Zero);
        }
        Burst(0);
        Burst(1000);
        int next = 2000;

        long allocated = FewestBytesAllocated(() =>
        {
            Burst(next);
            next += 1000;
        });

        Assert.Equal(0, allocated);
        Assert.Equal(next, sink.Released);
    }

    [Fact]
    public void Ingest_UdpSteadyState_AllocatesNothing()
    {
        var sink = new NullSink();
        var engine = new CompareEngine(new CompareOptions(), sink);
        var frames = Enumerable.Range(0, 2000).Select(i => Udp(BitConverter.GetBytes(i), sourcePort: (ushort)(i % 10))).ToList();
        List<List<byte[]>> quarters = frames.Chunk(500).Select(c => c.ToList()).ToList();
        Allocated(engine, quarters[0], quarters[0]);
        int next = 1;

        long allocated = FewestBytesAllocated(() =>
        {
            Allocated(engine, quarters[next], quarters[next]);
            next++;
        });

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Ingest_SecondaryBehindSteadyState_AllocatesNothingOncePoolsAreWarm()
    {
        // The primary runs ahead by a window of 64 segments: frames are queued (pooled copies) and released later.
        var sink = new NullSink();
        var engine = new CompareEngine(new CompareOptions(), sink);
        List<byte[]> frames = TcpFrames(1, 3000, 1448, false);
        int window = 64;
        for (int i = 0; i < 1000; i++)
        {
            engine.Ingest(Side.Primary, frames[i + window], 0, TimeSpan.Zero);
            engine.Ingest(Side.Secondary, frames[i], 0, TimeSpan.Zero);
        }

        int at = 1000;

        long allocated = FewestBytesAllocated(() =>
        {
            for (int end = at + 300; at < end; at++)
            {
                engine.Ingest(Side.Primary, frames[at + window], 0, TimeSpan.Zero);
                engine.Ingest(Side.Secondary, frames[at], 0, TimeSpan.Zero);
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal(at - window, sink.Released);
    }
}
