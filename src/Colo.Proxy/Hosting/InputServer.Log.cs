using Microsoft.Extensions.Logging;

namespace Colo.Proxy.Hosting;

internal sealed partial class InputServer
{
    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "{Endpoint}: frame length {Length} from {Remote} exceeds the maximum of {Max} bytes; closing the connection (a new one is accepted or made)")]
    private static partial void LogOversize(ILogger logger, string endpoint, string remote, uint length, int max);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "{Endpoint}: {Remote} closed in the middle of a frame; the partial frame was discarded")]
    private static partial void LogClosedMidFrame(ILogger logger, string endpoint, string remote);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Information, Message = "{Endpoint}: ignored {Count} zero-length frames on the last connection")]
    private static partial void LogEmptyFrames(ILogger logger, string endpoint, long count);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Error, Message = "{Endpoint}: vnet_hdr_len {VnetLength} from {Remote} cannot be a virtio-net header in a {FrameLength}-byte frame: the peer sends no vnet_hdr_len words, so vnet_hdr_support differs between ColoProxy (on) and its peer; closing the connection (set --vnet-hdr-support alike on both ends)")]
    private static partial void LogVnetMismatch(ILogger logger, string endpoint, string remote, int vnetLength, int frameLength);

    [LoggerMessage(EventId = 1109, Level = LogLevel.Error, Message = "{Endpoint}: the first frame from {Remote} began with a vnet_hdr_len-like word: the peer probably has vnet_hdr_support on and ColoProxy has it off (set --vnet-hdr-support alike on both ends)")]
    private static partial void LogPeerSendsVnetWords(ILogger logger, string endpoint, string remote);
}
