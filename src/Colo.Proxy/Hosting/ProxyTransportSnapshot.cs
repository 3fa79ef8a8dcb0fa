namespace Colo.Proxy.Hosting;

/// <summary>Transport counters per channel, as query-stats and the metrics endpoint report them.</summary>
public sealed record ProxyTransportSnapshot(
    InputSnapshot PrimaryIn,
    InputSnapshot SecondaryIn,
    long OutdevFrames,
    long OutdevBufferedBytes,
    long OutdevStalls,
    long OutdevResentFrames);
