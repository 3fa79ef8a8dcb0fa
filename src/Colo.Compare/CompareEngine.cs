namespace Colo.Compare;

/// <summary>API skeleton; the implementation is being written.</summary>
public sealed class CompareEngine
{
    public CompareEngine(CompareOptions options, ICompareSink sink)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
    }

    public EngineCounters Counters { get; } = new();
    public int FlowCount => 0;
    public long BufferedBytes => 0;
    public bool InFailover => false;
    public IReadOnlyList<PassthroughRule> PassthroughRules => [];

    public void Ingest(Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, TimeSpan now) => throw new NotImplementedException();
    public void AdvanceTime(TimeSpan now) => throw new NotImplementedException();
    public void CompleteCheckpoint(TimeSpan now) => throw new NotImplementedException();
    public void Failover(TimeSpan now) => throw new NotImplementedException();
    public void ReleaseAll(TimeSpan now) => throw new NotImplementedException();
    public void AddPassthrough(PassthroughRule rule) => throw new NotImplementedException();
    public bool RemovePassthrough(PassthroughRule rule) => throw new NotImplementedException();
    public IReadOnlyList<FlowStatus> GetTopFlows(int limit) => throw new NotImplementedException();
}
