using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

internal sealed partial class EngineWorker
{
    [LoggerMessage(EventId = 2002, Level = LogLevel.Critical, Message = "Engine worker {Worker} stopped after an unexpected error")]
    private static partial void LogWorkerCrashed(ILogger logger, int worker, Exception exception);
}
