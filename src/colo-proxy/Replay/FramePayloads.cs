using Colo.Packets.Capture;
using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>
/// Reads the transport payload of a few frames back from a capture by frame number, so the HTML report can show the
/// whole protocol line around a divergence (the engine's context is only 16 bytes each way).
/// </summary>
internal static class FramePayloads
{
    /// <summary>Payload and TCP sequence number of each wanted frame found.</summary>
    public static Dictionary<long, (byte[] Payload, uint Sequence)> Read(string path, IReadOnlyCollection<long> frameNumbers)
    {
        var found = new Dictionary<long, (byte[], uint)>();
        if (frameNumbers.Count == 0)
            return found;
        long last = frameNumbers.Max();
        using CaptureReader reader = CaptureReader.Open(path);
        byte[] buffer = new byte[2048];
        while (reader.TryReadNext(out CaptureRecord record) && record.FrameNumber <= last)
        {
            if (!frameNumbers.Contains(record.FrameNumber))
                continue;
            if (buffer.Length < record.Data.Length + LinkLayer.MaxHeaderGrowth)
                buffer = new byte[record.Data.Length + LinkLayer.MaxHeaderGrowth];
            if (!LinkLayer.TryToEthernet(record.LinkType, record.Data, buffer, out int length)
                || FrameParser.TryParse(buffer.AsSpan(0, length), 0, out PacketInfo info) != ParseStatus.Ok)
                continue;
            found[record.FrameNumber] = (buffer.AsSpan(info.PayloadOffset, info.PayloadLength).ToArray(), info.TcpSequence);
        }
        return found;
    }
}
