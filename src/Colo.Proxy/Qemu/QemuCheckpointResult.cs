namespace Colo.Proxy.Qemu;

/// <summary>
/// The outcome of feeding the tracker one event or tick. <paramref name="Pass"/> is the last <c>MIGRATION_PASS</c>
/// number (0 when none); <paramref name="Duration"/> how long the VM was stopped (completions) or the checkpoint has
/// been running (timeouts); <paramref name="Detail"/> the migration status, or for failover QEMU's reason.
/// <paramref name="Mode"/> is the COLO mode of a <c>COLO_EXIT</c>.
/// </summary>
internal readonly record struct QemuCheckpointResult(
    QemuCheckpointAction Action,
    long Pass = 0,
    TimeSpan Duration = default,
    string Detail = "",
    string Mode = "")
{
    public static QemuCheckpointResult None => default;

    /// <summary>True when the proxy must flush (release queued primary frames, drop secondary ones).</summary>
    public bool IsCompletion => Action is QemuCheckpointAction.CheckpointCompleted or QemuCheckpointAction.LateCheckpointCompleted;
}
