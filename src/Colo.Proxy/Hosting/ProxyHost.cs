using System.Diagnostics.Metrics;
using System.Net;
using System.Threading.Channels;
using Colo.Compare;
using Colo.Proxy.Checkpoints;
using Colo.Proxy.Control;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Framing;
using Colo.Proxy.Metrics;
using Colo.Proxy.Notify;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

/// <summary>
/// The live proxy: endpoints, engine workers, output, checkpoint channels and the control socket, wired together.
/// <see cref="RunAsync"/> runs until cancelled or until the control socket says <c>quit</c>, then shuts down cleanly:
/// stop reading, release every queued primary frame to outdev, close.
/// </summary>
public sealed partial class ProxyHost : ICheckpointEvents, IAsyncDisposable
{
    private readonly ProxyOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly ColoMetrics _metrics;
    private readonly IMeterFactory? _ownedMeterFactory;
    private readonly CheckpointCoordinator _coordinator;
    private readonly OutputBuffer _output;
    private readonly EngineWorker[] _workers;
    private readonly CompareEngine[] _engines;
    private readonly SocketEndpoint _primary;
    private readonly SocketEndpoint _secondary;
    private readonly SocketEndpoint _outdev;
    private readonly InputStats _primaryStats = new();
    private readonly InputStats _secondaryStats = new();
    private readonly List<ICheckpointChannel> _channels = [];
    private readonly ControlServer? _control;
    private readonly PrometheusEndpoint? _prometheus;
    private readonly Channel<CheckpointRequest> _requests = Channel.CreateUnbounded<CheckpointRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _inputsCts = new();
    private readonly CancellationTokenSource _stopCts = new();
    private readonly TaskCompletionSource _quit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _tasks = [];
    private ITimer? _timer;
    private Task _inputs = Task.CompletedTask;
    private volatile string _state = "starting";
    private int _stopping;
    private bool _started;
    private long _checkpointsCompleted;

    public ProxyHost(ProxyOptions options, ILoggerFactory loggerFactory, TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null, IEnumerable<ICheckpointChannel>? checkpointChannels = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        IReadOnlyList<string> errors = options.Validate();
        if (errors.Count > 0)
            throw new ArgumentException(string.Join(Environment.NewLine, errors), nameof(options));
        options.Compare.Validate();

        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger("Colo.Proxy");
        _time = timeProvider ?? TimeProvider.System;
        _startTimestamp = _time.GetTimestamp();
        if (meterFactory is null)
        {
            _ownedMeterFactory = new SimpleMeterFactory();
            meterFactory = _ownedMeterFactory;
        }
        _metrics = new ColoMetrics(meterFactory);
        _coordinator = new CheckpointCoordinator(options.Compare.ExpiredScanCycle);
        _output = new OutputBuffer(options.OutputBufferBytes, options.VnetHdrSupport, loggerFactory.CreateLogger("Colo.Proxy.Output"));

        TimeSpan tick = TickInterval(options.Compare);
        ILogger workerLogger = loggerFactory.CreateLogger("Colo.Proxy.Engine");
        _workers = new EngineWorker[options.Workers];
        _engines = new CompareEngine[options.Workers];
        for (int i = 0; i < _workers.Length; i++)
        {
            var engine = new CompareEngine(options.Compare, new ShardSink(this, _output, _metrics, Now));
            _engines[i] = engine;
            _workers[i] = new EngineWorker(i, engine, Now, _output, tick, workerLogger, inline: options.Workers == 1);
        }

        ILogger transport = loggerFactory.CreateLogger("Colo.Proxy.Transport");
        _primary = new SocketEndpoint("primary_in", options.PrimaryIn!, options.Endpoints, transport);
        _secondary = new SocketEndpoint("secondary_in", options.SecondaryIn!, options.Endpoints, transport);
        _outdev = new SocketEndpoint("outdev", options.Outdev!, options.Endpoints, transport);
        foreach (SocketEndpoint endpoint in (SocketEndpoint[])[_primary, _secondary, _outdev])
            endpoint.PeerChanged += (e, connected) => OnPeerChanged(e.Name, connected);

        if (options.NotifyDev is { } notify)
            _channels.Add(new XenNotifyChannel(new SocketEndpoint("notify_dev", notify, options.Endpoints, transport), loggerFactory.CreateLogger("Colo.Proxy.Notify")));
        if (checkpointChannels is not null)
            _channels.AddRange(checkpointChannels);
        if (options.Control is { } control)
            _control = new ControlServer(control, this, options.Endpoints, loggerFactory.CreateLogger("Colo.Proxy.Control"), _time);
        if (options.Metrics is { } metricsEndpoint)
            _prometheus = new PrometheusEndpoint(metricsEndpoint, this, options.Endpoints.AllowRemote);

        _metrics.Observe(ReadCountersUnsynchronized, () => Peers(), () => _output.BufferedBytes);
    }

    /// <summary>Engine time: elapsed since the host was created, on the host's <see cref="TimeProvider"/>.</summary>
    internal TimeSpan Now() => _time.GetElapsedTime(_startTimestamp);

    internal TimeProvider Time => _time;

    internal CheckpointCoordinator Coordinator => _coordinator;

    internal ColoMetrics Metrics => _metrics;

    /// <summary>The last aggregated counters fetched (query-stats refreshes it; final after shutdown).</summary>
    public EngineCounters LastCounters { get; private set; } = new();

    /// <summary>Completes when the host has shut down.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>The control socket said quit.</summary>
    public Task QuitRequested => _quit.Task;

    /// <summary>Released frames written to the output buffer so far.</summary>
    public long FramesReleasedToOutput => _output.FramesWritten;

    /// <summary>Bytes waiting for outdev.</summary>
    public long OutputBufferedBytes => _output.BufferedBytes;

    /// <summary>The bound address of a server endpoint by option name (tests bind TCP port 0).</summary>
    public EndPoint? GetLocalEndPoint(string name) => name switch
    {
        "primary_in" => _primary.LocalEndPoint,
        "secondary_in" => _secondary.LocalEndPoint,
        "outdev" => _outdev.LocalEndPoint,
        "control" => _control?.LocalEndPoint,
        "notify_dev" => _channels.OfType<XenNotifyChannel>().FirstOrDefault()?.LocalEndPoint,
        "metrics" => _prometheus?.LocalEndPoint,
        _ => null,
    };

    private static TimeSpan TickInterval(CompareOptions compare)
    {
        TimeSpan tick = TimeSpan.FromMilliseconds(100);
        if (compare.ExpiredScanCycle < tick)
            tick = compare.ExpiredScanCycle;
        return tick;
    }

    /// <summary>Starts, runs until <paramref name="cancellationToken"/> or quit, then shuts down.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(() => cancelled.TrySetResult()))
            await Task.WhenAny(cancelled.Task, _quit.Task).ConfigureAwait(false);
        await StopAsync().ConfigureAwait(false);
    }

    /// <summary>Binds every server endpoint (errors surface here) and starts serving.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _primary.Bind();
        _secondary.Bind();
        _outdev.Bind();
        _control?.Bind();
        foreach (EngineWorker worker in _workers)
            worker.Start();
        _started = true;
        _state = "running";

        CancellationToken stop = _stopCts.Token;
        CancellationToken inputs = _inputsCts.Token;
        _tasks.Add(_outdev.RunAsync(_output.PumpAsync, stop));
        _inputs = Task.WhenAll(
            _primary.RunAsync((c, ct) => ServeInputAsync(Side.Primary, _primary, _primaryStats, c, ct), inputs),
            _secondary.RunAsync((c, ct) => ServeInputAsync(Side.Secondary, _secondary, _secondaryStats, c, ct), inputs));
        foreach (ICheckpointChannel channel in _channels)
            await channel.StartAsync(this, stop).ConfigureAwait(false);
        if (_control is not null)
            _tasks.Add(_control.RunAsync(stop));
        if (_prometheus is not null)
            await _prometheus.StartAsync(cancellationToken).ConfigureAwait(false);
        _tasks.Add(DispatchCheckpointRequestsAsync(stop));

        TimeSpan tick = TickInterval(_options.Compare);
        _timer = _time.CreateTimer(static state => ((ProxyHost)state!).OnTick(), this, tick, tick);
        LogStarted(_logger, _options.PrimaryIn!.ToString(), _options.SecondaryIn!.ToString(), _options.Outdev!.ToString(),
            _options.Workers, _options.Compare.CompareTimeout.TotalMilliseconds, _options.Compare.ExpiredScanCycle.TotalMilliseconds);
    }

    private void OnTick()
    {
        foreach (EngineWorker worker in _workers)
            worker.Wake();
        if (_coordinator.OnTick(Now()))
            _requests.Writer.TryWrite(new CheckpointRequest(_coordinator.OutstandingReason, null, Side.Primary, TimeSpan.Zero, Repeat: true));
    }

    private async Task ServeInputAsync(Side side, SocketEndpoint endpoint, InputStats stats, PeerConnection connection, CancellationToken cancellationToken)
    {
        var reader = new FrameReader(_options.VnetHdrSupport, _options.MaxFrameLength);
        var handler = new InputHandler(side, _workers, stats, cancellationToken);
        try
        {
            FrameReadResult result = await ReadOnInputThreadAsync(side, reader, handler, connection, cancellationToken).ConfigureAwait(false);
            switch (result)
            {
                case FrameReadResult.Oversize:
                    Interlocked.Increment(ref stats.Oversize);
                    _metrics.Oversize(endpoint.Name);
                    LogOversize(_logger, endpoint.Name, connection.Remote, reader.OversizeLength, _options.MaxFrameLength);
                    break;
                case FrameReadResult.ClosedMidFrame:
                    Interlocked.Increment(ref stats.ClosedMidFrame);
                    LogClosedMidFrame(_logger, endpoint.Name, connection.Remote);
                    break;
            }
        }
        finally
        {
            handler.Reset();
            Interlocked.Add(ref stats.EmptyFrames, reader.EmptyFrames);
            if (reader.EmptyFrames > 0)
                LogEmptyFrames(_logger, endpoint.Name, reader.EmptyFrames);
        }
    }

    // Each input connection is read by its own thread with blocking receives: one system call per read and a direct
    // wake-up by the kernel, instead of an event-loop thread handing every read to the thread pool.
    private static Task<FrameReadResult> ReadOnInputThreadAsync(Side side, FrameReader reader, InputHandler handler, PeerConnection connection, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource<FrameReadResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                using CancellationTokenRegistration stop = cancellationToken.Register(static c => ((PeerConnection)c!).Abort(), connection);
                done.TrySetResult(reader.RunBlocking(connection.Socket, handler, cancellationToken));
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = side == Side.Primary ? "colo-primary-in" : "colo-secondary-in",
        };
        thread.Start();
        return done.Task;
    }

    private void OnPeerChanged(string channel, bool connected)
    {
        _metrics.PeerChanged(channel, connected);
        if (!connected && _state == "running" && channel is "primary_in" or "secondary_in")
            LogInputLost(_logger, channel);
        _control?.PublishEvent(connected ? "COLO_PEER_CONNECTED" : "COLO_PEER_DISCONNECTED", channel, static (w, c) => w.WriteString("channel", c));
    }

    /// <summary>Every channel and whether its peer is connected.</summary>
    public IReadOnlyList<KeyValuePair<string, bool>> Peers()
    {
        var peers = new List<KeyValuePair<string, bool>>
        {
            new("primary_in", _primary.IsConnected),
            new("secondary_in", _secondary.IsConnected),
            new("outdev", _outdev.IsConnected),
        };
        foreach (ICheckpointChannel channel in _channels)
            peers.Add(new(channel.Name, channel.IsConnected));
        return peers;
    }

    public ProxyStatus GetStatus() => new(
        _state,
        Now(),
        Peers(),
        _coordinator.Outstanding,
        _coordinator.Outstanding ? ColoMetrics.Tag(_coordinator.OutstandingReason) : null,
        _workers.Length,
        _output.BufferedBytes);

    internal (InputStats Primary, InputStats Secondary) InputStatistics => (_primaryStats, _secondaryStats);

    internal long OutputStalls => _output.Stalls;

    internal long OutputResentFrames => _output.ResentFrames;

    internal long CheckpointsCompleted => Interlocked.Read(ref _checkpointsCompleted);

    // ---- engine callbacks (worker threads) ----

    internal void OnCheckpointTriggered(in CheckpointTrigger trigger)
    {
        if (_coordinator.OnTrigger(trigger, Now()))
        {
            _requests.Writer.TryWrite(new CheckpointRequest(trigger.Reason, trigger.HasFlow ? trigger.Flow.ToString() : null,
                trigger.Side, trigger.Waited, Repeat: false));
        }
        else if (_logger.IsEnabled(LogLevel.Debug))
        {
            LogTriggerCoalesced(_logger, ColoMetrics.Tag(trigger.Reason), trigger.HasFlow ? trigger.Flow.ToString() : "-");
        }
    }

    internal void OnDiverged(Divergence divergence)
    {
        _metrics.Diverged(divergence.Kind);
        string flow = divergence.Flow.ToString();
        string primary = Convert.ToHexString(divergence.PrimaryContext);
        string secondary = Convert.ToHexString(divergence.SecondaryContext);
        LogDivergence(_logger, flow, divergence.Describe(), divergence.StreamOffset,
            divergence.Sequence is { } seq ? seq.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-",
            divergence.ContextOffset, primary, secondary);
        _control?.PublishEvent("COLO_DIVERGENCE", divergence, static (w, d) => ControlJson.WriteDivergence(w, d));
    }

    private async Task DispatchCheckpointRequestsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await foreach (CheckpointRequest request in _requests.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                string reason = ColoMetrics.Tag(request.Reason);
                _metrics.CheckpointRequested(request.Reason);
                if (request.Repeat)
                    LogCheckpointRepeated(_logger, reason);
                else
                    LogCheckpointRequested(_logger, reason, request.Flow ?? "-");
                _control?.PublishEvent("COLO_CHECKPOINT_REQUEST", request, static (w, r) => ControlJson.WriteCheckpointRequest(w, r));
                foreach (ICheckpointChannel channel in _channels)
                {
                    try
                    {
                        if (!await channel.RequestCheckpointAsync(reason, cancellationToken).ConfigureAwait(false))
                            LogChannelNotConnected(_logger, channel.Name);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogChannelFailed(_logger, channel.Name, ex);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // ---- ICheckpointEvents (channel tasks) ----

    public void CheckpointCompleted(string channel) => Track(CompleteCheckpointAsync(channel));

    public void FailoverRequested(string channel, string reason) => Track(FailoverAsync(channel + ": " + reason));

    public void ChannelError(string channel, string message) => LogChannelError(_logger, channel, message);

    void ICheckpointEvents.PeerChanged(string channel, bool connected) => OnPeerChanged(channel, connected);

    private void Track(Task task) => task.ContinueWith(
        static (t, state) => LogBackgroundFailed(((ProxyHost)state!)._logger, t.Exception!),
        this, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);

    // ---- commands (control socket, channels) ----

    /// <summary>A checkpoint completed: flush every shard, then report.</summary>
    public async Task<long> CompleteCheckpointAsync(string channel)
    {
        _coordinator.OnCompleted();
        long released = await SumAsync((engine, now) =>
        {
            long before = engine.Counters.Released(ReleaseReason.Checkpoint);
            engine.CompleteCheckpoint(now);
            _output.Flush();
            return engine.Counters.Released(ReleaseReason.Checkpoint) - before;
        }).ConfigureAwait(false);
        Interlocked.Increment(ref _checkpointsCompleted);
        _metrics.CheckpointCompleted(channel);
        LogCheckpointCompleted(_logger, channel, released);
        _control?.PublishEvent("COLO_CHECKPOINT_DONE", (channel, released), static (w, s) =>
        {
            w.WriteString("channel", s.channel);
            w.WriteNumber("released", s.released);
        });
        return released;
    }

    /// <summary>Failover: release everything, then forward the primary uncompared.</summary>
    public async Task<long> FailoverAsync(string reason)
    {
        _state = "failover";
        _coordinator.OnCompleted();
        long released = await SumAsync((engine, now) =>
        {
            long before = engine.Counters.PrimaryReleased;
            engine.Failover(now);
            _output.Flush();
            return engine.Counters.PrimaryReleased - before;
        }).ConfigureAwait(false);
        LogFailover(_logger, reason, released);
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
        LastCounters = total;
        return total;
    }

    /// <summary>
    /// The engines' counters read from the caller's thread (metric collection): cheap, never waits for a busy worker,
    /// values may be a frame apart (<see cref="EngineCounters"/> allows it). query-stats uses <see cref="GetCountersAsync"/>.
    /// </summary>
    internal EngineCounters ReadCountersUnsynchronized()
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

    /// <summary>Asks <see cref="RunAsync"/> to shut down.</summary>
    public void RequestQuit() => _quit.TrySetResult();

    private async Task<long> SumAsync(Func<CompareEngine, TimeSpan, long> action)
    {
        long[] results = await Task.WhenAll(_workers.Select(w => w.InvokeAsync(action))).ConfigureAwait(false);
        return results.Sum();
    }

    /// <summary>Stops reading, releases every queued primary frame to outdev, waits for outdev to take it, closes.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 1)
        {
            await _stopped.Task.ConfigureAwait(false);
            return;
        }
        _state = "stopping";
        using var abort = new CancellationTokenSource(_options.ShutdownTimeout);
        using CancellationTokenRegistration abortOutput = abort.Token.Register(_output.Abort);
        try
        {
            // 1. Stop reading.
            await _inputsCts.CancelAsync().ConfigureAwait(false);
            await IgnoreErrors(_inputs).ConfigureAwait(false);

            // 2. Release what the engines hold, after the frames already queued to them.
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
                    }, abort.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    LogShutdownReleaseFailed(_logger, worker.Index, ex);
                }
            }
            try
            {
                await GetCountersAsync().ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
            }
            LogShutdownReleased(_logger, released);
            foreach (EngineWorker worker in _workers)
                worker.Complete();
            await Task.WhenAll(_workers.Select(w => w.Stopped)).ConfigureAwait(false);
            if (_timer is not null)
                await _timer.DisposeAsync().ConfigureAwait(false);

            // 3. Let outdev take the released frames.
            _output.Complete();
            if (_output.BufferedBytes > 0)
            {
                await Task.WhenAny(_output.Drained, Task.Delay(Timeout.InfiniteTimeSpan, abort.Token)).ConfigureAwait(false);
                if (_output.BufferedBytes > 0)
                    LogUndelivered(_logger, _output.BufferedBytes, _outdev.IsConnected);
            }
        }
        finally
        {
            // 4. Close everything.
            await _stopCts.CancelAsync().ConfigureAwait(false);
            await IgnoreErrors(Task.WhenAll(_tasks)).ConfigureAwait(false);
            foreach (ICheckpointChannel channel in _channels)
                await channel.DisposeAsync().ConfigureAwait(false);
            if (_control is not null)
                await _control.DisposeAsync().ConfigureAwait(false);
            if (_prometheus is not null)
                await _prometheus.DisposeAsync().ConfigureAwait(false);
            await _primary.DisposeAsync().ConfigureAwait(false);
            await _secondary.DisposeAsync().ConfigureAwait(false);
            await _outdev.DisposeAsync().ConfigureAwait(false);
            foreach (EngineWorker worker in _workers)
                worker.Dispose();
            _state = "stopped";
            LogStopped(_logger, LastCounters.PrimaryReceived, LastCounters.PrimaryReleased, LastCounters.PrimaryQueued,
                LastCounters.PrimaryDropped, LastCounters.IsBalanced);
            _stopped.TrySetResult();
        }
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
        if (_started)
        {
            await StopAsync().ConfigureAwait(false);
        }
        else
        {
            // Never started (or a bind failed): remove whatever was bound.
            foreach (ICheckpointChannel channel in _channels)
                await channel.DisposeAsync().ConfigureAwait(false);
            if (_control is not null)
                await _control.DisposeAsync().ConfigureAwait(false);
            await _primary.DisposeAsync().ConfigureAwait(false);
            await _secondary.DisposeAsync().ConfigureAwait(false);
            await _outdev.DisposeAsync().ConfigureAwait(false);
            foreach (EngineWorker worker in _workers)
                worker.Dispose();
        }
        _inputsCts.Dispose();
        _stopCts.Dispose();
        _ownedMeterFactory?.Dispose();
    }
}
