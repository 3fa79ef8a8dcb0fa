using Colo.Compare;

namespace Colo.Proxy.Hosting;

/// <summary>
/// The engine shards and the fan-out over them: every whole-proxy operation (a checkpoint completion, failover,
/// shutdown release, passthrough rules, counters, flows) runs on each shard's worker and the results are combined.
/// Checkpoint completion and the shutdown release are ordered work (see <see cref="EngineWorker"/>): they act on the
/// frames handed over before them, never ahead of them.
/// </summary>
internal sealed class EngineShards : IDisposable
{
    private readonly EngineWorker[] _workers;
    private readonly CompareEngine[] _engines;
    private readonly OutputBuffer _output;

    public EngineShards(EngineWorker[] workers, CompareEngine[] engines, OutputBuffer output)
    {
        _workers = workers;
        _engines = engines;
        _output = output;
    }

    public EngineWorker[] Workers => _workers;

    public int Count => _workers.Length;

    public void Start()
    {
        foreach (EngineWorker worker in _workers)
            worker.Start();
    }

    /// <summary>Wakes every worker to look at the clock.</summary>
    public void Wake()
    {
        foreach (EngineWorker worker in _workers)
            worker.Wake();
    }

    /// <summary>A checkpoint completed: after the frames already handed over, each shard releases its queue. Returns the frames released.</summary>
    public Task<long> CompleteCheckpointAsync() => SumOrderedAsync(static (engine, now) =>
    {
        long before = engine.Counters.Released(ReleaseReason.Checkpoint);
        engine.CompleteCheckpoint(now);
        return engine.Counters.Released(ReleaseReason.Checkpoint) - before;
    });

    /// <summary>Failover, at once on every shard: release everything, forward the primary uncompared from now on.</summary>
    public async Task<long> FailoverAsync()
    {
        long[] released = await Task.WhenAll(_workers.Select(w => w.InvokeAsync((engine, now) =>
        {
            long before = engine.Counters.PrimaryReleased;
            engine.Failover(now);
            _output.Flush();
            return engine.Counters.PrimaryReleased - before;
        }))).ConfigureAwait(false);
        return released.Sum();
    }

    /// <summary>
    /// Shutdown: after the frames already handed over, each shard releases what it holds. A shard that fails is
    /// reported to <paramref name="failed"/> and the others go on. Returns the frames released.
    /// </summary>
    public async Task<long> ReleaseAllAsync(Action<int, Exception> failed, CancellationToken cancellationToken)
    {
        long released = 0;
        foreach (EngineWorker worker in _workers)
        {
            try
            {
                released += await worker.InvokeOrderedAsync((engine, now) =>
                {
                    long before = engine.Counters.PrimaryReleased;
                    engine.ReleaseAll(now);
                    _output.Flush();
                    return engine.Counters.PrimaryReleased - before;
                }, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                failed(worker.Index, ex);
            }
        }
        return released;
    }

    public Task AddPassthroughAsync(PassthroughRule rule) =>
        Task.WhenAll(_workers.Select(w => w.InvokeAsync((engine, _) =>
        {
            engine.AddPassthrough(rule);
            return true;
        })));

    /// <summary>True when some shard had the rule.</summary>
    public async Task<bool> RemovePassthroughAsync(PassthroughRule rule)
    {
        bool[] removed = await Task.WhenAll(_workers.Select(w => w.InvokeAsync((engine, _) => engine.RemovePassthrough(rule)))).ConfigureAwait(false);
        return removed.Any(r => r);
    }

    public async Task<IReadOnlyList<PassthroughRule>> GetPassthroughRulesAsync() =>
        await _workers[0].InvokeAsync((engine, _) => engine.PassthroughRules.ToArray()).ConfigureAwait(false);

    /// <summary>The engines' counters, summed over shards (each shard's copy taken on its own thread).</summary>
    public async Task<EngineCounters> GetCountersAsync()
    {
        EngineCounters[] snapshots = await Task.WhenAll(_workers.Select(w => w.InvokeAsync((engine, _) => engine.Counters.Snapshot()))).ConfigureAwait(false);
        var total = new EngineCounters();
        foreach (EngineCounters snapshot in snapshots)
            total.Add(snapshot);
        return total;
    }

    /// <summary>
    /// The engines' counters read from the caller's thread (metric collection): cheap, never waits for a busy worker,
    /// values may be a frame apart (<see cref="EngineCounters"/> allows it).
    /// </summary>
    public EngineCounters ReadCountersUnsynchronized()
    {
        var total = new EngineCounters();
        foreach (CompareEngine engine in _engines)
            total.Add(engine.Counters.Snapshot());
        return total;
    }

    /// <summary>
    /// Tracked flows, buffered bytes and storage allocations (chunks and queue blocks allocated since start: a backlog
    /// deeper than any before), summed over shards.
    /// </summary>
    public async Task<(int Flows, long BufferedBytes, long StorageAllocations)> GetEngineSizeAsync()
    {
        (int, long, long)[] sizes = await Task.WhenAll(_workers.Select(w =>
            w.InvokeAsync((engine, _) => (engine.FlowCount, engine.BufferedBytes, engine.StorageAllocations)))).ConfigureAwait(false);
        return (sizes.Sum(s => s.Item1), sizes.Sum(s => s.Item2), sizes.Sum(s => s.Item3));
    }

    /// <summary>The flows holding the most queued bytes over all shards.</summary>
    public async Task<IReadOnlyList<FlowStatus>> GetTopFlowsAsync(int limit)
    {
        IReadOnlyList<FlowStatus>[] lists = await Task.WhenAll(_workers.Select(w => w.InvokeAsync((engine, now) => engine.GetTopFlows(limit, now)))).ConfigureAwait(false);
        return lists.SelectMany(l => l)
            .OrderByDescending(f => f.PrimaryQueuedBytes + f.SecondaryQueuedBytes)
            .Take(limit)
            .ToArray();
    }

    /// <summary>No more frames: every worker exits once its queue is served.</summary>
    public Task CompleteAsync()
    {
        foreach (EngineWorker worker in _workers)
            worker.Complete();
        return Task.WhenAll(_workers.Select(w => w.Stopped));
    }

    public void Dispose()
    {
        foreach (EngineWorker worker in _workers)
            worker.Dispose();
    }

    private async Task<long> SumOrderedAsync(Func<CompareEngine, TimeSpan, long> action)
    {
        long[] results = await Task.WhenAll(_workers.Select(w => w.InvokeOrderedAsync((engine, now) =>
        {
            long released = action(engine, now);
            _output.Flush();
            return released;
        }))).ConfigureAwait(false);
        return results.Sum();
    }
}
