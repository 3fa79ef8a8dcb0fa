namespace Colo.Proxy.Hosting;

/// <summary>One input channel's transport counters at one moment.</summary>
/// <param name="Frames">Frames read.</param>
/// <param name="Oversize">Length words above the maximum (the connection was closed).</param>
/// <param name="ClosedMidFrame">Connections that ended inside a frame (the partial frame was discarded).</param>
/// <param name="EmptyFrames">Zero-length frames ignored.</param>
public sealed record InputSnapshot(long Frames, long Oversize, long ClosedMidFrame, long EmptyFrames, long VnetMismatch = 0)
{
    internal static InputSnapshot Of(InputStats stats) => new(
        Interlocked.Read(ref stats.Frames),
        Interlocked.Read(ref stats.Oversize),
        Interlocked.Read(ref stats.ClosedMidFrame),
        Interlocked.Read(ref stats.EmptyFrames),
        Interlocked.Read(ref stats.VnetMismatch));
}
