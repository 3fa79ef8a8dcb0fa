using Colo.Compare;
using Colo.Packets.Capture;
using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>Collects the engine's decisions during a replay and writes released frames in release order.</summary>
internal sealed class ReplaySink : ICompareSink
{
    private readonly CaptureWriter? _writer;
    private readonly List<Divergence> _divergences = [];
    private readonly List<TimeoutRecord> _timeouts = [];
    private readonly Dictionary<CheckpointReason, long> _checkpoints = [];
    private readonly Dictionary<FlowKey, FlowReleases> _releases = [];

    public ReplaySink(CaptureWriter? writer)
    {
        _writer = writer;
        foreach (CheckpointReason reason in Enum.GetValues<CheckpointReason>())
            _checkpoints[reason] = 0;
    }

    /// <summary>Capture time (Unix nanoseconds) of the frame being ingested: the release time of what it frees.</summary>
    public long CurrentTimestampNanoseconds { get; set; }

    public long Written { get; private set; }

    public IReadOnlyList<Divergence> Divergences => _divergences;
    public IReadOnlyList<TimeoutRecord> Timeouts => _timeouts;
    public IReadOnlyDictionary<CheckpointReason, long> Checkpoints => _checkpoints;

    /// <summary>Per flow, what was released (for the per-flow summary).</summary>
    public IReadOnlyDictionary<FlowKey, FlowReleases> Releases => _releases;

    public void Release(ReadOnlySpan<byte> frame, in ReleaseInfo info)
    {
        CountRelease(frame, info);
        if (_writer is null)
            return;
        _writer.Write(frame[info.VnetHeaderLength..], Math.Max(0, CurrentTimestampNanoseconds));
        Written++;
    }

    private void CountRelease(ReadOnlySpan<byte> frame, in ReleaseInfo info)
    {
        if (!_releases.TryGetValue(info.Flow, out FlowReleases? releases))
            _releases[info.Flow] = releases = new FlowReleases();
        if (info.Reason == ReleaseReason.Compared)
        {
            releases.ComparedFrames++;
            if (FrameParser.TryParse(frame, info.VnetHeaderLength, out PacketInfo parsed) == ParseStatus.Ok)
                releases.ComparedBytes += parsed.PayloadLength;
        }
        else if (info.Reason is ReleaseReason.NotCompared or ReleaseReason.Housekeeping or ReleaseReason.Passthrough)
        {
            releases.UncomparedFrames++;
        }
    }

    public void CheckpointTriggered(in CheckpointTrigger trigger)
    {
        _checkpoints[trigger.Reason]++;
        if (trigger.Reason == CheckpointReason.Timeout)
            _timeouts.Add(new TimeoutRecord(trigger.Flow, trigger.Side, trigger.Waited, trigger.Time));
    }

    public void Diverged(Divergence divergence) => _divergences.Add(divergence);
}
