using Colo.Compare.Tests.Support;
using Colo.Packets.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Compare.Tests;

/// <summary>The flight recorder: each flow's recent frames of both sides, handed out with a divergence.</summary>
public class FlightRecorderTests
{
    private static CompareOptions Recording(int perFlow = CompareOptions.ServeRecorderBytesPerFlow, long budget = 1024 * 1024) =>
        new() { RecorderBytesPerFlow = perFlow, RecorderBudgetBytes = budget };

    [Fact]
    public void Divergence_CarriesBothSidesFramesUpToTheOneThatDiffered_InArrivalOrder()
    {
        var h = new EngineHarness(Recording());
        byte[] p1 = Tcp(1001, Ascii("GET / HTTP/1.0\r\n"));
        byte[] s1 = Tcp(1001, Ascii("GET / HTTP/1.0\r\n"));
        byte[] p2 = Tcp(1017, Ascii("Date: Mon 1\r\n"));
        byte[] s2 = Tcp(1017, Ascii("Date: Mon 2\r\n"));
        h.Primary(p1).Advance(TimeSpan.FromMilliseconds(1)).Secondary(s1).Advance(TimeSpan.FromMilliseconds(1))
            .Primary(p2).Advance(TimeSpan.FromMilliseconds(1)).Secondary(s2);

        Divergence d = Assert.Single(h.Sink.Divergences);
        Assert.Equal(
            [(Side.Primary, p1), (Side.Secondary, s1), (Side.Primary, p2), (Side.Secondary, s2)],
            d.RecentFrames.Select(f => (f.Side, f.Frame)));
        Assert.Equal([1, 2, 3], d.RecentFrames.Skip(1).Select(f => (int)f.Time.TotalMilliseconds));
    }

    [Fact]
    public void Recorder_KeepsTheMostRecentFramesWithinItsSize_AndStripsTheVnetHeader()
    {
        // 4 KiB per flow: 2 KiB per side holds three 600-byte frames; each later one evicts the oldest in its way.
        var h = new EngineHarness(Recording(perFlow: 4096));
        var sent = new List<byte[]>();
        for (int i = 0; i < 10; i++)
        {
            byte[] frame = Tcp((uint)(1001 + i * 546), new byte[546]);
            sent.Add(frame);
            h.Primary([.. new byte[10], .. frame], vnet: 10);
        }

        IReadOnlyList<RecordedFrame> kept = h.Engine.RecentFrames(Flow(sent[0]));
        Assert.Equal(sent.TakeLast(3), kept.Select(f => f.Frame));
        Assert.All(kept, f => Assert.Equal(Side.Primary, f.Side));
    }

    [Fact]
    public void Recorder_Off_KeepsNothingAndAllocatesNoRings()
    {
        var h = new EngineHarness();
        h.Primary(Tcp(1001, Ascii("abcd"))).Secondary(Tcp(1001, Ascii("abce")));

        Assert.Empty(Assert.Single(h.Sink.Divergences).RecentFrames);
        Assert.Equal(0, h.Engine.RecorderBytes);
    }

    [Fact]
    public void BudgetSpent_TheOldestFramesOfAnyFlowMakeRoom_AndTheRingIsTheBudget()
    {
        // 1 KiB for everything: b's later frames overwrite a's, whatever flow they belong to.
        var h = new EngineHarness(Recording(budget: 1024));
        byte[] a = Udp(Ascii("a"), sourcePort: 1);
        h.Primary(a).Secondary(a);
        var sent = new List<byte[]>();
        for (int i = 0; i < 30; i++)
        {
            byte[] b = Udp(Ascii($"b{i}"), sourcePort: 2);
            sent.Add(b);
            h.Primary(b).Secondary(b);
        }

        Assert.Empty(h.Engine.RecentFrames(Flow(a)));
        IReadOnlyList<RecordedFrame> kept = h.Engine.RecentFrames(Flow(sent[0]));
        // Each frame takes its length rounded up to 8 plus a 24-byte header; the ring keeps all that fit in it but the
        // one whose place the newest frame skipped at the end of the ring.
        int record = 24 + ((sent[^1].Length + 7) & ~7);
        Assert.InRange(kept.Count, 1024 / record - 1, 1024 / record);
        // What is kept is the newest, both sides, in arrival order.
        Assert.Equal(sent.TakeLast(kept.Count / 2).SelectMany(f => new[] { f, f }), kept.Select(f => f.Frame));
        Assert.Equal(1024, h.Engine.RecorderBytes);
        h.AssertBalanced();
    }

    [Fact]
    public void FrameLargerThanTheRing_IsNotKept_AndTheOthersStay()
    {
        var h = new EngineHarness(Recording(budget: 1024));
        byte[] small = Udp(Ascii("small"), sourcePort: 7);
        byte[] large = Udp(new byte[1200], sourcePort: 7);
        h.Primary(small).Secondary(small).Primary(large).Secondary(large);

        Assert.Equal([small, small], h.Engine.RecentFrames(Flow(small)).Select(f => f.Frame));
    }

    [Fact]
    public void ManyBusyFlows_EachKeepsItsRecentFrames()
    {
        // serve's defaults and a thousand flows taking turns, as a busy host does.
        var h = new EngineHarness(Recording(CompareOptions.ServeRecorderBytesPerFlow, CompareOptions.ServeRecorderBudgetBytes));
        byte[][] frames = [.. Enumerable.Range(0, 1000).Select(i => Udp(Ascii($"f{i}"), sourcePort: (ushort)(1 + i)))];
        for (int round = 0; round < 20; round++)
        {
            foreach (byte[] frame in frames)
                h.Primary(frame).Secondary(frame);
        }

        Assert.All(frames, f => Assert.Equal(40, h.Engine.RecentFrames(Flow(f)).Count));
        h.AssertBalanced();
    }

    [Fact]
    public void PerFlowSize_CutsEachSideToItsNewestFrames_WithoutStarvingTheQuieterSide()
    {
        // 4 KiB per flow: 2 KiB per side. The primary sends ten 600-byte frames, the secondary one before them.
        var h = new EngineHarness(Recording(perFlow: 4096));
        byte[] first = Tcp(1001, new byte[546]);
        h.Secondary(first);
        var sent = new List<byte[]>();
        for (int i = 0; i < 10; i++)
        {
            byte[] frame = Tcp((uint)(1001 + i * 546), new byte[546]);
            sent.Add(frame);
            h.Primary(frame);
        }

        IReadOnlyList<RecordedFrame> kept = h.Engine.RecentFrames(Flow(first));
        Assert.Equal([(Side.Secondary, first), .. sent.TakeLast(3).Select(f => (Side.Primary, f))], kept.Select(f => (f.Side, f.Frame)));
    }

    [Fact]
    public void Ring_StartsSmall_AndDoublesAsFlowsStartRecording_UpToTheBudget()
    {
        // serve's defaults: 64 KiB per flow, 16 MiB budget. Each flow recording wants 128 KiB of ring.
        var h = new EngineHarness(Recording(CompareOptions.ServeRecorderBytesPerFlow, CompareOptions.ServeRecorderBudgetBytes));
        void Flows(int from, int to)
        {
            for (int i = from; i < to; i++)
            {
                byte[] frame = Udp(Ascii($"f{i}"), sourcePort: (ushort)(1 + i));
                h.Primary(frame).Secondary(frame);
            }
        }

        Flows(0, 2);
        Assert.Equal(256 * 1024, h.Engine.RecorderBytes);
        Flows(2, 3);
        Assert.Equal(512 * 1024, h.Engine.RecorderBytes);
        Flows(3, 100);
        Assert.Equal(16 * 1024 * 1024, h.Engine.RecorderBytes);
        Flows(100, 1000);
        Assert.Equal(CompareOptions.ServeRecorderBudgetBytes, h.Engine.RecorderBytes);
        h.AssertBalanced();
    }

    [Fact]
    public void Growing_KeepsEveryFlowsHistory_AndTheRingWrapsAtItsNewSize()
    {
        // 16 KiB per flow, a 10 MiB budget (not a power of two: the ring starts at 320 KiB, 10 MiB / 32).
        var h = new EngineHarness(Recording(perFlow: 16 * 1024, budget: 10 * 1024 * 1024));
        // A quiet flow records once, then the bulk flow overwrites its frame in the small ring.
        byte[] quiet = Udp(Ascii("quiet"), sourcePort: 2);
        h.Primary(quiet).Secondary(quiet);
        byte[] first = Udp(new byte[980], sourcePort: 1);
        // Enough of one flow to wrap the first ring several times: only the newest 8 KiB per side stay in the record.
        var sent = new List<byte[]>();
        for (int i = 0; i < 1000; i++)
        {
            byte[] frame = Udp([.. BitConverter.GetBytes(i), .. new byte[976]], sourcePort: 1);
            sent.Add(frame);
            h.Primary(frame).Secondary(frame);
        }
        Assert.Equal(320 * 1024, h.Engine.RecorderBytes);
        // 8 frames of 1022 bytes per side fit in 8 KiB.
        List<byte[]> before = [.. h.Engine.RecentFrames(Flow(first)).Select(f => f.Frame)];
        Assert.Equal(sent.TakeLast(8).SelectMany(f => new[] { f, f }), before);
        Assert.Empty(h.Engine.RecentFrames(Flow(quiet)));

        // 400 more flows want 400 x 32 KiB: the ring doubles to 10 MiB, carrying the first flow's frames over.
        for (int i = 0; i < 400; i++)
        {
            byte[] frame = Udp(Ascii($"g{i}"), sourcePort: (ushort)(100 + i));
            h.Primary(frame).Secondary(frame);
        }
        Assert.Equal(10 * 1024 * 1024, h.Engine.RecorderBytes);
        Assert.Equal(before, h.Engine.RecentFrames(Flow(first)).Select(f => f.Frame));
        // The quiet flow's frame now falls inside the larger ring's span, but the small ring had overwritten it: still
        // nothing, not whatever the larger ring holds there.
        Assert.Empty(h.Engine.RecentFrames(Flow(quiet)));

        // Writing on wraps the larger ring too; the first flow's newest frames are what its record holds.
        for (int i = 0; i < 12000; i++)
        {
            byte[] frame = Udp([.. BitConverter.GetBytes(i), .. new byte[976]], sourcePort: 1);
            sent.Add(frame);
            h.Primary(frame).Secondary(frame);
        }
        List<byte[]> after = [.. h.Engine.RecentFrames(Flow(first)).Select(f => f.Frame)];
        Assert.Equal(16, after.Count);
        Assert.Equal(sent.TakeLast(8).SelectMany(f => new[] { f, f }), after);
        h.AssertBalanced();
    }

    [Fact]
    public void FlowsTheEngineForgets_NoLongerCount_SoChurnDoesNotGrowTheRing()
    {
        // A table of 8 flows: a thousand short flows one after another leave at most 8 recording.
        var options = Recording(CompareOptions.ServeRecorderBytesPerFlow, CompareOptions.ServeRecorderBudgetBytes);
        options.MaxFlows = 8;
        var h = new EngineHarness(options);
        for (int i = 0; i < 1000; i++)
        {
            byte[] frame = Udp(Ascii($"f{i}"), sourcePort: (ushort)(1 + i));
            h.Primary(frame).Secondary(frame);
        }

        // 8 x 128 KiB; counting every flow ever seen would have taken the whole 16 MiB budget.
        Assert.Equal(1024 * 1024, h.Engine.RecorderBytes);
        h.AssertBalanced();
    }

    [Fact]
    public void RecordingFrames_AllocatesNothingPerFrame()
    {
        var sink = new CountingSink();
        var engine = new CompareEngine(Recording(), sink);
        byte[][] frames = [.. Enumerable.Range(0, 4000).Select(i => Tcp((uint)(1001 + i / 8 * 1448), new byte[1448], sourcePort: (ushort)(1 + i % 8)))];
        long fewest = long.MaxValue;
        for (int window = 0; window < 4; window++)
        {
            // The first window warms up (rings, stores and the JIT); a real per-frame allocation shows in every one.
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = window * 1000; i < (window + 1) * 1000; i++)
            {
                engine.Ingest(Side.Primary, frames[i], 0, TimeSpan.Zero);
                engine.Ingest(Side.Secondary, frames[i], 0, TimeSpan.Zero);
            }
            if (window > 0)
                fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.Equal(0, fewest);
        Assert.Equal(4000, sink.Released);
    }

    private sealed class CountingSink : ICompareSink
    {
        public long Released;

        public void Release(ReadOnlySpan<byte> frame, in ReleaseInfo info) => Released++;

        public void CheckpointTriggered(in CheckpointTrigger trigger) => throw new InvalidOperationException($"unexpected {trigger.Reason}");

        public void Diverged(Divergence divergence) => throw new InvalidOperationException("unexpected divergence");
    }

    private static FlowKey Flow(byte[] frame)
    {
        Assert.Equal(ParseStatus.Ok, FrameParser.TryParse(frame, 0, out PacketInfo info));
        return FlowKey.From(frame, info);
    }
}
