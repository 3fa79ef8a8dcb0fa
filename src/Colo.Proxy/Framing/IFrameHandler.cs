namespace Colo.Proxy.Framing;

/// <summary>
/// Receives frames from <see cref="FrameReader"/>, one read at a time and on the reading thread:
/// <see cref="OnReadStarted"/>, then <see cref="OnFrame"/> for each complete frame the read finished, then
/// <see cref="OnReadCompletedAsync"/>, also when the read ends the connection (the blocking loop even when a handler
/// call throws), so a handler driven by <see cref="FrameReader.RunBlocking"/> may hold a lock from the first call of a
/// read to its last. The span is valid only during the call.
/// </summary>
public interface IFrameHandler
{
    /// <summary>Bytes were received; the frames they complete follow.</summary>
    void OnReadStarted();

    /// <summary>One complete frame (never empty: zero-length frames are counted and skipped by the reader).</summary>
    void OnFrame(ReadOnlySpan<byte> frame, int vnetHeaderLength);

    /// <summary>The bytes of one read were all handled: a good moment to hand a batch on. May wait (backpressure).</summary>
    ValueTask OnReadCompletedAsync(CancellationToken cancellationToken);
}
