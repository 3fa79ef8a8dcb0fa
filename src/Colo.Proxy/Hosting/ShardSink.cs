using Colo.Compare;
using Colo.Proxy.Metrics;

namespace Colo.Proxy.Hosting;

/// <summary>One engine shard's decisions: released frames to the output buffer, triggers and divergences to the host.</summary>
internal sealed class ShardSink(ProxyHost host, OutputBuffer output, ColoMetrics metrics, Func<TimeSpan> clock) : ICompareSink
{
    public void Release(ReadOnlySpan<byte> frame, in ReleaseInfo info)
    {
        output.Write(frame, info.VnetHeaderLength);
        if (metrics.ReleaseLatencyEnabled)
            metrics.ReleaseLatency(clock() - info.ArrivalTime);
    }

    public void CheckpointTriggered(in CheckpointTrigger trigger) => host.OnCheckpointTriggered(trigger);

    public void Diverged(Divergence divergence) => host.OnDiverged(divergence);
}
