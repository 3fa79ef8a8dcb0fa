namespace Colo.Proxy.Qemu;

/// <summary>
/// Options of the QEMU/KVM checkpoint channel (<c>--qemu-qmp</c> and friends on <c>colo-proxy serve</c>). The channel
/// talks QMP to a monitor of the <b>primary</b> QEMU that is reserved for ColoProxy (a QMP socket serves one client).
/// </summary>
public sealed class QemuCheckpointOptions
{
    /// <summary>The longest <c>x-checkpoint-delay</c> QEMU accepts (a uint32 of milliseconds).</summary>
    public static readonly TimeSpan MaxCheckpointDelay = TimeSpan.FromMilliseconds(uint.MaxValue);

    /// <summary>
    /// The primary QEMU's QMP socket: <c>unix:PATH</c> or <c>tcp:HOST:PORT</c> (the address of a
    /// <c>-qmp ...,server=on,wait=off</c> option). Required.
    /// </summary>
    public string Endpoint { get; set; } = "";

    /// <summary>
    /// The periodic checkpoint delay written with <c>migrate-set-parameters {"x-checkpoint-delay": N}</c> to force a
    /// checkpoint (QEMU checkpoints at once and re-arms its timer to now + N). Null: keep the value QEMU reported at
    /// connect, so forcing a checkpoint never changes QEMU's own period. Whole milliseconds, 1 ms .. 2^32-1 ms.
    /// </summary>
    public TimeSpan? CheckpointDelay { get; set; }

    /// <summary>
    /// Treat every <c>STOP</c> -> <c>RESUME</c> as a completed checkpoint even when the <c>events</c> migration capability
    /// is off (no <c>MIGRATION_PASS</c> to tell a checkpoint from a user's <c>stop</c>/<c>cont</c>). Off by default:
    /// a flush after a mere <c>cont</c> would release primary output that was never compared.
    /// </summary>
    public bool TrustResume { get; set; }

    /// <summary>
    /// How long a checkpoint (<c>STOP</c> + <c>MIGRATION_PASS</c>) may take before the channel reports it as hung
    /// (QEMU 7.2 can hang inside one). A <c>RESUME</c> after that still completes it. Also bounds how long a forced
    /// request waits for its <c>STOP</c> before another one may be sent.
    /// </summary>
    public TimeSpan CheckpointTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>First delay before reconnecting after the QMP connection failed or closed; doubles up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Upper bound of the reconnect backoff.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long to wait for the greeting and for each command's reply before dropping the connection.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option, its value and the accepted range.</summary>
    public void Validate()
    {
        if (!QmpEndpoint.TryParse(Endpoint, out _, out string? error))
            throw new ArgumentException($"--qemu-qmp: {error}", nameof(Endpoint));
        if (CheckpointDelay is { } delay)
        {
            if (delay < TimeSpan.FromMilliseconds(1) || delay > MaxCheckpointDelay)
                throw new ArgumentException(
                    $"--qemu-checkpoint-delay: {delay.TotalMilliseconds} ms is out of range; QEMU's x-checkpoint-delay takes 1 .. {uint.MaxValue} ms.",
                    nameof(CheckpointDelay));
            if (delay.Ticks % TimeSpan.TicksPerMillisecond != 0)
                throw new ArgumentException(
                    $"--qemu-checkpoint-delay: {delay.TotalMilliseconds} ms is not a whole number of milliseconds.",
                    nameof(CheckpointDelay));
        }

        RequirePositive(CheckpointTimeout, "--qemu-checkpoint-timeout", nameof(CheckpointTimeout));
        RequirePositive(ReconnectDelay, "reconnect delay", nameof(ReconnectDelay));
        RequirePositive(MaxReconnectDelay, "maximum reconnect delay", nameof(MaxReconnectDelay));
        RequirePositive(CommandTimeout, "QMP command timeout", nameof(CommandTimeout));
        if (MaxReconnectDelay < ReconnectDelay)
            throw new ArgumentException(
                $"The maximum reconnect delay ({MaxReconnectDelay}) is shorter than the reconnect delay ({ReconnectDelay}).",
                nameof(MaxReconnectDelay));
    }

    private static void RequirePositive(TimeSpan value, string option, string paramName)
    {
        if (value <= TimeSpan.Zero)
            throw new ArgumentException($"{option}: {value} must be positive.", paramName);
    }
}
