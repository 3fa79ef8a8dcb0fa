namespace Colo.Proxy.Framing;

/// <summary>Receives frames from <see cref="FrameReader"/>. The span is valid only during the call.</summary>
public interface IFrameHandler
{
    /// <summary>One complete frame (never empty: zero-length frames are counted and skipped by the reader).</summary>
    void OnFrame(ReadOnlySpan<byte> frame, int vnetHeaderLength);

    /// <summary>The bytes of one read were all handled: a good moment to hand a batch on. May wait (backpressure).</summary>
    ValueTask OnReadCompletedAsync(CancellationToken cancellationToken);
}
