using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Endpoints;

public sealed partial class SocketEndpoint
{
    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "{Endpoint}: listening on {Address}")]
    private static partial void LogListening(ILogger logger, string endpoint, string address);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Information, Message = "{Endpoint}: peer connected ({Remote})")]
    private static partial void LogPeerConnected(ILogger logger, string endpoint, string remote);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "{Endpoint}: peer disconnected ({Remote}); waiting for a new one")]
    private static partial void LogPeerDisconnected(ILogger logger, string endpoint, string remote);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "{Endpoint}: a new peer replaces the connected one")]
    private static partial void LogPeerReplaced(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "{Endpoint}: cannot connect to {Address} ({Error}); retrying every {DelayMs} ms with backoff")]
    private static partial void LogConnectFailed(ILogger logger, string endpoint, string address, string error, double delayMs);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Warning, Message = "{Endpoint}: accept failed ({Error})")]
    private static partial void LogAcceptFailed(ILogger logger, string endpoint, string error);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Information, Message = "Removed stale socket file {Path}")]
    private static partial void LogRemovedStale(ILogger logger, string path);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Left socket file {Path} in place: another process has bound its own socket there since")]
    internal static partial void LogSocketFileNotOurs(ILogger logger, string path);
}
