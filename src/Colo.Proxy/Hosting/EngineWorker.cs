using System.Collections.Concurrent;
using System.Threading.Channels;
using Colo.Compare;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

/// <summary>
/// A dedicated thread that owns one <see cref="CompareEngine"/> (engines are single-threaded: one thread at a time
/// touches it, under the worker's engine lock). With several workers, inputs hand it batches of its shard's frames:
/// ingested by the input thread itself when the worker is idle and the lock free, otherwise through a bounded queue
/// (a full queue makes the input wait: backpressure). Commands go through a second, unbounded queue that is served
/// first, so a checkpoint completion is not stuck behind frames. In inline mode (one worker) the input threads run
/// the engine on the frames in their receive buffers, under the same lock, with no copy, thread hop or wake-up; the
/// worker thread then only serves commands, ordered work and clock ticks.
/// </summary>
internal sealed partial class EngineWorker : IDisposable
{
    private const int QueueCapacity = 16;

    private readonly CompareEngine _engine;
    private readonly Func<TimeSpan> _clock;
    private readonly OutputBuffer _output;
    private readonly TimeSpan _tickInterval;
    private readonly ILogger _logger;
    private readonly Channel<WorkItem> _frames;
    private readonly ConcurrentQueue<EngineWork> _commands = new();
    private readonly ManualResetEventSlim _signal = new(false, spinCount: 0);
    private readonly ManualResetEventSlim _queueSpace = new(true, spinCount: 0);
    private readonly Thread _thread;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _engineLock = new();
    private readonly ManualResetEventSlim _belowMemoryCap = new(true, spinCount: 0);
    private bool _overMemoryCap;
    private readonly bool _inline;
    private bool _completing;
    private TimeSpan _lastAdvance;
    private TimeSpan _inlineNow;
    private int _queuedBatches;
    private long _errors;

    public EngineWorker(int index, CompareEngine engine, Func<TimeSpan> clock, OutputBuffer output, TimeSpan tickInterval, ILogger logger, bool inline = false)
    {
        _inline = inline;
        Index = index;
        _engine = engine;
        _clock = clock;
        _output = output;
        _tickInterval = tickInterval;
        _logger = logger;
        _frames = Channel.CreateBounded<WorkItem>(new BoundedChannelOptions(QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _thread = new Thread(Run) { IsBackground = true, Name = $"colo-engine-{index}" };
    }

    public int Index { get; }

    /// <summary>Where this worker's engine releases frames.</summary>
    public OutputBuffer Output => _output;

    /// <summary>Completes when the thread has exited.</summary>
    public Task Stopped => _stopped.Task;

    public void Start() => _thread.Start();

    /// <summary>
    /// Hands a batch over (workers mode). When the worker has nothing queued and no other thread holds the engine, the
    /// calling input thread ingests it at once (no thread hop, no wake-up: the common case at moderate rates; the caller
    /// then flushes the output). Otherwise it is queued for the worker thread (under load the workers run the shards in
    /// parallel while the inputs read and parse), after waiting while the queue is full or outdev lags.
    /// </summary>
    public void Post(FrameBatch batch, CancellationToken cancellationToken)
    {
        // Backpressure: while outdev lags, take nothing more in (the worker itself never waits for outdev).
        _output.WaitForSpace(cancellationToken);
        // Inline only while the worker has nothing queued (from either side): frames of a side then reach the engine in
        // arrival order, and under load the worker keeps the engine busy while the inputs read and parse.
        if (Volatile.Read(ref _queuedBatches) == 0 && TryIngestBatch(batch))
            return;
        Interlocked.Increment(ref _queuedBatches);
        try
        {
            // Input threads are dedicated threads: wait on an event rather than an async channel write (which would
            // allocate a waiter and a task each time the queue is full).
            while (!_frames.Writer.TryWrite(new WorkItem(batch, null)))
            {
                if (Volatile.Read(ref _completing))
                {
                    FrameBatch.Return(batch);
                    Interlocked.Decrement(ref _queuedBatches);
                    return;
                }
                _queueSpace.Reset();
                if (_frames.Writer.TryWrite(new WorkItem(batch, null)))
                    break;
                _queueSpace.Wait(_tickInterval, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            Interlocked.Decrement(ref _queuedBatches);
            throw;
        }
        _signal.Set();
    }

    /// <summary>True when input threads run this worker's engine themselves (one worker).</summary>
    public bool IsInline => _inline;

    /// <summary>
    /// Inline mode: the calling input thread ingests one frame straight from its receive buffer (no copy). The engine
    /// lock is taken at the first frame of a read (<paramref name="holding"/> tracks it) and kept until
    /// <see cref="EndInlineRead"/>, so a read costs one lock hand-over, not one per frame. While outdev lags the lock is
    /// let go, what was released is sent, and the thread waits for room (backpressure).
    /// </summary>
    public void IngestInline(Compare.Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, ref bool holding, CancellationToken cancellationToken)
    {
        if (!holding)
        {
            _engineLock.Enter();
            if (Volatile.Read(ref _completing))
            {
                // Shutting down: the engines were flushed; frames read after that are not compared.
                _engineLock.Exit();
                return;
            }
            holding = true;
            RunCommands();
            _inlineNow = _clock();
        }
        IngestFrame(side, frame, vnetHeaderLength, _inlineNow);
        if (_output.IsOverCapacity)
        {
            EndInlineRead(ref holding);
            _output.WaitForSpace(cancellationToken);
        }
    }

    /// <summary>
    /// The calling input thread ingests a batch under the engine lock, then the batch goes back to the pool. Returns
    /// false at once (the batch still the caller's) when another thread holds the lock.
    /// </summary>
    private bool TryIngestBatch(FrameBatch batch)
    {
        if (!_engineLock.TryEnter())
            return false;
        try
        {
            // Shutting down: the engines were flushed; frames read after that are not compared.
            if (!Volatile.Read(ref _completing))
            {
                RunCommands();
                TimeSpan now = _clock();
                Ingest(batch, now);
                Advance(now);
            }
        }
        finally
        {
            _engineLock.Exit();
        }
        FrameBatch.Return(batch);
        return true;
    }

    /// <summary>Inline mode: the read's frames are ingested; lets the engine lock go and sends what was released.</summary>
    public void EndInlineRead(ref bool holding)
    {
        if (holding)
        {
            holding = false;
            try
            {
                Advance(_inlineNow);
                UpdateMemoryCap();
            }
            finally
            {
                _engineLock.Exit();
            }
        }
        // Outside the engine lock, so the other input can go on while this thread sends.
        _output.Flush();
    }

    /// <summary>Runs <paramref name="action"/> on the worker, ahead of queued frames.</summary>
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

    /// <summary>Runs <paramref name="action"/> after every frame queued before it.</summary>
    public async Task<T> InvokeOrderedAsync<T>(Func<CompareEngine, TimeSpan, T> action, CancellationToken cancellationToken)
    {
        var work = new EngineWork<T>(action);
        await _frames.Writer.WriteAsync(new WorkItem(null, work), cancellationToken).ConfigureAwait(false);
        _signal.Set();
        return await work.Task.ConfigureAwait(false);
    }

    /// <summary>Wakes the worker so it looks at the clock (timer tick).</summary>
    public void Wake() => _signal.Set();

    /// <summary>No more frames; the thread exits once the queues are empty.</summary>
    public void Complete()
    {
        // Not under the engine lock: no need to wait for a read an input thread is ingesting (frames it reads after
        // this are not compared).
        Volatile.Write(ref _completing, true);
        _frames.Writer.TryComplete();
        _signal.Set();
    }

    private void Run()
    {
        ChannelReader<WorkItem> reader = _frames.Reader;
        try
        {
            while (true)
            {
                _signal.Wait(_tickInterval);
                _signal.Reset();

                lock (_engineLock)
                {
                    RunCommands();
                    TimeSpan now = _clock();
                    int batches = 0;
                    while (reader.TryRead(out WorkItem item))
                    {
                        _queueSpace.Set();
                        if (item.Batch is { } batch)
                        {
                            Ingest(batch, now);
                            // Still under the engine lock: an input that sees 0 may ingest its next batch itself.
                            Interlocked.Decrement(ref _queuedBatches);
                            FrameBatch.Return(batch);
                        }
                        else
                            item.Work!.Execute(_engine, now);
                        // Commands stay prompt under load; the clock is read once per few batches.
                        if (++batches % 8 == 0)
                        {
                            RunCommands();
                            now = _clock();
                            Advance(now);
                        }
                    }
                    Advance(_clock());
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
        bool ran = false;
        while (_commands.TryDequeue(out EngineWork? work))
        {
            work.Execute(_engine, _clock());
            ran = true;
        }
        // A checkpoint completion, failover or shutdown may have freed the engine's memory.
        if (ran)
            UpdateMemoryCap();
    }

    /// <summary>
    /// True while the engine holds more than its memory cap (a checkpoint was requested): the primary's input pauses
    /// (backpressure), since primary frames are never dropped; the secondary's frames go on being read and dropped.
    /// </summary>
    public bool OverMemoryCap => Volatile.Read(ref _overMemoryCap);

    /// <summary>Blocks the calling input thread while <see cref="OverMemoryCap"/>; rechecks every 100 ms.</summary>
    public void WaitBelowMemoryCap(CancellationToken cancellationToken)
    {
        if (!OverMemoryCap)
            return;
        LogPrimaryPaused(_logger, Index, _engine.BufferedBytes, _engine.Options.MaxBufferedBytes);
        while (OverMemoryCap)
        {
            _belowMemoryCap.Wait(TimeSpan.FromMilliseconds(100), cancellationToken);
        }
        LogPrimaryResumed(_logger, Index);
    }

    private void UpdateMemoryCap()
    {
        bool over = !_engine.InFailover && _engine.BufferedBytes > _engine.Options.MaxBufferedBytes;
        if (over == _overMemoryCap)
            return;
        Volatile.Write(ref _overMemoryCap, over);
        if (over)
            _belowMemoryCap.Reset();
        else
            _belowMemoryCap.Set();
    }

    private void Ingest(FrameBatch batch, TimeSpan now)
    {
        Compare.Side side = batch.Side;
        for (int i = 0; i < batch.Count; i++)
        {
            ReadOnlySpan<byte> frame = batch.Frame(i, out int vnet);
            IngestFrame(side, frame, vnet, now);
        }
        UpdateMemoryCap();
    }

    private void IngestFrame(Compare.Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, TimeSpan now)
    {
        try
        {
            _engine.Ingest(side, frame, vnetHeaderLength, now);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A broken engine invariant must not stop the proxy: log (rate-limited) and go on with the next frame.
            if (_errors++ < 10 || _errors % 10000 == 0)
                LogIngestFailed(_logger, Index, _errors, ex);
        }
    }

    private void Advance(TimeSpan now)
    {
        if (now - _lastAdvance < _tickInterval)
            return;
        _lastAdvance = now;
        try
        {
            _engine.AdvanceTime(now);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (_errors++ < 10 || _errors % 10000 == 0)
                LogIngestFailed(_logger, Index, _errors, ex);
        }
    }

    public void Dispose()
    {
        _signal.Dispose();
        _queueSpace.Dispose();
        _belowMemoryCap.Dispose();
    }
}
