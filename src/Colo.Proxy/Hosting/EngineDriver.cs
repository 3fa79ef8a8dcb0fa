using Colo.Compare;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

/// <summary>
/// What is done to one <see cref="CompareEngine"/>: frames in, the clock, commands, with the error handling and the
/// memory-cap state that go with them. Not thread-safe: its <see cref="EngineWorker"/> calls it only while holding the
/// engine lock, from whichever thread holds it.
/// </summary>
internal sealed partial class EngineDriver
{
    private readonly CompareEngine _engine;
    private readonly Func<TimeSpan> _clock;
    private readonly TimeSpan _tickInterval;
    private readonly ILogger _logger;
    private TimeSpan _lastAdvance;
    private long _errors;

    public EngineDriver(int index, CompareEngine engine, Func<TimeSpan> clock, TimeSpan tickInterval, ILogger logger)
    {
        Index = index;
        _engine = engine;
        _clock = clock;
        _tickInterval = tickInterval;
        _logger = logger;
    }

    public int Index { get; }

    /// <summary>Open while the engine is below its memory cap; the primary's input waits on it.</summary>
    public MemoryCapGate MemoryCap { get; } = new();

    public TimeSpan Now() => _clock();

    public void Ingest(Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, TimeSpan now)
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

    public void Ingest(FrameBatch batch, TimeSpan now)
    {
        Side side = batch.Side;
        for (int i = 0; i < batch.Count; i++)
        {
            ReadOnlySpan<byte> frame = batch.Frame(i, out int vnet);
            Ingest(side, frame, vnet, now);
        }
        UpdateMemoryCap();
    }

    /// <summary>Runs one command against the engine (its result or exception goes to the command's task).</summary>
    public void Execute(EngineWork work, TimeSpan now)
    {
        work.Execute(_engine, now);
        // A checkpoint completion, failover or shutdown may have freed the engine's memory.
        UpdateMemoryCap();
    }

    /// <summary>Tells the engine the time, at most once per tick interval (the engine's timeout scan is cheap to skip).</summary>
    public void Advance(TimeSpan now)
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

    public void UpdateMemoryCap() =>
        MemoryCap.Update(!_engine.InFailover && _engine.BufferedBytes > _engine.Options.MaxBufferedBytes);

    /// <summary>Blocks the calling input thread while the engine is over its memory cap; logs the pause and the resume.</summary>
    public void WaitBelowMemoryCap(CancellationToken cancellationToken)
    {
        if (MemoryCap.IsOpen)
            return;
        LogPrimaryPaused(_logger, Index, _engine.BufferedBytes, _engine.Options.MaxBufferedBytes);
        MemoryCap.Wait(cancellationToken);
        LogPrimaryResumed(_logger, Index);
    }
}
