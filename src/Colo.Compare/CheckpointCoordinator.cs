namespace Colo.Compare;

/// <summary>
/// Coalesces checkpoint causes into requests: at most one request outstanding; while it is, the request is repeated
/// at most once per <c>expired_scan_cycle</c> (QEMU instead sends one per failed comparison, a storm). Thread-safe, so
/// several engine shards can share one coordinator. No clock of its own: callers pass the time.
/// </summary>
public sealed class CheckpointCoordinator
{
    private readonly Lock _lock = new();
    private readonly TimeSpan _repeatInterval;
    private bool _outstanding;
    private TimeSpan _lastSent;
    private CheckpointReason _pendingReason;

    public CheckpointCoordinator(TimeSpan repeatInterval)
    {
        if (repeatInterval <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(repeatInterval), repeatInterval, "The repeat interval must be positive.");
        _repeatInterval = repeatInterval;
    }

    /// <summary>True from the first request until the checkpoint completes.</summary>
    public bool Outstanding
    {
        get { lock (_lock) return _outstanding; }
    }

    /// <summary>The reason of the cause that opened the outstanding request.</summary>
    public CheckpointReason OutstandingReason
    {
        get { lock (_lock) return _pendingReason; }
    }

    /// <summary>When the outstanding request was last sent.</summary>
    public TimeSpan LastSent
    {
        get { lock (_lock) return _lastSent; }
    }

    public long RequestsSent { get; private set; }

    public long RequestsRepeated { get; private set; }

    /// <summary>Records a cause; returns true when a request must be sent now (none was outstanding).</summary>
    public bool OnTrigger(in CheckpointTrigger trigger, TimeSpan now)
    {
        lock (_lock)
        {
            if (_outstanding)
                return false;
            _outstanding = true;
            _pendingReason = trigger.Reason;
            _lastSent = now;
            RequestsSent++;
            return true;
        }
    }

    /// <summary>Returns true when the outstanding request is due to be repeated.</summary>
    public bool OnTick(TimeSpan now)
    {
        lock (_lock)
        {
            if (!_outstanding || now - _lastSent < _repeatInterval)
                return false;
            _lastSent = now;
            RequestsSent++;
            RequestsRepeated++;
            return true;
        }
    }

    /// <summary>The hypervisor completed a checkpoint (requested or periodic): nothing is outstanding any more.</summary>
    public void OnCompleted()
    {
        lock (_lock)
            _outstanding = false;
    }
}
