using Microsoft.Extensions.Logging;

namespace Colo.Cli.Serve;

internal static partial class ServeLog
{
    [LoggerMessage(EventId = 1901, Level = LogLevel.Critical, Message = "colo-proxy serve could not run: {Message}")]
    public static partial void StartFailed(ILogger logger, string message);

    [LoggerMessage(EventId = 1902, Level = LogLevel.Information, Message = "Settings: {Settings}; checkpoint channels: {Channels}")]
    public static partial void Settings(ILogger logger, string settings, string channels);

    [LoggerMessage(EventId = 3901, Level = LogLevel.Warning, Message = "{Warning}")]
    public static partial void NoCheckpointChannel(ILogger logger, string warning);

    [LoggerMessage(EventId = 1903, Level = LogLevel.Warning, Message = "systemd readiness notification failed: {Message}")]
    public static partial void NotifyFailed(ILogger logger, string message);
}
