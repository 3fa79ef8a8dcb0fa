using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

internal sealed partial class EngineWorker
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Engine worker {Worker}: the engine failed (error {Count}); frames of this batch may be lost")]
    private static partial void LogIngestFailed(ILogger logger, int worker, long count, Exception exception);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Critical, Message = "Engine worker {Worker} stopped after an unexpected error")]
    private static partial void LogWorkerCrashed(ILogger logger, int worker, Exception exception);
}
