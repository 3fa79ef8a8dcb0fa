using System.Diagnostics.Metrics;
using System.Net;
using Colo.Compare;
using Colo.Proxy.Checkpoints;
using Colo.Proxy.Control;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Metrics;
using Colo.Proxy.Notify;
using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

/// <summary>
/// The live proxy, wired together and started and stopped. The data path runs one way:
/// primary_in / secondary_in (<see cref="InputServer"/>) -> <see cref="InputHandler"/> -> engine shards
/// (<see cref="EngineShards"/>, <see cref="EngineWorker"/>) -> released frames (<see cref="ShardSink"/>) ->
/// <see cref="OutputBuffer"/> -> outdev (<see cref="OutdevSender"/>). Checkpoints run beside it
/// (<see cref="CheckpointDispatcher"/>). <see cref="RunAsync"/> runs until cancelled or until the control socket says
/// <c>quit</c>, then shuts down cleanly: stop reading, release every queued primary frame to outdev, close.
/// </summary>
public sealed partial class ProxyHost : ICheckpointEvents, IAsyncDisposable
{
    private readonly ProxyOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    // Wall-clock time of engine time zero: stamps recorded and captured frames without a clock read per frame.
    private readonly DateTimeOffset _engineEpoch;
    private readonly ColoMetrics _metrics;
    private readonly IMeterFactory? _ownedMeterFactory;
    private readonly OutputBuffer _output;
    private readonly EngineShards _shards;
    private readonly CheckpointDispatcher _checkpoints;
    private readonly SocketEndpoint _outdev;
    private readonly InputServer _primary;
    private readonly InputServer _secondary;
    private readonly SocketEndpoint[] _dataEndpoints;
    private readonly List<ICheckpointChannel> _channels = [];
    private readonly ControlServer? _control;
    private readonly PrometheusEndpoint? _prometheus;
    private readonly CancellationTokenSource _inputsCts = new();
    private readonly CancellationTokenSource _stopCts = new();
    private readonly TaskCompletionSource _quit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _tasks = [];
    private ITimer? _timer;
    private Task _inputs = Task.CompletedTask;
    private volatile HostState _state = HostState.Starting;
    private int _stopping;

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
        _engineEpoch = _time.GetUtcNow();
        if (meterFactory is null)
            meterFactory = _ownedMeterFactory = new SimpleMeterFactory();
        _metrics = new ColoMetrics(meterFactory);
        ILogger transport = loggerFactory.CreateLogger("Colo.Proxy.Transport");

        // Every checkpoint channel the same way: an ICheckpointChannel, started with this host as its events; those the
        // options name are built here, others (an embedding's own) are passed in.
        _channels.AddRange(CheckpointChannels.Create(options, loggerFactory, transport, _time));
        if (checkpointChannels is not null)
            _channels.AddRange(checkpointChannels);
        if (options.Control is { } control)
            _control = new ControlServer(control, this, options.Endpoints, loggerFactory.CreateLogger("Colo.Proxy.Control"), _time, options.ControlLimits);
        if (options.Metrics is { } metricsEndpoint)
            _prometheus = new PrometheusEndpoint(metricsEndpoint, this, _metrics);
        _checkpoints = new CheckpointDispatcher(new CheckpointCoordinator(options.Compare.ExpiredScanCycle), _channels, _metrics, _logger, Now, _control);

        _output = new OutputBuffer(options.OutputBufferBytes, options.VnetHdrSupport, loggerFactory.CreateLogger("Colo.Proxy.Output"));
        _capture = StartCapture(options.Capture);
        TimeSpan tick = TickInterval(options.Compare);
        ILogger engineLogger = loggerFactory.CreateLogger("Colo.Proxy.Engine");
        var workers = new EngineWorker[options.Workers];
        var engines = new CompareEngine[options.Workers];
        for (int i = 0; i < workers.Length; i++)
        {
            var sink = new ShardSink(_checkpoints, this, _output, _metrics, Now) { Capture = _capture };
            engines[i] = new CompareEngine(options.Compare, sink) { Tap = _capture };
            sink.Engine = engines[i];
            workers[i] = new EngineWorker(i, engines[i], Now, _output, tick, engineLogger, readsInPlace: options.Workers == 1);
        }
        _shards = new EngineShards(workers, engines, _output);

        _outdev = new SocketEndpoint("outdev", options.Outdev!, options.Endpoints, transport);
        var primary = new SocketEndpoint("primary_in", options.PrimaryIn!, options.Endpoints, transport);
        var secondary = new SocketEndpoint("secondary_in", options.SecondaryIn!, options.Endpoints, transport);
        _primary = new InputServer(Side.Primary, primary, _shards, options, transport);
        _secondary = new InputServer(Side.Secondary, secondary, _shards, options, transport);
        _dataEndpoints = [primary, secondary, _outdev];
        foreach (SocketEndpoint endpoint in _dataEndpoints)
            endpoint.PeerChanged += (e, connected) => OnPeerChanged(e.Name, connected);

        StartRecords(options.Records);
        _metrics.Observe(this);
    }

    /// <summary>Engine time: elapsed since the host was created, on the host's <see cref="TimeProvider"/>.</summary>
    internal TimeSpan Now() => _time.GetElapsedTime(_startTimestamp);

    internal TimeProvider Time => _time;

    internal CheckpointCoordinator Coordinator => _checkpoints.Coordinator;

    internal ColoMetrics Metrics => _metrics;

    public HostState State => _state;

    /// <summary>The last aggregated counters fetched (query-stats refreshes it; final after shutdown, undelivered frames counted).</summary>
    public EngineCounters LastCounters { get; private set; } = new();

    /// <summary>Completes when the host has shut down.</summary>
    public Task Stopped => _stopped.Task;

    /// <summary>The control socket said quit.</summary>
    public Task QuitRequested => _quit.Task;

    /// <summary>Released frames written to the output buffer so far.</summary>
    public long FramesReleasedToOutput => _output.FramesWritten;

    /// <summary>Bytes waiting for outdev.</summary>
    public long OutputBufferedBytes => _output.BufferedBytes;

    /// <summary>The most bytes that waited for outdev at once.</summary>
    public long OutputPeakBufferedBytes => _output.PeakBufferedBytes;

    /// <summary>The bound address of a server endpoint by option name (tests bind TCP port 0).</summary>
    public EndPoint? GetLocalEndPoint(string name) => name switch
    {
        "control" => _control?.LocalEndPoint,
        "notify_dev" => _channels.OfType<XenNotifyChannel>().FirstOrDefault()?.LocalEndPoint,
        "metrics" => _prometheus?.LocalEndPoint,
        _ => _dataEndpoints.FirstOrDefault(e => e.Name == name)?.LocalEndPoint,
    };

    internal (InputStats Primary, InputStats Secondary) InputStatistics => (_primary.Stats, _secondary.Stats);

    internal long OutputStalls => _output.Stalls;

    internal long OutputResentFrames => _output.ResentFrames;

    internal long CheckpointsCompleted => _checkpoints.Completed;

    private static TimeSpan TickInterval(CompareOptions compare) =>
        compare.ExpiredScanCycle < TimeSpan.FromMilliseconds(100) ? compare.ExpiredScanCycle : TimeSpan.FromMilliseconds(100);

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
        foreach (SocketEndpoint endpoint in _dataEndpoints)
            endpoint.Bind();
        _control?.Bind();
        _shards.Start();
        _state = HostState.Running;

        CancellationToken stop = _stopCts.Token;
        _tasks.Add(_outdev.RunAsync(new OutdevSender(_output).PumpAsync, stop));
        _inputs = Task.WhenAll(_primary.RunAsync(_inputsCts.Token), _secondary.RunAsync(_inputsCts.Token));
        foreach (ICheckpointChannel channel in _channels)
            await channel.StartAsync(this, stop).ConfigureAwait(false);
        if (_control is not null)
            _tasks.Add(_control.RunAsync(stop));
        if (_prometheus is not null)
            await _prometheus.StartAsync(cancellationToken).ConfigureAwait(false);
        _tasks.Add(_checkpoints.RunAsync(stop));

        TimeSpan tick = TickInterval(_options.Compare);
        _timer = _time.CreateTimer(static state => ((ProxyHost)state!).OnTick(), this, tick, tick);
        LogStarted(_logger, _options.PrimaryIn!.ToString(), _options.SecondaryIn!.ToString(), _options.Outdev!.ToString(),
            _options.Workers, _options.Compare.CompareTimeout.TotalMilliseconds, _options.Compare.ExpiredScanCycle.TotalMilliseconds);
    }

    private void OnTick()
    {
        _shards.Wake();
        _checkpoints.OnTick();
    }

    private void OnPeerChanged(string channel, bool connected)
    {
        _metrics.PeerChanged(channel, connected);
        if (!connected && _state == HostState.Running && channel is "primary_in" or "secondary_in")
            LogInputLost(_logger, channel);
        _control?.PublishEvent(connected ? "COLO_PEER_CONNECTED" : "COLO_PEER_DISCONNECTED", channel, static (w, c) => w.WriteString("channel", c));
    }

    /// <summary>Every channel and whether its peer is connected.</summary>
    public IReadOnlyList<KeyValuePair<string, bool>> Peers() =>
        [.. _dataEndpoints.Select(e => new KeyValuePair<string, bool>(e.Name, e.IsConnected)),
            .. _channels.Select(c => new KeyValuePair<string, bool>(c.Name, c.IsConnected))];

    public ProxyStatus GetStatus() => new(
        StateName(_state),
        Now(),
        Peers(),
        Coordinator.Outstanding,
        Coordinator.Outstanding ? ColoMetrics.Tag(Coordinator.OutstandingReason) : null,
        _shards.Count,
        _output.BufferedBytes);

    private static string StateName(HostState state) => state switch
    {
        HostState.Starting => "starting",
        HostState.Running => "running",
        HostState.Failover => "failover",
        HostState.Stopping => "stopping",
        _ => "stopped",
    };

    // Engine threads.
    internal void OnDiverged(Divergence divergence)
    {
        _metrics.Diverged(divergence.Kind);
        LogDivergence(_logger, divergence.Flow.ToString(), divergence.Describe(), divergence.StreamOffset,
            divergence.Sequence is { } seq ? seq.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-",
            divergence.ContextOffset, Convert.ToHexString(divergence.PrimaryContext), Convert.ToHexString(divergence.SecondaryContext));
        _control?.PublishEvent("COLO_DIVERGENCE", divergence, static (w, d) => ControlJson.WriteDivergence(w, d));
        RecordDivergence(divergence);
    }

    // ---- ICheckpointEvents (channel tasks) ----

    public void CheckpointCompleted(string channel) => Track(CompleteCheckpointAsync(channel));

    public void FailoverRequested(string channel, string reason) => Track(FailoverAsync(channel + ": " + reason));

    public void ChannelError(string channel, string message) => LogChannelError(_logger, channel, message);

    void ICheckpointEvents.PeerChanged(string channel, bool connected) => OnPeerChanged(channel, connected);

    private void Track(Task task) => task.ContinueWith(
        static (t, state) => LogBackgroundFailed(((ProxyHost)state!)._logger, t.Exception!),
        this, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
}
