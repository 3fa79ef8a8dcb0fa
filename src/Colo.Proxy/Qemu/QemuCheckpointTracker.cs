using System.Text.Json;

namespace Colo.Proxy.Qemu;

/// <summary>
/// The QEMU/KVM checkpoint loop as seen on the primary's QMP events, as a pure state machine: no I/O, no clock of its
/// own, not thread-safe (the channel serialises calls). Rules:
/// <list type="bullet">
/// <item><c>STOP</c> -> <c>MIGRATION_PASS</c> -> <c>RESUME</c> is a checkpoint, whether forced or QEMU's periodic one:
/// the <c>RESUME</c> completes it (QEMU resumes after the secondary loaded the state).</item>
/// <item>COLO's start, <c>MIGRATION {setup}</c> .. <c>MIGRATION_PASS</c> .. <c>MIGRATION {colo}</c> -> <c>RESUME</c>,
/// is the initial checkpoint: the secondary starts from the primary's state at that <c>RESUME</c>, so it completes
/// too (primary output queued before COLO ran has nothing to be compared with).</item>
/// <item>More generally: a <c>RESUME</c> completes a checkpoint when a <c>MIGRATION_PASS</c> (or <c>MIGRATION
/// {colo}</c>) was seen since the previous <c>RESUME</c>. A <c>STOP</c>/<c>RESUME</c> without one is a user's
/// <c>stop</c>/<c>cont</c>: nothing is flushed.</item>
/// <item>With the <c>events</c> migration capability off QEMU sends neither <c>MIGRATION_PASS</c> nor
/// <c>MIGRATION</c>; then a <c>RESUME</c> completes only when resume is trusted.</item>
/// <item>A checkpoint (stopped, pass seen) whose <c>RESUME</c> is not seen within the timeout is reported once as
/// hung; a later <c>RESUME</c> still completes it.</item>
/// <item><c>COLO_EXIT</c> is failover; an unfinished checkpoint is abandoned.</item>
/// </list>
/// </summary>
internal sealed class QemuCheckpointTracker
{
    private readonly TimeSpan _checkpointTimeout;
    private readonly bool _trustResume;
    private bool _running = true;
    private TimeSpan? _stoppedAt;
    private bool _passSinceResume;
    private long _lastPass;
    private TimeSpan? _checkpointStartedAt;
    private bool _timedOut;
    private TimeSpan? _requestedAt;

    public QemuCheckpointTracker(TimeSpan checkpointTimeout, bool trustResume, bool eventsCapability = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(checkpointTimeout, TimeSpan.Zero);
        _checkpointTimeout = checkpointTimeout;
        _trustResume = trustResume;
        EventsCapability = eventsCapability;
    }

    /// <summary>
    /// Whether QEMU sends migration events. Set from <c>query-migrate-capabilities</c> at connect; turns true by itself
    /// when a <c>MIGRATION_PASS</c> or <c>MIGRATION</c> event arrives (the capability was switched on later).
    /// </summary>
    public bool EventsCapability { get; set; }

    /// <summary>Whether the VM runs, as far as the events tell.</summary>
    public bool IsRunning => _running;

    /// <summary>True from a checkpoint's <c>MIGRATION_PASS</c> (or COLO start) until its <c>RESUME</c>.</summary>
    public bool CheckpointInFlight => _checkpointStartedAt is not null;

    /// <summary>True while a forced request waits for its <c>STOP</c>.</summary>
    public bool RequestPending => _requestedAt is not null;

    /// <summary>When <see cref="OnTimer"/> has something to report next, or null.</summary>
    public TimeSpan? NextDeadline
    {
        get
        {
            TimeSpan? checkpoint = _checkpointStartedAt is { } start && !_timedOut ? start + _checkpointTimeout : null;
            TimeSpan? request = _requestedAt + _checkpointTimeout;
            if (checkpoint is null)
                return request;
            if (request is null)
                return checkpoint;
            return checkpoint < request ? checkpoint : request;
        }
    }

    public long CheckpointsCompleted { get; private set; }

    public long LateCompletions { get; private set; }

    public long CheckpointTimeouts { get; private set; }

    public long UserStopResumes { get; private set; }

    public long UntrustedResumes { get; private set; }

    public long Failovers { get; private set; }

    /// <summary>A new QMP session: forget everything in flight; <paramref name="running"/> from <c>query-status</c>.</summary>
    public void Reset(bool running)
    {
        _running = running;
        _stoppedAt = null;
        _passSinceResume = false;
        _lastPass = 0;
        _checkpointStartedAt = null;
        _timedOut = false;
        _requestedAt = null;
    }

    /// <summary>Decides whether a forced request may go out now and, when it may, records it as pending.</summary>
    public QemuRequestDecision TryBeginRequest(TimeSpan now)
    {
        if (!_running || _checkpointStartedAt is not null)
            return QemuRequestDecision.CheckpointInFlight;
        if (_requestedAt is not null)
            return QemuRequestDecision.AlreadyRequested;
        _requestedAt = now;
        return QemuRequestDecision.Send;
    }

    /// <summary>The request recorded by <see cref="TryBeginRequest"/> was not delivered.</summary>
    public void CancelRequest() => _requestedAt = null;

    /// <summary>Feeds one QMP event. <paramref name="data"/> is the event's <c>data</c> member (Undefined when absent).</summary>
    public QemuCheckpointResult OnEvent(string name, JsonElement data, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(name);
        switch (name)
        {
            case "STOP":
                return OnStop(now);
            case "MIGRATION_PASS":
                return OnPass(data, now);
            case "RESUME":
                return OnResume(now);
            case "MIGRATION":
                return OnMigration(data, now);
            case "COLO_EXIT":
                return OnColoExit(data);
            default:
                return QemuCheckpointResult.None;
        }
    }

    /// <summary>Reports what is overdue at <paramref name="now"/>; call until it returns <see cref="QemuCheckpointAction.None"/>.</summary>
    public QemuCheckpointResult OnTimer(TimeSpan now)
    {
        if (_checkpointStartedAt is { } start && !_timedOut && now - start >= _checkpointTimeout)
        {
            _timedOut = true;
            CheckpointTimeouts++;
            return new QemuCheckpointResult(QemuCheckpointAction.CheckpointTimedOut, _lastPass, now - start);
        }

        if (_requestedAt is { } requested && now - requested >= _checkpointTimeout)
        {
            _requestedAt = null;
            return new QemuCheckpointResult(QemuCheckpointAction.RequestExpired, Duration: now - requested);
        }

        return QemuCheckpointResult.None;
    }

    private QemuCheckpointResult OnStop(TimeSpan now)
    {
        _running = false;
        _stoppedAt = now;
        // Whatever stopped the VM, the forced request is answered: either this is its checkpoint or the VM is paused
        // and the request would only be coalesced into the coming RESUME.
        _requestedAt = null;
        if (!EventsCapability && _trustResume && _checkpointStartedAt is null)
            _checkpointStartedAt = now;
        return new QemuCheckpointResult(QemuCheckpointAction.Stopped);
    }

    private QemuCheckpointResult OnPass(JsonElement data, TimeSpan now)
    {
        EventsCapability = true;
        _passSinceResume = true;
        if (data.ValueKind == JsonValueKind.Object && data.TryGetProperty("pass"u8, out JsonElement pass) && pass.TryGetInt64(out long n))
            _lastPass = n;
        if (_running || _checkpointStartedAt is not null)
            return new QemuCheckpointResult(QemuCheckpointAction.None, _lastPass);

        _checkpointStartedAt = now;
        _timedOut = false;
        return new QemuCheckpointResult(QemuCheckpointAction.CheckpointStarted, _lastPass);
    }

    private QemuCheckpointResult OnResume(TimeSpan now)
    {
        TimeSpan duration = _stoppedAt is { } stopped ? now - stopped
            : _checkpointStartedAt is { } started ? now - started
            : TimeSpan.Zero;
        QemuCheckpointAction action;
        if (_passSinceResume)
        {
            action = _timedOut ? QemuCheckpointAction.LateCheckpointCompleted : QemuCheckpointAction.CheckpointCompleted;
        }
        else if (!EventsCapability)
        {
            action = _trustResume ? QemuCheckpointAction.CheckpointCompleted : QemuCheckpointAction.ResumeNotTrusted;
        }
        else
        {
            action = QemuCheckpointAction.UserStopResume;
        }

        switch (action)
        {
            case QemuCheckpointAction.CheckpointCompleted:
                CheckpointsCompleted++;
                break;
            case QemuCheckpointAction.LateCheckpointCompleted:
                CheckpointsCompleted++;
                LateCompletions++;
                break;
            case QemuCheckpointAction.ResumeNotTrusted:
                UntrustedResumes++;
                break;
            default:
                UserStopResumes++;
                break;
        }

        var result = new QemuCheckpointResult(action, _lastPass, duration);
        _running = true;
        _stoppedAt = null;
        _passSinceResume = false;
        _checkpointStartedAt = null;
        _timedOut = false;
        return result;
    }

    private QemuCheckpointResult OnMigration(JsonElement data, TimeSpan now)
    {
        EventsCapability = true;
        string status = data.ValueKind == JsonValueKind.Object && data.TryGetProperty("status"u8, out JsonElement s)
            && s.ValueKind == JsonValueKind.String ? s.GetString()! : "";
        switch (status)
        {
            case "colo":
                // The VM is stopped at the end of the initial migration until COLO resumes it.
                _passSinceResume = true;
                _running = false;
                _checkpointStartedAt ??= now;
                _timedOut = false;
                return new QemuCheckpointResult(QemuCheckpointAction.ColoStarted, _lastPass, Detail: status);
            case "setup":
            case "completed":
            case "failed":
            case "cancelled":
                // A new migration, or the end of one: passes seen so far do not make a later RESUME a checkpoint
                // (a 'cont' after a failed migration releases nothing).
                _passSinceResume = false;
                _checkpointStartedAt = null;
                _timedOut = false;
                return new QemuCheckpointResult(QemuCheckpointAction.MigrationStatus, _lastPass, Detail: status);
            default:
                return new QemuCheckpointResult(QemuCheckpointAction.MigrationStatus, _lastPass, Detail: status);
        }
    }

    private QemuCheckpointResult OnColoExit(JsonElement data)
    {
        string mode = ReadString(data, "mode"u8);
        string reason = ReadString(data, "reason"u8);
        _passSinceResume = false;
        _checkpointStartedAt = null;
        _timedOut = false;
        _requestedAt = null;
        Failovers++;
        return new QemuCheckpointResult(QemuCheckpointAction.Failover, _lastPass, Detail: reason.Length == 0 ? "unknown" : reason, Mode: mode);
    }

    private static string ReadString(JsonElement data, ReadOnlySpan<byte> property) =>
        data.ValueKind == JsonValueKind.Object && data.TryGetProperty(property, out JsonElement value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : "";
}
