using Colo.Compare.Tests.Support;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Compare.Tests;

public class EngineCountersTests
{
    [Fact]
    public void RecordUndelivered_AfterShutdownRelease_MovesTheLastReleasedToDroppedAndStaysBalanced()
    {
        // Arrange: two datagrams wait for the secondary, then shutdown releases them.
        var h = new EngineHarness();
        h.Primary(Udp(Ascii("a"), sourcePort: 1000));
        h.Primary(Udp(Ascii("b"), sourcePort: 1001));
        h.Engine.ReleaseAll(h.Now);
        EngineCounters counters = h.Engine.Counters.Snapshot();
        Assert.Equal(2, counters.Released(ReleaseReason.Shutdown));

        // Act: both never reached outdev.
        counters.RecordUndelivered(2);

        // Assert
        Assert.Equal(2, counters.Dropped(Side.Primary, DropReason.Undelivered));
        Assert.Equal(0, counters.Released(ReleaseReason.Shutdown));
        Assert.Equal(0, counters.PrimaryReleased);
        Assert.True(counters.IsBalanced);
    }

    [Fact]
    public void RecordUndelivered_MoreThanReleased_Throws()
    {
        var counters = new EngineCounters();

        Assert.Throws<ArgumentOutOfRangeException>(() => counters.RecordUndelivered(1));
    }
}
