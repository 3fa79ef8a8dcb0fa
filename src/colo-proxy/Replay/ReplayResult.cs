using Colo.Compare;

namespace Colo.Cli.Replay;

/// <summary>What a replay found: the divergences (first per flow), checkpoint causes and the accounting.</summary>
internal sealed class ReplayResult
{
    public required IReadOnlyList<Divergence> Divergences { get; init; }
    public required IReadOnlyList<TimeoutRecord> Timeouts { get; init; }
    public required IReadOnlyDictionary<CheckpointReason, long> Checkpoints { get; init; }
    public required EngineCounters Counters { get; init; }
    public required long ReleasedWritten { get; init; }

    /// <summary>Flows still holding frames when the captures ended, most bytes first.</summary>
    public required IReadOnlyList<FlowStatus> StillQueued { get; init; }

    public bool IsDivergent => Divergences.Count > 0;

    public string Verdict => IsDivergent ? "divergent" : "same";
}
