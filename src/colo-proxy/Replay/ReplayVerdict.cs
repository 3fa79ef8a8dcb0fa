namespace Colo.Cli.Replay;

/// <summary>The verdicts of a replay, with their exit codes in <see cref="ReplayCommand"/>.</summary>
internal static class ReplayVerdict
{
    /// <summary>Everything both captures hold was compared and equal, and no primary frame was left waiting.</summary>
    public const string Same = "same";

    /// <summary>At least one flow diverged.</summary>
    public const string Divergent = "divergent";

    /// <summary>
    /// No divergence, but the replay cannot vouch for the pair: nothing was compared, or primary frames still waited for
    /// the secondary when the captures ended. The report's hints name the likely cause.
    /// </summary>
    public const string Incomplete = "incomplete";
}
