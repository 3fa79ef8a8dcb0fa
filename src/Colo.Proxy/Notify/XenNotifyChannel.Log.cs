using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Notify;

public sealed partial class XenNotifyChannel
{
    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "notify_dev: sent DO_CHECKPOINT ({Reason})")]
    private static partial void LogSentDoCheckpoint(ILogger logger, string reason);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "notify_dev: COLO_CHECKPOINT received: checkpoint completed")]
    private static partial void LogCheckpointDone(ILogger logger);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Information, Message = "notify_dev: COLO_USERSPACE_PROXY_INIT received; replied COLO_COMPARE_GET_XEN_INIT")]
    private static partial void LogHandshake(ILogger logger);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Debug, Message = "notify_dev: unsupported instruction '{Text}' ({Length} bytes) ignored ({Suppressed} more since the last line not logged)")]
    private static partial void LogUnsupported(ILogger logger, string text, int length, long suppressed);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "notify_dev: message length {Length} exceeds 4096 bytes; closing the connection")]
    private static partial void LogOversize(ILogger logger, uint length);
}
