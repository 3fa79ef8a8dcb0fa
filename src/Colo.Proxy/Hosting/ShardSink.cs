using Colo.Compare;
using Colo.Proxy.Metrics;

namespace Colo.Proxy.Hosting;

/// <summary>
/// One engine shard's decisions: released frames to the output buffer (waiting for room), triggers to the checkpoint
/// dispatcher, divergences and recordings to the host (none in tests that drive a shard alone).
/// </summary>
internal sealed class ShardSink(CheckpointDispatcher checkpoints, ProxyHost? host, OutputBuffer output, ColoMetrics metrics, Func<TimeSpan> clock) : ICompareSink
{
    public void Release(ReadOnlySpan<byte> frame, in ReleaseInfo info)
    {
        // The output buffer's capacity binds engines too: a checkpoint that releases a whole queue hands it to outdev
        // at outdev's pace, frame by frame, instead of into memory at once. The engine lock is held meanwhile, so this
        // shard's inputs pause with it; nothing is reordered or lost.
        output.WaitForSpace(CancellationToken.None);
        output.Write(frame, info.VnetHeaderLength);
        bool latency = metrics.ReleaseLatencyEnabled;
        if (Capture is null && !latency)
            return;
        TimeSpan now = clock();
        Capture?.Released(frame, info.VnetHeaderLength, now);
        if (latency)
            metrics.ReleaseLatency(now - info.ArrivalTime);
    }

    /// <summary>The engine this sink serves (set right after the engine is built).</summary>
    public CompareEngine? Engine { get; set; }

    /// <summary><c>--capture</c>: released frames are written to its outdev stream.</summary>
    public Recording.TrafficCapture? Capture { get; set; }

    public void CheckpointTriggered(in CheckpointTrigger trigger)
    {
        checkpoints.OnTriggered(trigger);
        if (host is not null && Engine is { } engine)
            host.RecordTrigger(trigger, engine);
    }

    public void Diverged(Divergence divergence) => host?.OnDiverged(divergence);
}
