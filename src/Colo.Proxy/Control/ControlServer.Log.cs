using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Control;

internal sealed partial class ControlServer
{
    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "control: listening on {Address}")]
    private static partial void LogListening(ILogger logger, string address);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "control: {Max} clients were connected; closed the one idle longest to let a new one in")]
    private static partial void LogClientEvicted(ILogger logger, int max);

    [LoggerMessage(EventId = 1307, Level = LogLevel.Information, Message = "control: closed a client ({Reason})")]
    private static partial void LogClientTimedOut(ILogger logger, string reason);

    [LoggerMessage(EventId = 1303, Level = LogLevel.Error, Message = "control: a session failed")]
    private static partial void LogSessionFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Information, Message = "control: client connected")]
    internal static partial void LogClientConnected(ILogger logger);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "control: a client is too slow; dropped an event")]
    internal static partial void LogEventDropped(ILogger logger);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Information, Message = "control: {Command}")]
    private static partial void LogStateCommand(ILogger logger, string command);

    [LoggerMessage(EventId = 1307, Level = LogLevel.Debug, Message = "control: {Command} ({Suppressed} more since the last line not logged)")]
    private static partial void LogQueryCommand(ILogger logger, string command, long suppressed);

    [LoggerMessage(EventId = 1308, Level = LogLevel.Information, Message = "control: client disconnected")]
    internal static partial void LogClientLeft(ILogger logger);
}
