namespace Colo.Proxy.Qemu;

/// <summary>What one QMP event (or the passing of time) means for the checkpoint loop; see <see cref="QemuCheckpointTracker"/>.</summary>
internal enum QemuCheckpointAction
{
    /// <summary>Nothing to do (an event that does not concern checkpoints, or bookkeeping only).</summary>
    None = 0,

    /// <summary><c>STOP</c>: the VM paused; a checkpoint, or a user's <c>stop</c> (not known until <c>MIGRATION_PASS</c>).</summary>
    Stopped,

    /// <summary><c>MIGRATION_PASS</c> while stopped: a checkpoint is in flight; its deadline is armed.</summary>
    CheckpointStarted,

    /// <summary><c>RESUME</c> ending a checkpoint: flush.</summary>
    CheckpointCompleted,

    /// <summary><c>RESUME</c> ending a checkpoint that was already reported hung: flush.</summary>
    LateCheckpointCompleted,

    /// <summary><c>RESUME</c> after a <c>STOP</c> without <c>MIGRATION_PASS</c>: a user's <c>stop</c>/<c>cont</c>, not a checkpoint.</summary>
    UserStopResume,

    /// <summary><c>RESUME</c> while the <c>events</c> capability is off and resume is not trusted: not taken as a completion.</summary>
    ResumeNotTrusted,

    /// <summary>A checkpoint did not see its <c>RESUME</c> within the checkpoint timeout.</summary>
    CheckpointTimedOut,

    /// <summary>A forced request saw no <c>STOP</c> within the checkpoint timeout (QEMU not in COLO?); another may be sent.</summary>
    RequestExpired,

    /// <summary><c>MIGRATION {"status": "colo"}</c>: COLO started; its first <c>RESUME</c> completes the initial checkpoint.</summary>
    ColoStarted,

    /// <summary><c>MIGRATION</c> with another status (setup, active, completed, failed, ...).</summary>
    MigrationStatus,

    /// <summary><c>COLO_EXIT</c>: failover.</summary>
    Failover,
}
