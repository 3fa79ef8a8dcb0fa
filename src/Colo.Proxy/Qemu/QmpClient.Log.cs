using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Qemu;

// Event ids 3100-3119: the QMP connection. 3120-3199: QemuCheckpointChannel.
internal sealed partial class QmpClient
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "QMP {Endpoint}: connected to QEMU {Version}")]
    private static partial void LogGreeting(ILogger logger, string endpoint, string version);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Debug, Message = "QMP command {Command} sent (id {Id})")]
    private static partial void LogCommandSent(ILogger logger, string command, long id);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Debug, Message = "QMP event {Event}")]
    private static partial void LogEventReceived(ILogger logger, string @event);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "QMP {Endpoint}: protocol error: {Reason}")]
    private static partial void LogProtocolError(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "QMP {Endpoint}: connection ended: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "QMP {Endpoint}: reply matches no request ({Reply}); ignored")]
    private static partial void LogUnmatchedReply(ILogger logger, string endpoint, string reply);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Debug, Message = "QMP {Endpoint}: message that is neither event, reply nor greeting; ignored")]
    private static partial void LogUnknownMessage(ILogger logger, string endpoint);
}
