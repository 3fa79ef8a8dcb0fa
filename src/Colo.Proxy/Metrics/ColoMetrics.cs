using System.Diagnostics.Metrics;
using Colo.Compare;

namespace Colo.Proxy.Metrics;

/// <summary>
/// The proxy's instruments, built from <see cref="IMeterFactory"/> (meter "ColoProxy"). Frame counts are observable
/// counters over the engines' own counters (no cost per frame); rare events are plain counters; the release latency
/// histogram is recorded only while something listens (<see cref="Instrument.Enabled"/>).
/// Tags are bounded: side, reason, kind, channel. Never addresses or ports.
/// </summary>
public sealed class ColoMetrics
{
    public const string MeterName = "ColoProxy";


    private readonly Counter<long> _checkpointsRequested;
    private readonly Counter<long> _checkpointsCompleted;
    private readonly Counter<long> _divergences;
    private readonly Counter<long> _oversize;
    private readonly Counter<long> _records;
    private readonly Counter<long> _peerEvents;
    private readonly Histogram<double> _releaseLatency;
    private Func<EngineCounters>? _counters;
    private Func<IEnumerable<KeyValuePair<string, bool>>>? _peers;
    private Func<long>? _outputBuffered;

    public ColoMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter meter = meterFactory.Create(MeterName);
        _checkpointsRequested = meter.CreateCounter<long>("colo.checkpoints.requested", "{request}", "Checkpoint requests sent (coalesced)");
        _checkpointsCompleted = meter.CreateCounter<long>("colo.checkpoints.completed", "{checkpoint}", "Checkpoints completed");
        _divergences = meter.CreateCounter<long>("colo.divergences", "{divergence}", "Flows whose replicas' output differed");
        _records = meter.CreateCounter<long>("colo.records", "{record}", "Flight-recorder capture pairs written (divergences, timeouts)");
        _oversize = meter.CreateCounter<long>("colo.frames.oversize", "{frame}", "Length words beyond the maximum (connection closed)");
        _peerEvents = meter.CreateCounter<long>("colo.peer.changes", "{event}", "Peer connects and disconnects");
        _releaseLatency = meter.CreateHistogram<double>("colo.release.latency", "s", "Time from a primary frame's arrival to its release");
        meter.CreateObservableCounter("colo.frames.received", ObserveReceived, "{frame}", "Frames received from the replicas");
        meter.CreateObservableCounter("colo.frames.released", ObserveReleased, "{frame}", "Primary frames released to outdev");
        meter.CreateObservableCounter("colo.frames.dropped", ObserveDropped, "{frame}", "Frames dropped");
        meter.CreateObservableUpDownCounter("colo.peer.connected", ObservePeers, "{peer}", "1 while the channel's peer is connected");
        meter.CreateObservableUpDownCounter("colo.output.buffered", () => _outputBuffered?.Invoke() ?? 0, "By", "Released bytes waiting for outdev");
    }

    /// <summary>Connects the observable instruments to the running proxy.</summary>
    public void Observe(Func<EngineCounters> counters, Func<IEnumerable<KeyValuePair<string, bool>>> peers, Func<long> outputBuffered)
    {
        _counters = counters;
        _peers = peers;
        _outputBuffered = outputBuffered;
    }

    public bool ReleaseLatencyEnabled => _releaseLatency.Enabled;

    public void ReleaseLatency(TimeSpan latency) =>
        _releaseLatency.Record(latency.TotalSeconds);

    public void CheckpointRequested(CheckpointReason reason) =>
        _checkpointsRequested.Add(1, new KeyValuePair<string, object?>("reason", ReasonNames.Of(reason)));

    public void CheckpointCompleted(string channel) =>
        _checkpointsCompleted.Add(1, new KeyValuePair<string, object?>("channel", channel));

    public void Diverged(DivergenceKind kind) =>
        _divergences.Add(1, new KeyValuePair<string, object?>("kind", ReasonNames.Of(kind)));

    public void Recorded(string kind)
    {
        _records.Add(1, new KeyValuePair<string, object?>("kind", kind));
        Interlocked.Increment(ref kind == "divergence" ? ref _recordedDivergences : ref _recordedTimeouts);
    }

    private long _recordedDivergences;
    private long _recordedTimeouts;

    public long RecordedDivergences => Interlocked.Read(ref _recordedDivergences);

    public long RecordedTimeouts => Interlocked.Read(ref _recordedTimeouts);

    public void Oversize(string channel) =>
        _oversize.Add(1, new KeyValuePair<string, object?>("channel", channel));

    public void PeerChanged(string channel, bool connected) =>
        _peerEvents.Add(1, new KeyValuePair<string, object?>("channel", channel), new KeyValuePair<string, object?>("connected", connected));

    private IEnumerable<Measurement<long>> ObserveReceived()
    {
        if (_counters?.Invoke() is not { } c)
            yield break;
        yield return new Measurement<long>(c.PrimaryReceived, new KeyValuePair<string, object?>("side", "primary"));
        yield return new Measurement<long>(c.SecondaryReceived, new KeyValuePair<string, object?>("side", "secondary"));
    }

    private IEnumerable<Measurement<long>> ObserveReleased()
    {
        if (_counters?.Invoke() is not { } c)
            yield break;
        foreach (ReleaseReason reason in Enum.GetValues<ReleaseReason>())
            yield return new Measurement<long>(c.Released(reason), new KeyValuePair<string, object?>("reason", ReasonNames.Of(reason)));
    }

    private IEnumerable<Measurement<long>> ObserveDropped()
    {
        if (_counters?.Invoke() is not { } c)
            yield break;
        foreach (Side side in (Side[])[Side.Primary, Side.Secondary])
        {
            foreach (DropReason reason in Enum.GetValues<DropReason>())
            {
                yield return new Measurement<long>(c.Dropped(side, reason),
                    new KeyValuePair<string, object?>("side", side == Side.Primary ? "primary" : "secondary"),
                    new KeyValuePair<string, object?>("reason", ReasonNames.Of(reason)));
            }
        }
    }

    private IEnumerable<Measurement<long>> ObservePeers()
    {
        if (_peers is null)
            yield break;
        foreach (KeyValuePair<string, bool> peer in _peers())
            yield return new Measurement<long>(peer.Value ? 1 : 0, new KeyValuePair<string, object?>("channel", peer.Key));
    }

    public static string Tag(ReleaseReason value) => ReasonNames.Of(value);

    public static string Tag(DropReason value) => ReasonNames.Of(value);

    public static string Tag(CheckpointReason value) => ReasonNames.Of(value);

    public static string Tag(DivergenceKind value) => ReasonNames.Of(value);
}
