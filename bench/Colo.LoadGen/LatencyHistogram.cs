namespace Colo.LoadGen;

/// <summary>
/// Fixed-memory latency histogram: 100 ns buckets up to 10 ms, then 100 us buckets up to 100 s. No allocation per sample.
/// </summary>
internal sealed class LatencyHistogram
{
    private const long FineBucketNs = 100;
    private const int FineBuckets = 100_000;
    private const long CoarseBucketNs = 100_000;
    private const int CoarseBuckets = 1_000_000;

    private readonly long[] _fine = new long[FineBuckets];
    private readonly long[] _coarse = new long[CoarseBuckets + 1];
    private long _maxNs;

    public long Count { get; private set; }

    public void Record(long nanoseconds)
    {
        if (nanoseconds < 0)
            nanoseconds = 0;
        long fine = nanoseconds / FineBucketNs;
        if (fine < FineBuckets)
            _fine[fine]++;
        else
            _coarse[Math.Min(nanoseconds / CoarseBucketNs, CoarseBuckets)]++;
        if (nanoseconds > _maxNs)
            _maxNs = nanoseconds;
        Count++;
    }

    public double MaxMicroseconds => _maxNs / 1000.0;

    /// <summary>The value (upper edge of its bucket, in microseconds) at quantile <paramref name="q"/>; NaN when empty.</summary>
    public double PercentileMicroseconds(double q)
    {
        if (Count == 0)
            return double.NaN;
        long rank = Math.Max(1, (long)Math.Ceiling(q * Count));
        long seen = 0;
        for (int i = 0; i < FineBuckets; i++)
        {
            seen += _fine[i];
            if (seen >= rank)
                return Math.Min((i + 1) * FineBucketNs, _maxNs) / 1000.0;
        }

        for (int i = 0; i <= CoarseBuckets; i++)
        {
            seen += _coarse[i];
            if (seen >= rank)
                return Math.Min((i + 1) * CoarseBucketNs, _maxNs) / 1000.0;
        }

        return MaxMicroseconds;
    }
}
