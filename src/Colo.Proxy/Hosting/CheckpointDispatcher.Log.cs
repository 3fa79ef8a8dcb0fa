using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

internal sealed partial class CheckpointDispatcher
{
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
}
