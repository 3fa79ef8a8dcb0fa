using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

internal sealed partial class EngineDriver
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Error, Message = "Engine worker {Worker}: the engine failed on a frame (error {Count}); that frame may be lost, the next frames are compared")]
    private static partial void LogIngestFailed(ILogger logger, int worker, long count, Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "Engine worker {Worker} holds {Bytes} bytes, over its cap of {Cap}: primary input paused until a checkpoint frees memory (a checkpoint was requested)")]
    private static partial void LogPrimaryPaused(ILogger logger, int worker, long bytes, long cap);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Information, Message = "Engine worker {Worker} is below its memory cap again: primary input resumed")]
    private static partial void LogPrimaryResumed(ILogger logger, int worker);
}
