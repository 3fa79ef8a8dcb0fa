namespace Colo.Compare.Tests.Support;

/// <summary>An engine with a recording sink and a manual clock.</summary>
internal sealed class EngineHarness
{
    public EngineHarness(CompareOptions? options = null)
    {
        Sink = new RecordingSink();
        Engine = new CompareEngine(options ?? new CompareOptions(), Sink);
    }

    public CompareEngine Engine { get; }
    public RecordingSink Sink { get; }
    public TimeSpan Now { get; set; }

    public EngineHarness Primary(byte[] frame, int vnet = 0)
    {
        Engine.Ingest(Side.Primary, frame, vnet, Now);
        return this;
    }

    public EngineHarness Secondary(byte[] frame, int vnet = 0)
    {
        Engine.Ingest(Side.Secondary, frame, vnet, Now);
        return this;
    }

    /// <summary>Moves the clock and lets the engine scan for timeouts.</summary>
    public EngineHarness Advance(TimeSpan by)
    {
        Now += by;
        Engine.AdvanceTime(Now);
        return this;
    }

    public void AssertBalanced()
    {
        EngineCounters c = Engine.Counters;
        Assert.True(c.IsBalanced,
            $"accounting: primary {c.PrimaryReceived} = {c.PrimaryReleased} released + {c.PrimaryQueued} queued + {c.PrimaryDropped} dropped; " +
            $"secondary {c.SecondaryReceived} = {c.SecondaryMatched} matched + {c.SecondaryQueued} queued + {c.SecondaryDropped} dropped");
    }
}
