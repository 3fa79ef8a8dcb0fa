using Colo.Compare;
using Colo.Packets.Capture;

namespace Colo.Cli.Replay;

/// <summary>Collects the engine's decisions during a replay and writes released frames in release order.</summary>
internal sealed class ReplaySink : ICompareSink
{
    private readonly CaptureWriter? _writer;
    private readonly List<Divergence> _divergences = [];
    private readonly List<TimeoutRecord> _timeouts = [];
    private readonly Dictionary<CheckpointReason, long> _checkpoints = [];

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

    public void Release(ReadOnlySpan<byte> frame, in ReleaseInfo info)
    {
        if (_writer is null)
            return;
        _writer.Write(frame[info.VnetHeaderLength..], CurrentTimestampNanoseconds);
        Written++;
    }

    public void CheckpointTriggered(in CheckpointTrigger trigger)
    {
        _checkpoints[trigger.Reason]++;
        if (trigger.Reason == CheckpointReason.Timeout)
            _timeouts.Add(new TimeoutRecord(trigger.Flow, trigger.Side, trigger.Waited, trigger.Time));
    }

    public void Diverged(Divergence divergence) => _divergences.Add(divergence);
}
