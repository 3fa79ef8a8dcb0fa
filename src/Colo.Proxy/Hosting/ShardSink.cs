using Colo.Compare;
using Colo.Proxy.Metrics;

namespace Colo.Proxy.Hosting;

/// <summary>One engine shard's decisions: released frames to the output buffer, triggers and divergences to the host.</summary>
internal sealed class ShardSink(ProxyHost host, OutputBuffer output, ColoMetrics metrics, Func<TimeSpan> clock) : ICompareSink
{
    public void Release(ReadOnlySpan<byte> frame, in ReleaseInfo info)
    {
        output.Write(frame, info.VnetHeaderLength);
        Capture?.Released(frame, info.VnetHeaderLength, clock());
        if (metrics.ReleaseLatencyEnabled)
            metrics.ReleaseLatency(clock() - info.ArrivalTime);
    }

    /// <summary>The engine this sink serves (set right after the engine is built).</summary>
    public CompareEngine? Engine { get; set; }

    /// <summary><c>--capture</c>: released frames are written to its outdev stream.</summary>
    public Recording.TrafficCapture? Capture { get; set; }

    public void CheckpointTriggered(in CheckpointTrigger trigger)
    {
        host.OnCheckpointTriggered(trigger);
        if (Engine is { } engine)
            host.RecordTrigger(trigger, engine);
    }

    public void Diverged(Divergence divergence) => host.OnDiverged(divergence);
}
