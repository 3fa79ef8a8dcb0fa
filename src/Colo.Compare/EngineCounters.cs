namespace Colo.Compare;

/// <summary>
/// The engine's accounting. Every primary frame is released, queued or dropped:
/// <c>PrimaryReceived == PrimaryReleased + PrimaryQueued + PrimaryDropped</c>; every secondary frame is matched,
/// queued or dropped: <c>SecondaryReceived == SecondaryMatched + SecondaryQueued + SecondaryDropped</c>.
/// Written by the engine's thread only; other threads read a <see cref="Snapshot"/> (values may be a frame apart).
/// </summary>
public sealed class EngineCounters
{
    internal readonly long[] ReleasedBy = new long[Enum.GetValues<ReleaseReason>().Length];
    internal readonly long[] PrimaryDroppedBy = new long[Enum.GetValues<DropReason>().Length];
    internal readonly long[] SecondaryDroppedBy = new long[Enum.GetValues<DropReason>().Length];
    internal readonly long[] TriggersBy = new long[Enum.GetValues<CheckpointReason>().Length];

    public long PrimaryReceived { get; internal set; }
    public long PrimaryQueued { get; internal set; }
    public long SecondaryReceived { get; internal set; }
    public long SecondaryMatched { get; internal set; }
    public long SecondaryQueued { get; internal set; }
    public long PrimaryBytesReceived { get; internal set; }
    public long SecondaryBytesReceived { get; internal set; }
    public long Divergences { get; internal set; }
    public long CheckpointsCompleted { get; internal set; }
    public long MalformedFrames { get; internal set; }
    public long FlowsCreated { get; internal set; }
    public long FlowsEvicted { get; internal set; }

    /// <summary>TCP streams started afresh on a flow: a new connection on the same addresses and ports.</summary>
    public long StreamsRestarted { get; internal set; }

    public long PrimaryReleased => Sum(ReleasedBy);
    public long PrimaryDropped => Sum(PrimaryDroppedBy);
    public long SecondaryDropped => Sum(SecondaryDroppedBy);

    public long Released(ReleaseReason reason) => ReleasedBy[(int)reason];
    public long Dropped(Side side, DropReason reason) =>
        (side == Side.Primary ? PrimaryDroppedBy : SecondaryDroppedBy)[(int)reason];
    public long Triggers(CheckpointReason reason) => TriggersBy[(int)reason];

    /// <summary>True when both accounting identities hold.</summary>
    public bool IsBalanced =>
        PrimaryReceived == PrimaryReleased + PrimaryQueued + PrimaryDropped
        && SecondaryReceived == SecondaryMatched + SecondaryQueued + SecondaryDropped;

    /// <summary>
    /// The host could not deliver the last <paramref name="frames"/> primary frames released: they move from released
    /// to dropped as <see cref="DropReason.Undelivered"/>, so the accounting identity holds with what really left.
    /// Frames leave in release order, so the undelivered ones are the last released: they are taken from the shutdown
    /// release first, then from the other reasons, last declared first (a frame's reason is not kept past the engine).
    /// </summary>
    public void RecordUndelivered(long frames)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frames);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frames, PrimaryReleased);
        PrimaryDroppedBy[(int)DropReason.Undelivered] += frames;
        frames -= Take(ref ReleasedBy[(int)ReleaseReason.Shutdown], frames);
        for (int reason = ReleasedBy.Length - 1; reason >= 0 && frames > 0; reason--)
            frames -= Take(ref ReleasedBy[reason], frames);

        static long Take(ref long count, long wanted)
        {
            long taken = Math.Min(count, wanted);
            count -= taken;
            return taken;
        }
    }

    /// <summary>A copy for other threads and reports.</summary>
    public EngineCounters Snapshot()
    {
        var copy = new EngineCounters();
        copy.Add(this);
        return copy;
    }

    /// <summary>Adds another engine's counters (for sharded engines).</summary>
    public void Add(EngineCounters other)
    {
        PrimaryReceived += other.PrimaryReceived;
        PrimaryQueued += other.PrimaryQueued;
        SecondaryReceived += other.SecondaryReceived;
        SecondaryMatched += other.SecondaryMatched;
        SecondaryQueued += other.SecondaryQueued;
        PrimaryBytesReceived += other.PrimaryBytesReceived;
        SecondaryBytesReceived += other.SecondaryBytesReceived;
        Divergences += other.Divergences;
        CheckpointsCompleted += other.CheckpointsCompleted;
        MalformedFrames += other.MalformedFrames;
        FlowsCreated += other.FlowsCreated;
        FlowsEvicted += other.FlowsEvicted;
        StreamsRestarted += other.StreamsRestarted;
        for (int i = 0; i < ReleasedBy.Length; i++) ReleasedBy[i] += other.ReleasedBy[i];
        for (int i = 0; i < PrimaryDroppedBy.Length; i++) PrimaryDroppedBy[i] += other.PrimaryDroppedBy[i];
        for (int i = 0; i < SecondaryDroppedBy.Length; i++) SecondaryDroppedBy[i] += other.SecondaryDroppedBy[i];
        for (int i = 0; i < TriggersBy.Length; i++) TriggersBy[i] += other.TriggersBy[i];
    }

    private static long Sum(long[] values)
    {
        long total = 0;
        foreach (long v in values)
            total += v;
        return total;
    }
}
