using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

public sealed partial class ProxyHost
{
    // 1xxx transport
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "{Endpoint}: frame length {Length} from {Remote} exceeds the maximum of {Max} bytes; closing the connection (a new one is accepted or made)")]
    private static partial void LogOversize(ILogger logger, string endpoint, string remote, uint length, int max);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "{Endpoint}: {Remote} closed in the middle of a frame; the partial frame was discarded")]
    private static partial void LogClosedMidFrame(ILogger logger, string endpoint, string remote);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "{Endpoint}: ignored {Count} zero-length frames on the last connection")]
    private static partial void LogEmptyFrames(ILogger logger, string endpoint, long count);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Warning, Message = "{Endpoint} has no peer: QEMU's filter-redirector forwards the guest's output UNCOMPARED until it reconnects")]
    private static partial void LogInputLost(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Information, Message = "Serving: primary_in {Primary}, secondary_in {Secondary}, outdev {Outdev}; {Workers} worker(s), compare_timeout {CompareTimeoutMs} ms, expired_scan_cycle {ScanCycleMs} ms")]
    private static partial void LogStarted(ILogger logger, string primary, string secondary, string outdev, int workers, double compareTimeoutMs, double scanCycleMs);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Warning, Message = "Shutdown: {Bytes} released bytes could not be delivered (outdev connected: {Connected})")]
    private static partial void LogUndelivered(ILogger logger, long bytes, bool connected);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Information, Message = "Stopped: primary received {Received}, released {Released}, queued {Queued}, dropped {Dropped}; accounting balanced: {Balanced}")]
    private static partial void LogStopped(ILogger logger, long received, long released, long queued, long dropped, bool balanced);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Error, Message = "{Endpoint}: vnet_hdr_len {VnetLength} from {Remote} cannot be a virtio-net header in a {FrameLength}-byte frame: the peer sends no vnet_hdr_len words, so vnet_hdr_support differs between ColoProxy (on) and its peer; closing the connection (set --vnet-hdr-support alike on both ends)")]
    private static partial void LogVnetMismatch(ILogger logger, string endpoint, string remote, int vnetLength, int frameLength);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Error, Message = "{Endpoint}: the first frame from {Remote} began with a vnet_hdr_len-like word: the peer probably has vnet_hdr_support on and ColoProxy has it off (set --vnet-hdr-support alike on both ends)")]
    private static partial void LogPeerSendsVnetWords(ILogger logger, string endpoint, string remote);

    // 2xxx comparison
    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Divergence on {Flow}: {What} at stream offset {Offset} (seq {Sequence}); context (differing byte at index {Index}) primary {Primary} secondary {Secondary}")]
    private static partial void LogDivergence(ILogger logger, string flow, string what, long offset, string sequence, int index, string primary, string secondary);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Shutdown: released {Count} queued primary frames to outdev")]
    private static partial void LogShutdownReleased(ILogger logger, long count);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Error, Message = "Shutdown: engine worker {Worker} could not release its frames")]
    private static partial void LogShutdownReleaseFailed(ILogger logger, int worker, Exception exception);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Warning, Message = "Failover ({Reason}): released {Count} primary frames; the primary is now forwarded uncompared")]
    private static partial void LogFailover(ILogger logger, string reason, long count);

    // 3xxx checkpoint
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Checkpoint requested: {Reason} (flow {Flow})")]
    private static partial void LogCheckpointRequested(ILogger logger, string reason, string flow);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Checkpoint request repeated (still outstanding: {Reason})")]
    private static partial void LogCheckpointRepeated(ILogger logger, string reason);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Debug, Message = "Checkpoint cause {Reason} on {Flow} coalesced into the outstanding request")]
    private static partial void LogTriggerCoalesced(ILogger logger, string reason, string flow);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Checkpoint completed ({Channel}): released {Count} queued primary frames")]
    private static partial void LogCheckpointCompleted(ILogger logger, string channel, long count);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Checkpoint channel {Channel} has no peer; the request is repeated every expired_scan_cycle")]
    private static partial void LogChannelNotConnected(ILogger logger, string channel);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Error, Message = "Checkpoint channel {Channel} failed to deliver a request")]
    private static partial void LogChannelFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Checkpoint channel {Channel}: {Message}")]
    private static partial void LogChannelError(ILogger logger, string channel, string message);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Error, Message = "A checkpoint or failover command failed")]
    private static partial void LogBackgroundFailed(ILogger logger, Exception exception);
}
