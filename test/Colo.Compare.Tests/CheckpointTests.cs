using Colo.Compare.Tests.Support;
using Colo.Packets.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Compare.Tests;

/// <summary>Checkpoint causes, completion, failover and caps (DESIGN.md section 5).</summary>
public class CheckpointTests
{
    [Fact]
    public void AdvanceTime_FrameOlderThanCompareTimeout_ReportedOncePerStuckFrame()
    {
        var h = new EngineHarness();
        h.Primary(Udp(Ascii("alone")));

        h.Advance(TimeSpan.FromMilliseconds(2999));
        Assert.Empty(h.Sink.Triggers);
        for (int i = 0; i < 5; i++)
            h.Advance(TimeSpan.FromSeconds(1));

        CheckpointTrigger t = Assert.Single(h.Sink.Triggers);
        Assert.Equal(CheckpointReason.Timeout, t.Reason);
        Assert.Equal(Side.Primary, t.Side);
        Assert.True(t.Waited > TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void AdvanceTime_SecondaryFrameWaitsForPrimary_TimesOut()
    {
        var h = new EngineHarness();
        h.Secondary(Udp(Ascii("early")));

        h.Advance(TimeSpan.FromSeconds(4));

        Assert.Equal(Side.Secondary, Assert.Single(h.Sink.Triggers).Side);
    }

    [Fact]
    public void AdvanceTime_ScansOnlyOncePerScanCycle()
    {
        var options = new CompareOptions { CompareTimeout = TimeSpan.FromMilliseconds(100), ExpiredScanCycle = TimeSpan.FromSeconds(1) };
        var h = new EngineHarness(options);
        h.Advance(TimeSpan.FromMilliseconds(1));
        h.Primary(Udp(Ascii("x")));

        h.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Empty(h.Sink.Triggers);
        h.Advance(TimeSpan.FromMilliseconds(600));

        Assert.Single(h.Sink.Triggers);
    }

    [Fact]
    public void CompleteCheckpoint_FlushesFlowsInFirstQueuedOrderEachInItsOwnOrder()
    {
        var h = new EngineHarness();
        h.Primary(Udp(Ascii("b1"), sourcePort: 2)).Primary(Udp(Ascii("a1"), sourcePort: 1)).Primary(Udp(Ascii("b2"), sourcePort: 2));
        h.Secondary(Udp(Ascii("zz"), sourcePort: 3));

        h.Engine.CompleteCheckpoint(h.Now);

        Assert.Equal(["b1", "b2", "a1"], h.Sink.ReleasedPayloads());
        Assert.Equal(1, h.Engine.Counters.Dropped(Side.Secondary, DropReason.Checkpoint));
        Assert.Equal(0, h.Engine.BufferedBytes);
        h.AssertBalanced();
    }

    [Fact]
    public void CompleteCheckpoint_RebaselinesAckGateToPrimary()
    {
        var h = new EngineHarness();
        h.Primary(Tcp(1, Ascii("abc"), acknowledgment: 9000));
        h.Engine.CompleteCheckpoint(h.Now);

        // The secondary now has the primary's state: its next segment acks what the primary acked.
        h.Primary(Tcp(4, Ascii("def"), acknowledgment: 9000)).Secondary(Tcp(4, Ascii("def"), acknowledgment: 8000));

        Assert.Equal(["abc", "def"], h.Sink.ReleasedPayloads());
    }

    [Fact]
    public void Failover_ReleasesQueuedThenForwardsUncompared()
    {
        var h = new EngineHarness();
        h.Primary(Tcp(1, Ascii("held")));

        h.Engine.Failover(h.Now);
        h.Primary(Tcp(5, Ascii("after"))).Secondary(Tcp(5, Ascii("ignored")));

        Assert.Equal(["held", "after"], h.Sink.ReleasedPayloads());
        Assert.All(h.Sink.Released, r => Assert.Equal(ReleaseReason.Failover, r.Info.Reason));
        Assert.Equal(1, h.Engine.Counters.Dropped(Side.Secondary, DropReason.Failover));
        Assert.True(h.Engine.InFailover);
        h.AssertBalanced();
    }

    [Fact]
    public void ReleaseAll_ReleasesQueuedPrimaryFramesForShutdown()
    {
        var h = new EngineHarness();
        h.Primary(Tcp(1, Ascii("a"))).Primary(Udp(Ascii("b"))).Secondary(Udp(Ascii("c"), sourcePort: 9));

        h.Engine.ReleaseAll(h.Now);

        Assert.Equal(2, h.Sink.Released.Count);
        Assert.Equal(0, h.Engine.Counters.PrimaryQueued);
        Assert.Equal(1, h.Engine.Counters.Dropped(Side.Secondary, DropReason.Shutdown));
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_QueueOverMaxQueueSize_RequestsCheckpointAndDropsNothing()
    {
        // QEMU drops the new frame silently and the flow stalls for good.
        var h = new EngineHarness(new CompareOptions { MaxQueueSize = 4 });

        for (int i = 0; i < 10; i++)
            h.Primary(Udp(Ascii("d" + i)));

        Assert.Equal(1, h.Sink.TriggerCount(CheckpointReason.QueueFull));
        Assert.Equal(10, h.Engine.Counters.PrimaryQueued);
        Assert.Equal(0, h.Engine.Counters.PrimaryDropped);
        h.Engine.CompleteCheckpoint(h.Now);
        Assert.Equal(10, h.Sink.Released.Count);
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_OverMemoryCap_RequestsCheckpointDropsSecondaryNeverPrimary()
    {
        var h = new EngineHarness(new CompareOptions { MaxBufferedBytes = 64 * 1024 });
        var big = new byte[1400];

        for (int i = 0; i < 60; i++)
            h.Primary(Udp(big, sourcePort: 1));
        for (int i = 0; i < 5; i++)
            h.Secondary(Udp(big, sourcePort: 2));

        Assert.Equal(1, h.Sink.TriggerCount(CheckpointReason.MemoryCap));
        Assert.Equal(60, h.Engine.Counters.PrimaryQueued);
        Assert.Equal(5, h.Engine.Counters.Dropped(Side.Secondary, DropReason.MemoryCap));
        h.AssertBalanced();
    }

    [Fact]
    public void Ingest_FlowTableFull_EvictsIdleFlows()
    {
        var h = new EngineHarness(new CompareOptions { MaxFlows = 8 });

        for (ushort port = 1; port <= 20; port++)
            h.Primary(Udp(Ascii("x"), sourcePort: port)).Secondary(Udp(Ascii("x"), sourcePort: port));

        Assert.True(h.Engine.FlowCount <= 8);
        Assert.Equal(20, h.Sink.Released.Count);
        Assert.Empty(h.Sink.Triggers);
        Assert.True(h.Engine.Counters.FlowsEvicted > 0);
    }

    [Fact]
    public void Ingest_FlowTableFullOfBusyFlows_RequestsCheckpointOnceAndKeepsFrames()
    {
        var h = new EngineHarness(new CompareOptions { MaxFlows = 4 });

        for (ushort port = 1; port <= 10; port++)
            h.Primary(Udp(Ascii("x"), sourcePort: port));

        Assert.Equal(1, h.Sink.TriggerCount(CheckpointReason.FlowTableFull));
        Assert.Equal(10, h.Engine.Counters.PrimaryQueued);
        h.AssertBalanced();
    }

    [Fact]
    public void AddPassthrough_MatchingFlow_ReleasedAtOnceSecondaryDropped()
    {
        var h = new EngineHarness();
        h.Primary(Udp(Ascii("queued"), sourcePort: 5353));

        h.Engine.AddPassthrough(new PassthroughRule(IpProtocol.Udp, null, 5353, null, null));
        h.Primary(Udp(Ascii("later"), sourcePort: 5353)).Secondary(Udp(Ascii("other"), sourcePort: 5353));

        Assert.Equal(["queued", "later"], h.Sink.ReleasedPayloads());
        Assert.All(h.Sink.Released, r => Assert.Equal(ReleaseReason.Passthrough, r.Info.Reason));
        Assert.Equal(1, h.Engine.Counters.Dropped(Side.Secondary, DropReason.Passthrough));
        h.AssertBalanced();
    }

    [Fact]
    public void RemovePassthrough_FlowComparedAgain()
    {
        var h = new EngineHarness();
        var rule = new PassthroughRule(IpProtocol.Udp, null, 5353, null, null);
        h.Engine.AddPassthrough(rule);
        h.Primary(Udp(Ascii("a"), sourcePort: 5353));

        Assert.True(h.Engine.RemovePassthrough(rule));
        h.Primary(Udp(Ascii("b"), sourcePort: 5353));

        Assert.Single(h.Sink.Released);
        Assert.Equal(1, h.Engine.Counters.PrimaryQueued);
    }

    [Fact]
    public void GetTopFlows_OrdersByQueuedBytes()
    {
        var h = new EngineHarness();
        h.Primary(Udp(new byte[10], sourcePort: 1)).Primary(Udp(new byte[1000], sourcePort: 2));

        IReadOnlyList<FlowStatus> flows = h.Engine.GetTopFlows(1, h.Now);

        Assert.Equal(2, Assert.Single(flows).Flow.SourcePort);
    }

    [Fact]
    public void CheckpointCoordinator_CoalescesAndRepeatsOncePerCycle()
    {
        var coordinator = new CheckpointCoordinator(TimeSpan.FromSeconds(1));
        var trigger = new CheckpointTrigger(CheckpointReason.Divergence, default, false, Side.Primary, TimeSpan.Zero, TimeSpan.Zero);

        Assert.True(coordinator.OnTrigger(trigger, TimeSpan.Zero));
        Assert.False(coordinator.OnTrigger(trigger, TimeSpan.FromMilliseconds(10)));
        Assert.False(coordinator.OnTick(TimeSpan.FromMilliseconds(999)));
        Assert.True(coordinator.OnTick(TimeSpan.FromMilliseconds(1000)));
        coordinator.OnCompleted();

        Assert.False(coordinator.Outstanding);
        Assert.True(coordinator.OnTrigger(trigger, TimeSpan.FromSeconds(5)));
        Assert.Equal(3, coordinator.RequestsSent);
    }

    [Fact]
    public void Options_InvalidValue_ValidateNamesOption()
    {
        var options = new CompareOptions { MaxQueueSize = 0 };

        var ex = Assert.Throws<ArgumentOutOfRangeException>(options.Validate);

        Assert.Contains("max_queue_size", ex.Message, StringComparison.Ordinal);
    }
}
