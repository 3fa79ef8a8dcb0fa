namespace Colo.Compare;

/// <summary>
/// Receives the engine's decisions, synchronously, on the engine's thread. <see cref="Release"/> is on the hot path:
/// copy the bytes (the span is only valid during the call) and return quickly.
/// </summary>
public interface ICompareSink
{
    /// <summary>A primary frame may go to the network, byte-identical, in the order of these calls.</summary>
    void Release(ReadOnlySpan<byte> frame, in ReleaseInfo info);

    /// <summary>Something happened that needs a checkpoint (see <see cref="CheckpointCoordinator"/> for coalescing).</summary>
    void CheckpointTriggered(in CheckpointTrigger trigger);

    /// <summary>The replicas diverged on a flow (reported once per flow until the next checkpoint).</summary>
    void Diverged(Divergence divergence);
}
