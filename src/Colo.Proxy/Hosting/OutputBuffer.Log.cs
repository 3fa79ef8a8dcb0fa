using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

internal sealed partial class OutputBuffer
{
    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "outdev: the peer went away after {Bytes} bytes of a frame; that frame is sent again whole to the next peer")]
    private static partial void LogPartialFrameResent(ILogger logger, long bytes);
}
