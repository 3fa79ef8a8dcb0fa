using Colo.Compare;

namespace Colo.Proxy.Hosting;

// What input threads call: ways 1 (a read) and 2 (a batch) of taking the engine lock.
internal sealed partial class EngineWorker
{
    // ---- 1. reads ----

    /// <summary>
    /// A read's frames follow: takes the engine lock for the calling thread until <see cref="EndRead"/>. False (lock not
    /// held) when shutting down: the engines were flushed, frames read from now on are not compared.
    /// </summary>
    public bool BeginRead()
    {
        _engineLock.Enter();
        if (Volatile.Read(ref _completing))
        {
            _engineLock.Exit();
            return false;
        }
        RunCommands();
        _readNow = _driver.Now();
        return true;
    }

    /// <summary>One frame of the read, straight from the receive buffer. Only between <see cref="BeginRead"/> and <see cref="EndRead"/>.</summary>
    public void IngestInRead(Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength) =>
        _driver.Ingest(side, frame, vnetHeaderLength, _readNow);

    /// <summary>The read is done: advances the clock, lets the engine lock go, then sends what was released.</summary>
    public void EndRead()
    {
        try
        {
            _driver.Advance(_readNow);
            _driver.UpdateMemoryCap();
        }
        finally
        {
            _engineLock.Exit();
        }
        // Outside the engine lock, so the other input can go on while this thread sends.
        _output.Flush();
    }

    // ---- 2. batches ----

    /// <summary>
    /// Hands a batch over, after waiting while outdev lags. Ingested at once on the calling thread when the queue is
    /// empty and the lock free (the caller then flushes the output); otherwise queued, waiting while the queue is full.
    /// </summary>
    public void Post(FrameBatch batch, CancellationToken cancellationToken)
    {
        _output.WaitForSpace(cancellationToken);
        if (Volatile.Read(ref _queuedItems) == 0 && TryIngestBatch(batch))
            return;
        Interlocked.Increment(ref _queuedItems);
        try
        {
            // Input threads are dedicated threads: wait on an event rather than an async channel write (which would
            // allocate a waiter and a task each time the queue is full).
            while (!_queue.Writer.TryWrite(new WorkItem(batch, null)))
            {
                if (Volatile.Read(ref _completing))
                {
                    FrameBatch.Return(batch);
                    Interlocked.Decrement(ref _queuedItems);
                    return;
                }
                _queueSpace.Reset();
                if (_queue.Writer.TryWrite(new WorkItem(batch, null)))
                    break;
                _queueSpace.Wait(_tickInterval, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
            Interlocked.Decrement(ref _queuedItems);
            throw;
        }
        _signal.Set();
    }

    /// <summary>Ingests a batch under the engine lock if it is free and nothing is queued; false (batch still the caller's) otherwise.</summary>
    private bool TryIngestBatch(FrameBatch batch)
    {
        if (!_engineLock.TryEnter())
            return false;
        try
        {
            // Checked again under the lock: ordered work queued meanwhile must not be overtaken.
            if (Volatile.Read(ref _queuedItems) != 0)
                return false;
            // Shutting down: the engines were flushed; frames read after that are not compared.
            if (!Volatile.Read(ref _completing))
            {
                RunCommands();
                TimeSpan now = _driver.Now();
                _driver.Ingest(batch, now);
                _driver.Advance(now);
            }
        }
        finally
        {
            _engineLock.Exit();
        }
        FrameBatch.Return(batch);
        return true;
    }
}
