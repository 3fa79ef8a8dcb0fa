using Colo.Compare;
using Colo.Proxy.Checkpoints;
using Colo.Proxy.Endpoints;

namespace Colo.Proxy.Hosting;

// Shutdown, in the data path's order: inputs, engines, output, then everything else.
public sealed partial class ProxyHost
{
    /// <summary>Frames released that no outdev peer received (final after shutdown; counted in <see cref="LastCounters"/>).</summary>
    public long UndeliveredFrames => _output.UndeliveredFrames;

    /// <summary>Stops reading, releases every queued primary frame to outdev, waits for outdev to take it, closes.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 1)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }
        _state = HostState.Stopping;
        using var abort = new CancellationTokenSource(_options.ShutdownTimeout);
        using CancellationTokenRegistration abortOutput = abort.Token.Register(_output.Abort);
        try
        {
            // 1. Stop reading.
            await _inputsCts.CancelAsync().ConfigureAwait(false);
            await IgnoreErrors(_inputs).ConfigureAwait(false);

            // 2. Release what the engines hold, after the frames already handed to them.
            long released = await _shards.ReleaseAllAsync((index, ex) => LogShutdownReleaseFailed(_logger, index, ex), abort.Token).ConfigureAwait(false);
            LogShutdownReleased(_logger, released);
            await _shards.CompleteAsync().ConfigureAwait(false);
            if (_timer is not null)
                await _timer.DisposeAsync().ConfigureAwait(false);

            // 3. Let outdev take the released frames.
            _output.Complete();
            if (_output.BufferedBytes > 0)
                await Task.WhenAny(_output.Drained, Task.Delay(Timeout.InfiniteTimeSpan, abort.Token)).ConfigureAwait(false);
        }
        finally
        {
            // 4. Close everything.
            await _stopCts.CancelAsync().ConfigureAwait(false);
            await IgnoreErrors(Task.WhenAll(_tasks)).ConfigureAwait(false);
            await DisposeEndpointsAsync().ConfigureAwait(false);

            // The engines' threads have stopped: their counters are final. What outdev did not take is not released.
            EngineCounters counters = _shards.ReadCountersUnsynchronized();
            long undelivered = Math.Min(_output.UndeliveredFrames, counters.PrimaryReleased);
            if (undelivered > 0)
            {
                counters.RecordUndelivered(undelivered);
                LogUndelivered(_logger, undelivered, _output.BufferedBytes, _outdev.IsConnected);
            }
            LastCounters = counters;
            _shards.Dispose();
            _state = HostState.Stopped;
            LogStopped(_logger, counters.PrimaryReceived, counters.PrimaryReleased, counters.PrimaryQueued, counters.PrimaryDropped,
                undelivered, counters.IsBalanced);
            _stopped.TrySetResult();
        }
    }

    private async Task DisposeEndpointsAsync()
    {
        foreach (ICheckpointChannel channel in _channels)
            await channel.DisposeAsync().ConfigureAwait(false);
        await StopRecordsAsync().ConfigureAwait(false);
        _capture?.Dispose();
        if (_control is not null)
            await _control.DisposeAsync().ConfigureAwait(false);
        if (_prometheus is not null)
            await _prometheus.DisposeAsync().ConfigureAwait(false);
        foreach (SocketEndpoint endpoint in _dataEndpoints)
            await endpoint.DisposeAsync().ConfigureAwait(false);
    }

    private static async Task IgnoreErrors(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or System.Net.Sockets.SocketException or ObjectDisposedException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_state != HostState.Starting)
        {
            await StopAsync().ConfigureAwait(false);
        }
        else
        {
            // Never started (or a bind failed): remove whatever was bound.
            await DisposeEndpointsAsync().ConfigureAwait(false);
            _shards.Dispose();
        }
        _inputsCts.Dispose();
        _stopCts.Dispose();
        _ownedMeterFactory?.Dispose();
    }
}
