using Colo.Compare.Tests.Support;
using Colo.Packets.Frames;
using static Colo.Compare.Tests.Support.TestFrames;

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
                    frames.Add(Tcp(seq, data.AsSpan(0, payload / 2), sport: (ushort)(1000 + f)));
                    frames.Add(Tcp(seq + (uint)(payload / 2), data.AsSpan(payload / 2), sport: (ushort)(1000 + f)));
                }
                else
                {
                    frames.Add(Tcp(seq, data, sport: (ushort)(1000 + f)));
                }
            }
        }
        return frames;
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
        List<byte[]> warm = TcpFrames(flows, 4, payload, false);
        List<byte[]> primary = TcpFrames(flows, 400, payload, false).Skip(warm.Count).ToList();
        List<byte[]> secondary = TcpFrames(flows, 400, payload, resegmented).Skip(resegmented ? warm.Count * 2 : warm.Count).ToList();
        Allocated(engine, warm, warm);

        long allocated = Allocated(engine, primary, secondary);

        Assert.Equal(0, allocated);
        Assert.Equal(warm.Count + primary.Count, sink.Released);
    }

    [Fact]
    public void Ingest_OneFlowFloodRingGrowsAndDrains_AllocatesNothingOnceWarm()
    {
        // The primary runs 1000 segments (1.4 MB) ahead, then the secondary catches up: the stream ring grows past
        // the small size classes and drains, again and again.
        var sink = new NullSink();
        var engine = new CompareEngine(new CompareOptions(), sink);
        List<byte[]> frames = TcpFrames(1, 6000, 1448, false);
        void Burst(int from)
        {
            for (int i = from; i < from + 1000; i++)
                engine.Ingest(Side.Primary, frames[i], 0, TimeSpan.Zero);
            for (int i = from; i < from + 1000; i++)
                engine.Ingest(Side.Secondary, frames[i], 0, TimeSpan.Zero);
        }
        Burst(0);
        Burst(1000);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int from = 2000; from < 6000; from += 1000)
            Burst(from);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(6000, sink.Released);
    }

    [Fact]
    public void Ingest_UdpSteadyState_AllocatesNothing()
    {
        var sink = new NullSink();
        var engine = new CompareEngine(new CompareOptions(), sink);
        var frames = Enumerable.Range(0, 2000).Select(i => Udp(BitConverter.GetBytes(i), sport: (ushort)(i % 10))).ToList();
        Allocated(engine, frames[..200], frames[..200]);

        long allocated = Allocated(engine, frames[200..], frames[200..]);

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

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 1000; i < 2000; i++)
        {
            engine.Ingest(Side.Primary, frames[i + window], 0, TimeSpan.Zero);
            engine.Ingest(Side.Secondary, frames[i], 0, TimeSpan.Zero);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(2000 - window, sink.Released);
    }
}
