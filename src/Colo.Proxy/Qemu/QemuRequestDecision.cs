namespace Colo.Proxy.Qemu;

/// <summary>Whether a forced checkpoint request may be sent to QEMU now.</summary>
internal enum QemuRequestDecision
{
    /// <summary>Send <c>migrate-set-parameters</c> now.</summary>
    Send = 0,

    /// <summary>The VM is stopped (a checkpoint is in flight, or a user paused it): its <c>RESUME</c> is awaited.</summary>
    CheckpointInFlight,

    /// <summary>A request was sent and its <c>STOP</c> has not arrived yet.</summary>
    AlreadyRequested,
}
