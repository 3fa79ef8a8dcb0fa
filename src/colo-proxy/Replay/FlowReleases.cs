namespace Colo.Cli.Replay;

/// <summary>What the engine released of one flow's primary frames during a replay.</summary>
internal sealed class FlowReleases
{
    /// <summary>Frames released after their bytes were compared equal.</summary>
    public long ComparedFrames { get; set; }

    /// <summary>Transport payload bytes of those frames.</summary>
    public long ComparedBytes { get; set; }

    /// <summary>Frames released without comparison by rule (non-IP, housekeeping, passthrough).</summary>
    public long UncomparedFrames { get; set; }
}
