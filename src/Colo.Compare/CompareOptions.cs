namespace Colo.Compare;

/// <summary>
/// Limits and timers of the comparison engine. Names and defaults follow QEMU's colo-compare properties where one
/// exists (<c>compare_timeout</c>, <c>expired_scan_cycle</c>, <c>max_queue_size</c>).
/// </summary>
public sealed class CompareOptions
{
    /// <summary>A queued frame (either side) older than this requests a checkpoint (QEMU <c>compare_timeout</c>).</summary>
    public TimeSpan CompareTimeout { get; set; } = TimeSpan.FromMilliseconds(3000);

    /// <summary>How often queues are scanned for expired frames, and the minimum gap between repeated requests.</summary>
    public TimeSpan ExpiredScanCycle { get; set; } = TimeSpan.FromMilliseconds(1000);

    /// <summary>Frames queued per flow per side before a checkpoint is requested (QEMU <c>max_queue_size</c>).</summary>
    public int MaxQueueSize { get; set; } = 1024;

    /// <summary>Tracked flows before a checkpoint is requested and idle flows are evicted.</summary>
    public int MaxFlows { get; set; } = 65536;

    /// <summary>Bytes buffered across all flows (frames and stream bytes) before a checkpoint is requested.</summary>
    public long MaxBufferedBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>
    /// Replay semantics: a flow that diverged is reported once and its primary frames are then released without
    /// comparison (live semantics hold them until the checkpoint completes).
    /// </summary>
    public bool ReleaseDivergedFlows { get; set; }

    /// <summary>
    /// Compare frames that are not IP (ARP, LLDP, ...) per EtherType and MAC pair instead of forwarding the primary's
    /// uncompared and dropping the secondary's (QEMU's behaviour, the default).
    /// </summary>
    public bool CompareNonIp { get; set; }

    /// <summary>
    /// Compare link-local housekeeping (ARP, IPv6 neighbour discovery, MLD, IGMP) like any other traffic. Off by
    /// default: replicas send it on their own timers and the secondary after every checkpoint, so comparing it costs
    /// timeout checkpoints that cause the next announcement (see <see cref="Housekeeping"/>). ARP is compared only
    /// when <see cref="CompareNonIp"/> is on too.
    /// </summary>
    public bool CompareHousekeeping { get; set; }

    /// <summary>
    /// Flight recorder: at most this many bytes of one flow's recent frames in a record (half per side), so that a divergence or a timeout can be
    /// written out as a capture pair (<see cref="Divergence.RecentFrames"/>, <see cref="CompareEngine.RecentFrames"/>).
    /// 0 turns it off (the default of the engine; <c>serve</c> turns it on).
    /// </summary>
    public int RecorderBytesPerFlow { get; set; }

    /// <summary><c>serve</c>'s <see cref="RecorderBytesPerFlow"/>: 64 KiB, about 22 full-size frames a side.</summary>
    public const int ServeRecorderBytesPerFlow = 64 * 1024;

    /// <summary><c>serve</c>'s <see cref="RecorderBudgetBytes"/>: 16 MiB, about 130 ms of traffic at 1 Gbit/s.</summary>
    public const long ServeRecorderBudgetBytes = 16L * 1024 * 1024;

    /// <summary>Flight recorder: the ring all flows' recent frames share, newest overwriting oldest (beyond <see cref="MaxBufferedBytes"/>).</summary>
    public long RecorderBudgetBytes { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the option when a value is unusable.</summary>
    public void Validate()
    {
        if (CompareTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(CompareTimeout), CompareTimeout, "compare_timeout must be positive.");
        if (ExpiredScanCycle <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(ExpiredScanCycle), ExpiredScanCycle, "expired_scan_cycle must be positive.");
        if (MaxQueueSize < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxQueueSize), MaxQueueSize, "max_queue_size must be at least 1.");
        if (MaxFlows < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxFlows), MaxFlows, "max flows must be at least 1.");
        if (MaxBufferedBytes < 64 * 1024)
            throw new ArgumentOutOfRangeException(nameof(MaxBufferedBytes), MaxBufferedBytes, "max buffered bytes must be at least 64 KiB.");
        if (RecorderBytesPerFlow < 0 || RecorderBytesPerFlow > 64 * 1024 * 1024)
            throw new ArgumentOutOfRangeException(nameof(RecorderBytesPerFlow), RecorderBytesPerFlow, "recorder bytes per flow must be 0 (off) .. 64 MiB.");
        if (RecorderBudgetBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(RecorderBudgetBytes), RecorderBudgetBytes, "recorder budget must not be negative.");
    }
}
