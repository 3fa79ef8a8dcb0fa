namespace Colo.Proxy.Hosting;

/// <summary>Transport counters of one input channel (written by its connection task, read by anyone).</summary>
internal sealed class InputStats
{
    public long Oversize;
    public long VnetMismatch;
    public long ClosedMidFrame;
    public long EmptyFrames;
    public long Frames;
}
