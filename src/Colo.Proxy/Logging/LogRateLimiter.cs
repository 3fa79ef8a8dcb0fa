namespace Colo.Proxy.Logging;

/// <summary>
/// Lets a repeated log line through at most once per interval per key, counting what it held back so the next line can
/// say so. Monitoring polls the control socket every few seconds; without this its commands would fill the journal.
/// </summary>
internal sealed class LogRateLimiter
{
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (long LastTimestamp, long Suppressed)> _keys = new(StringComparer.Ordinal);

    public LogRateLimiter(TimeProvider time, TimeSpan interval)
    {
        _time = time;
        _interval = interval;
    }

    /// <summary>True when a line for <paramref name="key"/> may be logged now; <paramref name="suppressed"/> says how many were not since the last.</summary>
    public bool TryAcquire(string key, out long suppressed)
    {
        long now = _time.GetTimestamp();
        lock (_lock)
        {
            if (_keys.TryGetValue(key, out (long LastTimestamp, long Suppressed) entry)
                && _time.GetElapsedTime(entry.LastTimestamp, now) < _interval)
            {
                _keys[key] = (entry.LastTimestamp, entry.Suppressed + 1);
                suppressed = 0;
                return false;
            }
            suppressed = entry.Suppressed;
            _keys[key] = (now, 0);
            return true;
        }
    }
}
