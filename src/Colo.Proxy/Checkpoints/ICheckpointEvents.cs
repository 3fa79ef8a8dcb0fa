namespace Colo.Proxy.Checkpoints;

/// <summary>What a checkpoint channel reports back. Implementations must be thread-safe: channels call from their own tasks.</summary>
public interface ICheckpointEvents
{
    /// <summary>The hypervisor finished a checkpoint (Xen COLO_CHECKPOINT, QEMU STOP/MIGRATION_PASS/RESUME): flush.</summary>
    void CheckpointCompleted(string channel);

    /// <summary>The hypervisor failed over (QEMU COLO_EXIT): release everything, forward the primary uncompared.</summary>
    void FailoverRequested(string channel, string reason);

    /// <summary>A checkpoint did not complete in time, or the channel saw a protocol problem worth an event.</summary>
    void ChannelError(string channel, string message);

    /// <summary>The channel's peer connected or went away.</summary>
    void PeerChanged(string channel, bool connected);
}
