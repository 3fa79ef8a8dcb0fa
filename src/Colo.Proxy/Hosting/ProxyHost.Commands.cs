using Colo.Compare;

namespace Colo.Proxy.Hosting;

// What the control socket and the checkpoint channels ask of the proxy: each a call on the checkpoint dispatcher or a
// fan-out over the shards.
public sealed partial class ProxyHost
{
    /// <summary>A checkpoint completed: every shard releases its queue after the frames already handed to it.</summary>
    public Task<long> CompleteCheckpointAsync(string channel) => _checkpoints.CompleteAsync(channel, _shards);

    /// <summary>Failover: release everything, then forward the primary uncompared.</summary>
    public Task<long> FailoverAsync(string reason)
    {
        _state = HostState.Failover;
        return _checkpoints.FailoverAsync(reason, _shards);
    }

    public Task AddPassthroughAsync(PassthroughRule rule) => _shards.AddPassthroughAsync(rule);

    /// <summary>True when some shard had the rule.</summary>
    public Task<bool> RemovePassthroughAsync(PassthroughRule rule) => _shards.RemovePassthroughAsync(rule);

    public Task<IReadOnlyList<PassthroughRule>> GetPassthroughRulesAsync() => _shards.GetPassthroughRulesAsync();

    /// <summary>The engines' counters, summed over shards (each shard's copy taken on its own thread).</summary>
    public async Task<EngineCounters> GetCountersAsync() => LastCounters = await _shards.GetCountersAsync().ConfigureAwait(false);

    internal EngineCounters ReadCountersUnsynchronized() => _shards.ReadCountersUnsynchronized();

    /// <summary>Tracked flows and buffered bytes, summed over shards.</summary>
    public Task<(int Flows, long BufferedBytes, long StorageAllocations)> GetEngineSizeAsync() => _shards.GetEngineSizeAsync();

    /// <summary>The flows holding the most queued bytes over all shards.</summary>
    public Task<IReadOnlyList<FlowStatus>> GetTopFlowsAsync(int limit) => _shards.GetTopFlowsAsync(limit);

    /// <summary>Asks <see cref="RunAsync"/> to shut down.</summary>
    public void RequestQuit() => _quit.TrySetResult();
}
