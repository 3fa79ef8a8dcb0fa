using Microsoft.Extensions.Logging;

namespace Colo.Cli.Serve;

internal static partial class ServeLog
{
    [LoggerMessage(EventId = 1901, Level = LogLevel.Critical, Message = "colo-proxy serve could not run: {Message}")]
    public static partial void StartFailed(ILogger logger, string message);
}
