namespace Colo.Cli.Replay;

/// <summary>
/// The frames of each capture that hold a divergence's first differing byte (for a FIN, RST or SYN difference, the
/// segment carrying it); null for a side that has no such frame (its stream ended, or it sent nothing there).
/// </summary>
internal sealed record DivergenceFrames(CapturedFrame? Primary, CapturedFrame? Secondary);
