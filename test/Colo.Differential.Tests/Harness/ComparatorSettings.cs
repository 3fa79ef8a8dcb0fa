namespace Colo.Differential.Tests.Harness;

/// <summary>The colo-compare properties both comparators get, with the same values.</summary>
/// <param name="VnetHeaderLength">0: vnet_hdr_support off; else on, with virtio-net headers of this length.</param>
internal sealed record ComparatorSettings(int CompareTimeoutMs, int ExpiredScanCycleMs, int MaxQueueSize, int VnetHeaderLength = 0)
{
    /// <summary>Timeouts far beyond a scenario's run time: every checkpoint request comes from a comparison.</summary>
    public static ComparatorSettings ComparisonOnly { get; } = new(120_000, 60_000, 64);

    /// <summary>Short timeouts for the named timing cases: a queued frame older than 400 ms asks for a checkpoint.</summary>
    public static ComparatorSettings ShortTimeouts { get; } = new(400, 100, 64);

    /// <summary>Like <see cref="ComparisonOnly"/> with vnet_hdr_support on and 12-byte virtio-net headers.</summary>
    public static ComparatorSettings VnetHeaders { get; } = ComparisonOnly with { VnetHeaderLength = 12 };
}
