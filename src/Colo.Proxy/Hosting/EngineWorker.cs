using System.Collections.Concurrent;
using System.Threading.Channels;
using Colo.Compare;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

/// <summary>
/// One engine shard: a dedicated thread, the engine lock, and the queues through which its <see cref="CompareEngine"/>
/// is reached (engines are single-threaded). Only the thread holding the engine lock touches the engine, through the
/// shard's <see cref="EngineDriver"/>, and it takes the lock in exactly one of these places:
/// <list type="number">
/// <item><b>A read</b> (one worker: frames are compared in place, no copy or hop). Around each receive the input thread
/// calls <see cref="BeginRead"/> (takes the lock, runs waiting commands, reads the clock once), then
/// <see cref="IngestInRead"/> per frame, then <see cref="EndRead"/> (advances the clock, lets go, sends what was
/// released). The calls are synchronous and on one thread; the lock never outlives the read.</item>
/// <item><b>A batch</b> (several workers). <see cref="Post"/> ingests it on the input thread when the shard's queue is
/// empty and the lock free (the common case at moderate rates), otherwise queues it.</item>
/// <item><b>The worker thread</b>, woken by a queue entry, a command or the clock: it serves the queue in order.</item>
/// </list>
/// Order: the queue holds batches and ordered work (<see cref="InvokeOrderedAsync"/>: checkpoint completion, shutdown)
/// and is served first in, first out; a batch is ingested on the input thread only while the queue holds nothing, so
/// ordered work runs after every frame handed over before it and before every frame handed over after it. Commands
/// (<see cref="InvokeAsync"/>: queries, passthrough rules, failover) are served ahead of the queue, at the next time the
/// lock is taken.
/// </summary>
internal sealed partial class EngineWorker : IDisposable
{
    private const int QueueCapacity = 16;

    private readonly EngineDriver _driver;
    private readonly OutputBuffer _output;
    private readonly TimeSpan _tickInterval;
    private readonly ILogger _logger;
    private readonly Channel<WorkItem> _queue;
    private readonly ConcurrentQueue<EngineWork> _commands = new();
    private readonly ManualResetEventSlim _signal = new(false, spinCount: 0);
    private readonly ManualResetEventSlim _queueSpace = new(true, spinCount: 0);
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _engineLock = new();
    private bool _completing;
    private TimeSpan _readNow;

    // Entries posted to the queue and not yet served (batches and ordered work).
    private int _queuedItems;

    public EngineWorker(int index, CompareEngine engine, Func<TimeSpan> clock, OutputBuffer output, TimeSpan tickInterval, ILogger logger, bool readsInPlace = false)
    {
        Index = index;
        ReadsInPlace = readsInPlace;
        _driver = new EngineDriver(index, engine, clock, tickInterval, logger);
        _output = output;
        _tickInterval = tickInterval;
        _logger = logger;
        _queue = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _thread = new Thread(Run) { IsBackground = true, Name = $"colo-engine-{index}" };
    }

    public int Index { get; }

    /// <summary>True when input threads hand frames over in reads (<see cref="BeginRead"/>), not in batches (one worker).</summary>
    public bool ReadsInPlace { get; }

    /// <summary>Where this worker's engine releases frames.</summary>
    public OutputBuffer Output => _output;

    /// <summary>Completes when the thread has exited.</summary>
    public Task Stopped => _stopped.Task;

    public void Start() => _thread.Start();

    // ---- commands and ordered work ----

    /// <summary>Runs <paramref name="action"/> at the next time the engine lock is taken, ahead of queued frames.</summary>
    public Task<T> InvokeAsync<T>(Func<CompareEngine, TimeSpan, T> action)
    {
        var work = new EngineWork<T>(action);
        if (_stopped.Task.IsCompleted)
        {
            work.Fail(new InvalidOperationException("The engine worker has stopped."));
            return work.Task;
        }
        _commands.Enqueue(work);
        _signal.Set();
        return work.Task;
    }

    /// <summary>Runs <paramref name="action"/> after every frame handed to this shard before it, before any handed over after.</summary>
    public async Task<T> InvokeOrderedAsync<T>(Func<CompareEngine, TimeSpan, T> action, CancellationToken cancellationToken = default)
    {
        var work = new EngineWork<T>(action);
        Interlocked.Increment(ref _queuedItems);
        try
        {
            await _queue.Writer.WriteAsync(new WorkItem(null, work), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            Interlocked.Decrement(ref _queuedItems);
            throw ex is ChannelClosedException ? new InvalidOperationException("The engine worker has stopped.", ex) : ex;
        }
        _signal.Set();
        return await work.Task.ConfigureAwait(false);
    }

    /// <summary>Wakes the worker so it looks at the clock (timer tick).</summary>
    public void Wake() => _signal.Set();

    /// <summary>No more frames; the thread exits once the queue is empty.</summary>
    public void Complete()
    {
        // Not under the engine lock: no need to wait for a read an input thread is ingesting (frames it reads after
        // this are not compared).
        Volatile.Write(ref _completing, true);
        _queue.Writer.TryComplete();
        _signal.Set();
    }

    // ---- 3. the worker thread ----

    private void Run()
    {
        ChannelReader<WorkItem> reader = _queue.Reader;
        try
        {
            while (true)
            {
                _signal.Wait(_tickInterval);
                _signal.Reset();

                lock (_engineLock)
                {
                    RunCommands();
                    TimeSpan now = _driver.Now();
                    int served = 0;
                    while (reader.TryRead(out WorkItem item))
                    {
                        _queueSpace.Set();
                        if (item.Batch is { } batch)
                        {
                            _driver.Ingest(batch, now);
                            FrameBatch.Return(batch);
                        }
                        else
                        {
                            _driver.Execute(item.Work!, now);
                        }
                        // Still under the engine lock: an input that sees 0 may ingest its next batch itself.
                        Interlocked.Decrement(ref _queuedItems);
                        // Commands stay prompt under load; the clock is read once per few entries.
                        if (++served % 8 == 0)
                        {
                            RunCommands();
                            now = _driver.Now();
                            _driver.Advance(now);
                        }
                    }
                    _driver.Advance(_driver.Now());
                    _output.Flush();

                    if (reader.Completion.IsCompleted)
                    {
                        RunCommands();
                        _output.Flush();
                        break;
                    }
                }
            }
        }
        catch (Exception ex)
        {
            LogWorkerCrashed(_logger, Index, ex);
        }
        finally
        {
            while (_commands.TryDequeue(out EngineWork? work))
                work.Fail(new InvalidOperationException("The engine worker has stopped."));
            _stopped.TrySetResult();
        }
    }

    private void RunCommands()
    {
        while (_commands.TryDequeue(out EngineWork? work))
            _driver.Execute(work, _driver.Now());
    }

    /// <summary>True while the engine holds more than its memory cap (see <see cref="MemoryCapGate"/>).</summary>
    public bool OverMemoryCap => !_driver.MemoryCap.IsOpen;

    /// <summary>Blocks the calling input thread while <see cref="OverMemoryCap"/>.</summary>
    public void WaitBelowMemoryCap(CancellationToken cancellationToken) => _driver.WaitBelowMemoryCap(cancellationToken);

    public void Dispose()
    {
        _signal.Dispose();
        _queueSpace.Dispose();
        _driver.MemoryCap.Dispose();
    }
}
