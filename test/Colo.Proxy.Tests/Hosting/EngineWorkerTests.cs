using Colo.Compare;
using Colo.Proxy.Hosting;
using Colo.Proxy.Tests.EndToEnd;
using Colo.TestSupport.Frames;
using Microsoft.Extensions.Logging.Abstractions;

namespace Colo.Proxy.Tests.Hosting;

/// <summary>
/// The order in which a shard's engine sees what is handed to it. The worker thread is started only once everything
/// is handed over, so the order is the queue's and nothing depends on timing.
/// </summary>
public sealed class EngineWorkerTests : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(100);

    private readonly OutputBuffer _output = new(16 * 1024 * 1024, vnetHeader: false, NullLogger.Instance);
    private readonly CompareEngine _engine;
    private readonly EngineWorker _worker;
    private readonly EngineShards _shards;

    public EngineWorkerTests()
    {
        _engine = new CompareEngine(new CompareOptions(), new ShardSink(
            new CheckpointDispatcher(new CheckpointCoordinator(TimeSpan.FromSeconds(1)), [], new Colo.Proxy.Metrics.ColoMetrics(new Colo.Proxy.Metrics.SimpleMeterFactory()), NullLogger.Instance, () => TimeSpan.Zero, null),
            null, _output, new Colo.Proxy.Metrics.ColoMetrics(new Colo.Proxy.Metrics.SimpleMeterFactory()), () => TimeSpan.Zero));
        _worker = new EngineWorker(0, _engine, () => TimeSpan.Zero, _output, Tick, NullLogger.Instance);
        _shards = new EngineShards([_worker], [_engine], _output);
    }

    public void Dispose()
    {
        _worker.Complete();
        _shards.Dispose();
    }

    [Fact]
    public async Task CompleteCheckpoint_BatchQueuedBeforeIt_ReleasesThatBatchsFrames()
    {
        // Arrange: a primary datagram waits in the queue (the engine was busy when it was handed over).
        // An input thread is in a read: another input's batch cannot take the engine and is queued.
        var reading = new Thread(() =>
        {
            Assert.True(_worker.BeginRead());
            var posting = new Thread(() => _worker.Post(Batch(Datagram(1)), CancellationToken.None));
            posting.Start();
            posting.Join();
            _worker.EndRead();
        });
        reading.Start();
        reading.Join();

        // Act: the checkpoint completes after it.
        Task<long> completing = _shards.CompleteCheckpointAsync();
        _worker.Start();
        long released = await completing.WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);

        // Assert: released by the checkpoint, not left to wait for a secondary that will never send it.
        EngineCounters counters = await _worker.InvokeAsync((engine, _) => engine.Counters.Snapshot());
        Assert.Equal(1, released);
        Assert.Equal(0, counters.PrimaryQueued);
        Assert.Equal(1, counters.Released(ReleaseReason.Checkpoint));
    }

    [Fact]
    public async Task Post_OrderedWorkQueuedAndEngineFree_DoesNotOvertakeIt()
    {
        // Arrange: ordered work waits in the queue; the engine lock is free.
        Task<long> ordered = _worker.InvokeOrderedAsync((engine, _) => engine.Counters.PrimaryReceived, TestContext.Current.CancellationToken);

        // Act
        _worker.Post(Batch(Datagram(2)), CancellationToken.None);
        _worker.Start();
        long receivedBeforeIt = await ordered.WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);

        // Assert: the batch handed over after the work reached the engine after it.
        Assert.Equal(0, receivedBeforeIt);
        await Wait.UntilAsync(async () => (await _worker.InvokeAsync((engine, _) => engine.Counters.PrimaryReceived)) == 1, "the batch to be ingested");
    }

    private static byte[] Datagram(byte value) => FrameBuilder.Udp([value, 1, 2, 3], 53, 40000, FlowAddress.Between("10.0.0.2", "10.0.0.1"));

    private static FrameBatch Batch(byte[] frame)
    {
        FrameBatch batch = FrameBatch.Rent(Side.Primary);
        Assert.True(batch.TryAdd(frame, 0));
        return batch;
    }
}
