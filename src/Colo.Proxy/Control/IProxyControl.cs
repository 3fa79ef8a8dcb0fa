using Colo.Compare;
using Colo.Proxy.Hosting;

namespace Colo.Proxy.Control;

/// <summary>
/// What the control socket and the metrics endpoint may ask of and do to the running proxy. They see the proxy only
/// through this interface, so the host's internals can change without touching either surface.
/// </summary>
public interface IProxyControl
{
    /// <summary>State, peers and the checkpoint request state (cheap; any thread).</summary>
    ProxyStatus GetStatus();

    /// <summary>Per-channel transport counters (cheap; any thread).</summary>
    ProxyTransportSnapshot GetTransport();

    /// <summary>
    /// The engines' counters read from the caller's thread: never waits for a busy worker, values may be a frame apart.
    /// For metric collection; <see cref="GetCountersAsync"/> is exact.
    /// </summary>
    EngineCounters ReadCounters();

    /// <summary>The engines' counters, summed over shards, each read on its own worker.</summary>
    Task<EngineCounters> GetCountersAsync();

    /// <summary>Tracked flows and buffered bytes, summed over shards.</summary>
    Task<(int Flows, long BufferedBytes, long StorageAllocations)> GetEngineSizeAsync();

    /// <summary>The flows holding the most queued bytes over all shards.</summary>
    Task<IReadOnlyList<FlowStatus>> GetTopFlowsAsync(int limit);

    /// <summary>How long the oldest queued primary frame has waited (zero when none is queued).</summary>
    Task<TimeSpan> GetOldestQueuedAgeAsync();

    Task<IReadOnlyList<PassthroughRule>> GetPassthroughRulesAsync();

    Task AddPassthroughAsync(PassthroughRule rule);

    /// <summary>True when some shard had the rule.</summary>
    Task<bool> RemovePassthroughAsync(PassthroughRule rule);

    /// <summary>Completes a checkpoint as if <paramref name="channel"/> had; returns the primary frames released.</summary>
    Task<long> CompleteCheckpointAsync(string channel);

    /// <summary>Releases everything, then forwards the primary uncompared; returns the primary frames released.</summary>
    Task<long> FailoverAsync(string reason);

    /// <summary>Asks the proxy to shut down as SIGTERM does.</summary>
    void RequestQuit();
}
