namespace Colo.Compare.Tests;

public class ReasonNamesTests
{
    [Fact]
    public void Of_EveryValue_IsLowerSnakeCaseOfItsName()
    {
        Assert.Equal("queue_full", ReasonNames.Of(CheckpointReason.QueueFull));
        Assert.Equal("not_compared", ReasonNames.Of(DropReason.NotCompared));
        Assert.Equal("compared", ReasonNames.Of(ReleaseReason.Compared));
        Assert.Equal("inconsistent_retransmission", ReasonNames.Of(DivergenceKind.InconsistentRetransmission));
        Assert.All(Enum.GetValues<DropReason>(), r => Assert.Matches("^[a-z]+(_[a-z]+)*$", ReasonNames.Of(r)));
        Assert.All(Enum.GetValues<ReleaseReason>(), r => Assert.Matches("^[a-z]+(_[a-z]+)*$", ReasonNames.Of(r)));
    }
}
