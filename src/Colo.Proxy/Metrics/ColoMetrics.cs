using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Reflection;
using Colo.Compare;
using Colo.Proxy.Control;
using Colo.Proxy.Hosting;

namespace Colo.Proxy.Metrics;

/// <summary>
/// The proxy's instruments, built from <see cref="IMeterFactory"/> (meter "ColoProxy"): the one list of metrics.
/// Whatever exports them (<see cref="PrometheusRenderer"/> for <c>--metrics</c>, or any <see cref="MeterListener"/>)
/// reads them from here. Frame counts are observable counters over the engines' own counters (no cost per frame); rare
/// events are plain counters; the release latency histogram is recorded only while something listens
/// (<see cref="Instrument.Enabled"/>). Tags are bounded: side, reason, kind, channel, state. Never addresses or ports.
/// </summary>
public sealed class ColoMetrics
{
    public const string MeterName = "ColoProxy";

    /// <summary>Upper bounds (seconds) for the latency histograms: 100 us to 60 s, about three per decade.</summary>
    public static readonly IReadOnlyList<double> LatencyBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    private static readonly string[] States = ["starting", "running", "failover", "stopping", "stopped"];

    private readonly TimeProvider _time;
    private readonly Counter<long> _checkpointsRequested;
    private readonly Counter<long> _checkpointsCompleted;
    private readonly Counter<long> _divergences;
    private readonly Counter<long> _peerEvents;
    private readonly Counter<long> _records;
    private readonly Histogram<double> _releaseLatency;
    private readonly Histogram<double> _checkpointLatency;
    private readonly string _version;
    private IProxyControl? _control;
    private Func<(long Behind, long Error)>? _recordsDropped;
    private long _requestOpenedTimestamp;
    private double _oldestQueuedSeconds;

    public ColoMetrics(IMeterFactory meterFactory, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _time = time ?? TimeProvider.System;
        _version = typeof(ColoMetrics).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? typeof(ColoMetrics).Assembly.GetName().Version?.ToString() ?? "0";
        Meter meter = meterFactory.Create(MeterName);
        Meter = meter;
        var latencyAdvice = new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBuckets };

        _checkpointsRequested = meter.CreateCounter<long>("colo.checkpoints.requested", "{request}", "Checkpoint requests sent, by the reason that opened them (repetitions included)");
        _checkpointsCompleted = meter.CreateCounter<long>("colo.checkpoints.completed", "{checkpoint}", "Checkpoints completed, by the channel that completed them");
        _checkpointLatency = meter.CreateHistogram("colo.checkpoint.latency", "s", "Time from a checkpoint request to the checkpoint's completion", advice: latencyAdvice);
        _divergences = meter.CreateCounter<long>("colo.divergences", "{divergence}", "Flows whose replicas' output differed, by kind");
        _peerEvents = meter.CreateCounter<long>("colo.peer.changes", "{event}", "Peer connects and disconnects, by channel");
        _records = meter.CreateCounter<long>("colo.records", "{record}", "Flight-recorder capture pairs written, by kind (divergence, timeout)");
        meter.CreateObservableCounter("colo.records.dropped", ObserveRecordsDropped, "{record}", "Flight records not written, by cause (behind: the writer lagged; error: I/O)");
        _releaseLatency = meter.CreateHistogram("colo.release.latency", "s", "Time from a primary frame's arrival to its release", advice: latencyAdvice);

        meter.CreateObservableCounter("colo.frames.received", ObserveReceived, "{frame}", "Frames received from the replicas, by side");
        meter.CreateObservableCounter("colo.input.bytes", ObserveBytes, "By", "Frame bytes received from the replicas, by side");
        meter.CreateObservableCounter("colo.frames.released", ObserveReleased, "{frame}", "Primary frames released to outdev, by reason");
        meter.CreateObservableCounter("colo.frames.dropped", ObserveDropped, "{frame}", "Frames dropped, by side and reason");
        meter.CreateObservableUpDownCounter("colo.frames.queued", ObserveQueued, "{frame}", "Frames queued in the engines, by side");
        meter.CreateObservableCounter("colo.checkpoint.triggers", ObserveTriggers, "{trigger}", "Checkpoint causes found by the engines, by reason (coalesced into requests)");
        meter.CreateObservableGauge("colo.queue.oldest.age", () => Volatile.Read(ref _oldestQueuedSeconds), "s", "How long the oldest queued primary frame has waited");
        meter.CreateObservableUpDownCounter("colo.peer.connected", ObservePeers, "{peer}", "1 while the channel's peer is connected");
        meter.CreateObservableUpDownCounter("colo.output.buffered", () => _control?.GetTransport().OutdevBufferedBytes ?? 0, "By", "Released bytes waiting for outdev");
        meter.CreateObservableCounter("colo.transport.errors", ObserveTransportErrors, "{error}", "Input connections closed on a protocol error, by channel and kind");
        meter.CreateObservableGauge("colo.state", ObserveState, "", "1 for the proxy's current state (failover: the primary is forwarded uncompared)");
        meter.CreateObservableGauge("colo.build.info", () => new Measurement<long>(1, new KeyValuePair<string, object?>("version", _version)), "", "Always 1; the version label says which build runs");
        meter.CreateObservableCounter("colo.gc.collections", ObserveCollections, "{collection}", "Garbage collections by generation (a steady run shows no gen1/gen2)");
        meter.CreateObservableCounter("colo.gc.allocated", () => GC.GetTotalAllocatedBytes(), "By", "Bytes allocated on the managed heap");
        meter.CreateObservableCounter("process.cpu", () => Environment.CpuUsage.TotalTime.TotalSeconds, "s", "Total user and system CPU time spent");
        meter.CreateObservableGauge("process.resident_memory", () => Environment.WorkingSet, "By", "Resident memory size");
        meter.CreateObservableGauge("process.start_time", ObserveStartTime, "s", "Start time of the process since the Unix epoch");
    }

    /// <summary>The meter holding every instrument (exporters listen to this one, not to any meter of that name).</summary>
    public Meter Meter { get; }

    /// <summary>Connects the observable instruments to the running proxy.</summary>
    public void Observe(IProxyControl control) => _control = control;

    /// <summary>Fetches the values that need the engine workers; call before a collection.</summary>
    public async Task RefreshAsync()
    {
        if (_control is null)
            return;
        TimeSpan oldest = await _control.GetOldestQueuedAgeAsync().ConfigureAwait(false);
        Volatile.Write(ref _oldestQueuedSeconds, oldest.TotalSeconds);
    }

    /// <summary>Connects <c>colo_records_dropped_total</c> to the flight recorder's writer.</summary>
    public void ObserveRecords(Func<(long Behind, long Error)> dropped) => _recordsDropped = dropped;

    public void Recorded(string kind) => _records.Add(1, new KeyValuePair<string, object?>("kind", kind));

    public bool ReleaseLatencyEnabled => _releaseLatency.Enabled;

    public void ReleaseLatency(TimeSpan latency) =>
        _releaseLatency.Record(latency.TotalSeconds);

    /// <summary>A request was sent; the first one since the last completion starts the checkpoint latency clock.</summary>
    public void CheckpointRequested(CheckpointReason reason)
    {
        Interlocked.CompareExchange(ref _requestOpenedTimestamp, _time.GetTimestamp(), 0);
        _checkpointsRequested.Add(1, new KeyValuePair<string, object?>("reason", ReasonNames.Of(reason)));
    }

    /// <summary>A checkpoint completed: counts it and, when one was requested, records how long the request waited.</summary>
    public void CheckpointCompleted(string channel)
    {
        var tag = new KeyValuePair<string, object?>("channel", channel);
        _checkpointsCompleted.Add(1, tag);
        long opened = Interlocked.Exchange(ref _requestOpenedTimestamp, 0);
        if (opened != 0)
            _checkpointLatency.Record(_time.GetElapsedTime(opened).TotalSeconds, tag);
    }

    public void Diverged(DivergenceKind kind) =>
        _divergences.Add(1, new KeyValuePair<string, object?>("kind", ReasonNames.Of(kind)));

    public void PeerChanged(string channel, bool connected) =>
        _peerEvents.Add(1, new KeyValuePair<string, object?>("channel", channel), new KeyValuePair<string, object?>("connected", connected ? "true" : "false"));

    private static KeyValuePair<string, object?> SideTag(Side side) => new("side", side == Side.Primary ? "primary" : "secondary");

    private IEnumerable<Measurement<long>> ObserveReceived()
    {
        if (_control?.ReadCounters() is not { } c)
            yield break;
        yield return new Measurement<long>(c.PrimaryReceived, SideTag(Side.Primary));
        yield return new Measurement<long>(c.SecondaryReceived, SideTag(Side.Secondary));
    }

    private IEnumerable<Measurement<long>> ObserveBytes()
    {
        if (_control?.ReadCounters() is not { } c)
            yield break;
        yield return new Measurement<long>(c.PrimaryBytesReceived, SideTag(Side.Primary));
        yield return new Measurement<long>(c.SecondaryBytesReceived, SideTag(Side.Secondary));
    }

    private IEnumerable<Measurement<long>> ObserveQueued()
    {
        if (_control?.ReadCounters() is not { } c)
            yield break;
        yield return new Measurement<long>(c.PrimaryQueued, SideTag(Side.Primary));
        yield return new Measurement<long>(c.SecondaryQueued, SideTag(Side.Secondary));
    }

    private IEnumerable<Measurement<long>> ObserveReleased()
    {
        if (_control?.ReadCounters() is not { } c)
            yield break;
        foreach (ReleaseReason reason in Enum.GetValues<ReleaseReason>())
            yield return new Measurement<long>(c.Released(reason), new KeyValuePair<string, object?>("reason", ReasonNames.Of(reason)));
    }

    private IEnumerable<Measurement<long>> ObserveDropped()
    {
        if (_control?.ReadCounters() is not { } c)
            yield break;
        foreach (Side side in (Side[])[Side.Primary, Side.Secondary])
        {
            foreach (DropReason reason in Enum.GetValues<DropReason>())
                yield return new Measurement<long>(c.Dropped(side, reason), SideTag(side), new KeyValuePair<string, object?>("reason", ReasonNames.Of(reason)));
        }
    }

    private IEnumerable<Measurement<long>> ObserveTriggers()
    {
        if (_control?.ReadCounters() is not { } c)
            yield break;
        foreach (CheckpointReason reason in Enum.GetValues<CheckpointReason>())
            yield return new Measurement<long>(c.Triggers(reason), new KeyValuePair<string, object?>("reason", ReasonNames.Of(reason)));
    }

    private IEnumerable<Measurement<long>> ObservePeers()
    {
        if (_control is null)
            yield break;
        foreach (KeyValuePair<string, bool> peer in _control.GetStatus().Peers)
            yield return new Measurement<long>(peer.Value ? 1 : 0, new KeyValuePair<string, object?>("channel", peer.Key));
    }

    private IEnumerable<Measurement<long>> ObserveTransportErrors()
    {
        if (_control is null)
            yield break;
        ProxyTransportSnapshot transport = _control.GetTransport();
        foreach ((string channel, InputSnapshot input) in new[] { ("primary_in", transport.PrimaryIn), ("secondary_in", transport.SecondaryIn) })
        {
            yield return new Measurement<long>(input.Oversize, new("channel", channel), new("kind", "oversize"));
            yield return new Measurement<long>(input.ClosedMidFrame, new("channel", channel), new("kind", "closed_mid_frame"));
            yield return new Measurement<long>(input.VnetMismatch, new("channel", channel), new("kind", "vnet_mismatch"));
        }
    }

    private IEnumerable<Measurement<long>> ObserveRecordsDropped()
    {
        if (_recordsDropped?.Invoke() is not { } dropped)
            yield break;
        yield return new Measurement<long>(dropped.Behind, new KeyValuePair<string, object?>("cause", "behind"));
        yield return new Measurement<long>(dropped.Error, new KeyValuePair<string, object?>("cause", "error"));
    }

    private IEnumerable<Measurement<long>> ObserveState()
    {
        if (_control is null)
            yield break;
        string state = _control.GetStatus().State;
        foreach (string name in States)
            yield return new Measurement<long>(name == state ? 1 : 0, new KeyValuePair<string, object?>("state", name));
    }

    private static IEnumerable<Measurement<long>> ObserveCollections()
    {
        for (int generation = 0; generation <= 2; generation++)
            yield return new Measurement<long>(GC.CollectionCount(generation), new KeyValuePair<string, object?>("generation", generation.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    private static double ObserveStartTime()
    {
        using var process = Process.GetCurrentProcess();
        return (process.StartTime.ToUniversalTime() - DateTime.UnixEpoch).TotalSeconds;
    }

    public static string Tag(ReleaseReason value) => ReasonNames.Of(value);

    public static string Tag(DropReason value) => ReasonNames.Of(value);

    public static string Tag(CheckpointReason value) => ReasonNames.Of(value);

    public static string Tag(DivergenceKind value) => ReasonNames.Of(value);
}
