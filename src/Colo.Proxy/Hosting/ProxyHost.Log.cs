using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

public sealed partial class ProxyHost
{
    // 1xxx transport
    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "{Endpoint} has no peer: QEMU's filter-redirector forwards the guest's output UNCOMPARED until it reconnects")]
    private static partial void LogInputLost(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Serving: primary_in {Primary}, secondary_in {Secondary}, outdev {Outdev}; {Workers} worker(s), compare_timeout {CompareTimeoutMs} ms, expired_scan_cycle {ScanCycleMs} ms")]
    private static partial void LogStarted(ILogger logger, string primary, string secondary, string outdev, int workers, double compareTimeoutMs, double scanCycleMs);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Shutdown: {Frames} released frames ({Bytes} bytes still buffered) could not be delivered to outdev (connected: {Connected}); counted as dropped (undelivered)")]
    private static partial void LogUndelivered(ILogger logger, long frames, long bytes, bool connected);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Information, Message = "Stopped: primary received {Received}, released {Released}, queued {Queued}, dropped {Dropped} (undelivered {Undelivered}); accounting balanced: {Balanced}")]
    private static partial void LogStopped(ILogger logger, long received, long released, long queued, long dropped, long undelivered, bool balanced);

    // 2xxx comparison
    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Divergence on {Flow}: {What} at stream offset {Offset} (seq {Sequence}); context (differing byte at index {Index}) primary {Primary} secondary {Secondary}")]
    private static partial void LogDivergence(ILogger logger, string flow, string what, long offset, string sequence, int index, string primary, string secondary);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Shutdown: released {Count} queued primary frames to outdev")]
    private static partial void LogShutdownReleased(ILogger logger, long count);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Error, Message = "Shutdown: engine worker {Worker} could not release its frames")]
    private static partial void LogShutdownReleaseFailed(ILogger logger, int worker, Exception exception);

    // 3xxx checkpoint
    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Checkpoint channel {Channel}: {Message}")]
    private static partial void LogChannelError(ILogger logger, string channel, string message);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Error, Message = "A checkpoint or failover command failed")]
    private static partial void LogBackgroundFailed(ILogger logger, Exception exception);
}
