using Colo.Compare;
using Colo.Proxy.Metrics;

namespace Colo.Proxy.Hosting;

/// <summary>One engine shard's decisions: released frames to the output buffer (waiting for room), triggers and divergences to the host.</summary>
internal sealed class ShardSink(CheckpointDispatcher checkpoints, Action<Divergence> diverged, OutputBuffer output, ColoMetrics metrics, Func<TimeSpan> clock) : ICompareSink
{
    public void Release(ReadOnlySpan<byte> frame, in ReleaseInfo info)
    {
        // The output buffer's capacity binds engines too: a checkpoint that releases a whole queue hands it to outdev
        // at outdev's pace, frame by frame, instead of into memory at once. The engine lock is held meanwhile, so this
        // shard's inputs pause with it; nothing is reordered or lost.
        output.WaitForSpace(CancellationToken.None);
        output.Write(frame, info.VnetHeaderLength);
        if (metrics.ReleaseLatencyEnabled)
            metrics.ReleaseLatency(clock() - info.ArrivalTime);
    }

    public void CheckpointTriggered(in CheckpointTrigger trigger) => checkpoints.OnTriggered(trigger);

    public void Diverged(Divergence divergence) => diverged(divergence);
}
