namespace Colo.Proxy.Metrics;

/// <summary>One histogram series: a count per bucket (not cumulative), the total count and the sum.</summary>
internal sealed class HistogramPoint(int bucketCount)
{
    /// <summary>Measurements at most each bound and above the previous one; the last slot past every bound is implied by <see cref="Count"/>.</summary>
    public long[] Buckets { get; } = new long[bucketCount];

    public long Count { get; private set; }

    public double Sum { get; private set; }

    public void Add(double[] bounds, double value)
    {
        int index = Array.BinarySearch(bounds, value);
        if (index < 0)
            index = ~index;
        if (index < Buckets.Length)
            Buckets[index]++;
        Count++;
        Sum += value;
    }
}
