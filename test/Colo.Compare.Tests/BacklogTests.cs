using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Compare.Tests;

/// <summary>
/// One side far ahead of the other, as on a real COLO pair whose secondary runs slower: up to 200 MB of backlog with
/// the default 256 MiB memory cap. Behaviour only (checkpoints, releases, bytes held, allocations), never time.
/// </summary>
public class BacklogTests
{
    private const int Payload = 1460;           // 1514-byte Ethernet frames
    private const long BacklogBytes = 200_000_000;
    private const int ChunkSize = 16 * 1024;

    /// <summary>Counts releases and checkpoint requests without keeping anything (a 200 MB backlog is not copied again).</summary>
    private sealed class CountingSink : ICompareSink
    {
        public long Released;
        public long ReleasedBytes;
        public long MemoryCapCheckpoints;
        public long OtherCheckpoints;
        public long Divergences;

        public void Release(ReadOnlySpan<byte> frame, in ReleaseInfo info)
        {
            Released++;
            ReleasedBytes += frame.Length;
        }

        public void CheckpointTriggered(in CheckpointTrigger trigger)
        {
            if (trigger.Reason == CheckpointReason.MemoryCap)
                MemoryCapCheckpoints++;
            else
                OtherCheckpoints++;
        }

        public void Diverged(Divergence divergence) => Divergences++;
    }

    /// <summary>
    /// Frames of <paramref name="flows"/> flows taking turns, one segment of <see cref="Payload"/> bytes each, built in
    /// place (one template per flow, its sequence number rewritten) so that feeding millions of frames allocates
    /// nothing in the test itself.
    /// </summary>
    private sealed class Traffic
    {
        private readonly byte[][] _templates;

        public Traffic(int flows)
        {
            var payload = new byte[Payload];
            new Random(13).NextBytes(payload);
            _templates = new byte[flows][];
            for (int f = 0; f < flows; f++)
                _templates[f] = Tcp(1, payload, sourcePort: (ushort)(1000 + f));
        }

        public int FrameLength => _templates[0].Length;

        /// <summary>Frame number <paramref name="index"/> in send order (flow index % flows, its segment index / flows).</summary>
        public byte[] Frame(long index)
        {
            byte[] frame = _templates[(int)(index % _templates.Length)];
            long segment = index / _templates.Length;
            SetIpv4TcpSequence(frame, unchecked((uint)(1 + (segment * Payload))));
            return frame;
        }
    }

    private static (CompareEngine Engine, CountingSink Sink) NewEngine()
    {
        var sink = new CountingSink();
        // Default memory cap (256 MiB); max_queue_size raised as compare.sh raises it, so only the memory cap limits.
        var options = new CompareOptions { MaxQueueSize = 1 << 20 };
        Assert.Equal(256L * 1024 * 1024, options.MaxBufferedBytes);
        return (new CompareEngine(options, sink), sink);
    }

    private static void Feed(CompareEngine engine, Traffic traffic, Side side, long from, long to)
    {
        for (long i = from; i < to; i++)
            engine.Ingest(side, traffic.Frame(i), 0, TimeSpan.Zero);
    }

    private static Side Other(Side side) => side == Side.Primary ? Side.Secondary : Side.Primary;

    [Theory]
    [InlineData(Side.Primary, 1)]
    [InlineData(Side.Secondary, 1)]
    [InlineData(Side.Primary, 1000)]
    [InlineData(Side.Secondary, 1000)]
    public void Ingest_200MBBacklogOfOneSide_NoMemoryCapCheckpointAndAllReleasedWhenOtherCatchesUp(Side ahead, int flows)
    {
        (CompareEngine engine, CountingSink sink) = NewEngine();
        var traffic = new Traffic(flows);
        long frames = BacklogBytes / traffic.FrameLength;

        Feed(engine, traffic, ahead, 0, frames);
        long heldAtPeak = engine.BufferedBytes;
        Feed(engine, traffic, Other(ahead), 0, frames);

        Assert.Equal(0, sink.MemoryCapCheckpoints);
        Assert.Equal(0, sink.OtherCheckpoints);
        Assert.Equal(0, sink.Divergences);
        Assert.Equal(frames, sink.Released);
        Assert.InRange(heldAtPeak, frames * Payload, engine.Options.MaxBufferedBytes);
        Assert.Equal(0, engine.BufferedBytes);
        Assert.True(engine.Counters.IsBalanced);
    }

    [Theory]
    [InlineData(Side.Primary, 1)]
    [InlineData(Side.Secondary, 1)]
    [InlineData(Side.Primary, 1000)]
    [InlineData(Side.Secondary, 1000)]
    public void Ingest_StandingBacklogOf100kFrames_SteadyStateAllocatesNothing(Side ahead, int flows)
    {
        (CompareEngine engine, CountingSink sink) = NewEngine();
        var traffic = new Traffic(flows);
        const int lead = 100_000;
        Feed(engine, traffic, ahead, 0, lead);
        long next = 0;
        void Step(int count)
        {
            for (int i = 0; i < count; i++, next++)
            {
                engine.Ingest(ahead, traffic.Frame(next + lead), 0, TimeSpan.Zero);
                engine.Ingest(Other(ahead), traffic.Frame(next), 0, TimeSpan.Zero);
            }
        }

        // Warm up: two turns of the backlog and at least 1 MiB of stream per flow, so that the backlog has lain across
        // every alignment to chunk (8 KiB) and table block (64 chunks) boundaries once: how many chunks and blocks a
        // standing backlog spans varies by one with its alignment, and the pools keep the most it ever needed.
        Step(Math.Max(2 * lead, flows * ((1 << 20) / Payload + 2)));
        long storage = engine.StorageAllocations;
        long fewest = long.MaxValue;
        for (int attempt = 0; attempt < 3 && fewest > 0; attempt++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Step(50_000);
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
        Assert.Equal(storage, engine.StorageAllocations);
        Assert.Equal(next, sink.Released);
        Assert.Equal(0, sink.MemoryCapCheckpoints + sink.OtherCheckpoints + sink.Divergences);
    }

    [Theory]
    [InlineData(Side.Primary)]
    [InlineData(Side.Secondary)]
    public void Ingest_BacklogDrainsAndBuildsUpAgain_ReturnsMemoryAndReusesRetainedChunks(Side ahead)
    {
        (CompareEngine engine, CountingSink sink) = NewEngine();
        var traffic = new Traffic(1);
        const long frames = 50_000; // about 75 MB
        Feed(engine, traffic, ahead, 0, frames);
        Feed(engine, traffic, Other(ahead), 0, frames);
        Assert.Equal(0, engine.BufferedBytes);
        long storage = engine.StorageAllocations;

        long before = GC.GetAllocatedBytesForCurrentThread();
        Feed(engine, traffic, ahead, frames, 2 * frames);
        long heldAgain = engine.BufferedBytes;
        Feed(engine, traffic, Other(ahead), frames, 2 * frames);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // The second backlog starts where the first ended, so it may lie across one more chunk or block of each kind
        // (the stream's chunks and table blocks, the queue's blocks); everything else comes from what the pools kept.
        const int mostNewUnits = 3;
        Assert.InRange(heldAgain, frames * Payload, engine.Options.MaxBufferedBytes);
        Assert.Equal(0, engine.BufferedBytes);
        Assert.InRange(engine.StorageAllocations - storage, 0, mostNewUnits);
        Assert.InRange(allocated, 0, mostNewUnits * (ChunkSize + 1024));
        Assert.Equal(2 * frames, sink.Released);
    }
}
