using Colo.Compare;

namespace Colo.Cli.Replay;

/// <summary>What a replay found: the verdict, the divergences (first per flow) and their frames, per-flow results,
/// checkpoint causes, the accounting and hints at why a pair could not be judged.</summary>
internal sealed class ReplayResult
{
    /// <summary>One of the <see cref="ReplayVerdict"/> names.</summary>
    public required string Verdict { get; init; }

    public required IReadOnlyList<Divergence> Divergences { get; init; }

    /// <summary>For each of <see cref="Divergences"/>, at the same index, the frames holding its first differing byte.</summary>
    public required IReadOnlyList<DivergenceFrames> DivergenceFrames { get; init; }

    public required IReadOnlyList<TimeoutRecord> Timeouts { get; init; }
    public required IReadOnlyDictionary<CheckpointReason, long> Checkpoints { get; init; }
    public required EngineCounters Counters { get; init; }
    public required long ReleasedWritten { get; init; }

    /// <summary>Flows still holding frames when the captures ended, most bytes first (at most 20).</summary>
    public required IReadOnlyList<FlowStatus> StillQueued { get; init; }

    /// <summary>Every flow of either capture, in the order first seen.</summary>
    public required IReadOnlyList<FlowSummary> Flows { get; init; }

    public required CaptureSummary Primary { get; init; }
    public required CaptureSummary Secondary { get; init; }

    /// <summary>Replay clock zero: the first frame's time (Unix nanoseconds, secondary offset applied).</summary>
    public required long OriginNanoseconds { get; init; }

    public required TimeSpan SecondaryTimeOffset { get; init; }

    /// <summary>Queue depth over the replay, for the timeline.</summary>
    public required IReadOnlyList<QueueSample> QueueSamples { get; init; }

    /// <summary>Replay-clock time of every frame given to the engine, per side (the timeline).</summary>
    public required IReadOnlyList<TimeSpan> PrimaryFrameTimes { get; init; }

    public required IReadOnlyList<TimeSpan> SecondaryFrameTimes { get; init; }

    /// <summary>Likely causes when the verdict is <c>incomplete</c>, and other things worth knowing about the inputs.</summary>
    public required IReadOnlyList<string> Hints { get; init; }

    /// <summary>Files written by <c>--extract</c>.</summary>
    public IReadOnlyList<string> ExtractedFiles { get; set; } = [];

    public bool IsDivergent => Verdict == ReplayVerdict.Divergent;
}
