namespace Colo.Cli.Replay;

/// <summary>How the comparison of one flow ended, as named in the report.</summary>
internal static class FlowResult
{
    /// <summary>Every primary frame was compared and released.</summary>
    public const string Same = "same";

    /// <summary>The flow diverged (see its divergence).</summary>
    public const string Divergent = "divergent";

    /// <summary>Primary frames were still waiting at the end, or nothing of the flow could be compared.</summary>
    public const string Incomplete = "incomplete";

    /// <summary>The flow is not compared by rule (non-IP, link-local housekeeping): released uncompared.</summary>
    public const string NotCompared = "not_compared";

    /// <summary>Only the secondary capture holds the flow: nothing of the primary waited for it.</summary>
    public const string SecondaryOnly = "secondary_only";
}
