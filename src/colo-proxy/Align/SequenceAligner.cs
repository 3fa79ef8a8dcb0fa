using System.Buffers.Binary;
using Colo.Packets.Capture;
using Colo.Packets.Frames;

namespace Colo.Cli.Align;

/// <summary>
/// <c>colo-proxy align</c>: does for a secondary capture taken before filter-rewriter (on the secondary's tap, in its
/// own ISN space) what filter-rewriter would have done, so that replay can compare it: per TCP connection, every
/// secondary sequence number is shifted by the difference of the two guests' ISNs (from their SYN or SYN-ACK), or, for
/// a connection whose handshake neither capture holds, by the offset at which the secondary's first data is found in
/// the primary's. Acknowledgment numbers are left alone: both replicas acknowledge the same client. The TCP checksum
/// is updated incrementally (RFC 1624), so a checksum that was right stays right. Everything else is copied unchanged.
/// </summary>
internal static class SequenceAligner
{
    /// <summary>Bytes of payload the secondary's first data segment must share with a primary segment to place it.</summary>
    private const int PayloadMatchLength = 16;

    public static IReadOnlyList<ConnectionShift> Align(string primaryPath, string secondaryPath, string outputPath)
    {
        Dictionary<FlowKey, FlowSequences> primary = Scan(primaryPath, keepSegments: true);
        Dictionary<FlowKey, FlowSequences> secondary = Scan(secondaryPath, keepSegments: false);
        var shifts = new Dictionary<FlowKey, ConnectionShift>();
        foreach ((FlowKey flow, FlowSequences s) in secondary)
            shifts[flow] = ShiftFor(flow, primary.GetValueOrDefault(flow), s);
        Rewrite(secondaryPath, outputPath, shifts);
        return [.. shifts.Values];
    }

    private static ConnectionShift ShiftFor(FlowKey flow, FlowSequences? primary, FlowSequences secondary)
    {
        if (primary is null)
            return new ConnectionShift(flow, null, "no counterpart in the primary capture");
        if (primary.Isn is { } p && secondary.Isn is { } s)
            return new ConnectionShift(flow, unchecked(p - s), "handshake");
        if (secondary.FirstData is { } first)
        {
            foreach ((uint sequence, byte[] payload) in primary.Segments)
            {
                int at = payload.AsSpan().IndexOf(first.Payload);
                if (at >= 0)
                    return new ConnectionShift(flow, unchecked(sequence + (uint)at - first.Sequence), "payload");
            }
        }
        return new ConnectionShift(flow, null, "no handshake, and the secondary's first data is not in the primary capture");
    }

    private static Dictionary<FlowKey, FlowSequences> Scan(string path, bool keepSegments)
    {
        var flows = new Dictionary<FlowKey, FlowSequences>();
        using CaptureReader reader = CaptureReader.Open(path);
        byte[] buffer = new byte[2048];
        while (reader.TryReadNext(out CaptureRecord record))
        {
            if (!TryTcp(record, ref buffer, out ReadOnlySpan<byte> frame, out PacketInfo info))
                continue;
            FlowKey key = FlowKey.From(frame, info);
            if (!flows.TryGetValue(key, out FlowSequences? sequences))
                flows[key] = sequences = new FlowSequences();
            if ((info.TcpFlags & TcpFlags.Syn) != 0)
                sequences.Isn ??= info.TcpSequence;
            ReadOnlySpan<byte> payload = frame.Slice(info.PayloadOffset, info.PayloadLength);
            if (keepSegments && payload.Length > 0)
                sequences.Segments.Add((info.TcpSequence, payload.ToArray()));
            if (sequences.FirstData is null && payload.Length >= PayloadMatchLength)
                sequences.FirstData = (info.TcpSequence, payload[..PayloadMatchLength].ToArray());
        }
        return flows;
    }

    private static void Rewrite(string source, string destination, Dictionary<FlowKey, ConnectionShift> shifts)
    {
        using CaptureReader reader = CaptureReader.Open(source);
        bool pcapng = destination.EndsWith(".pcapng", StringComparison.OrdinalIgnoreCase);
        CaptureWriter? writer = null;
        byte[] buffer = new byte[2048];
        try
        {
            while (reader.TryReadNext(out CaptureRecord record))
            {
                byte[] packet = record.Data.ToArray();
                if (TryTcp(record, ref buffer, out ReadOnlySpan<byte> frame, out PacketInfo info)
                    && shifts.GetValueOrDefault(FlowKey.From(frame, info)) is { Delta: { } delta })
                {
                    // The converted frame has a 14-byte Ethernet header where the record had its own link header.
                    int linkDelta = packet.Length - (frame.Length - FrameParser.EthernetHeaderLength) - FrameParser.EthernetHeaderLength;
                    Shift(packet.AsSpan(info.TransportOffset + linkDelta), delta);
                }
                writer ??= pcapng
                    ? PcapngWriter.CreateFile(destination, record.LinkType)
                    : CaptureWriter.Create(destination, record.LinkType);
                if (writer is PcapngWriter multi)
                    multi.Write(packet, record.TimestampNanoseconds, record.LinkType, comment: null, Math.Max(record.OriginalLength, packet.Length));
                else if (record.LinkType == writer.LinkType)
                    writer.Write(packet, record.TimestampNanoseconds, Math.Max(record.OriginalLength, packet.Length));
                else
                    throw new CaptureFormatException(source, reader.Position, $"link type {(uint)record.LinkType} after {(uint)writer.LinkType}", "a pcap file holds one link type: write .pcapng");
            }
            writer ??= CaptureWriter.Create(destination, LinkType.Ethernet);
        }
        finally
        {
            writer?.Dispose();
        }
    }

    // TCP header: | Source Port | Destination Port | Sequence Number (4..8) | ... | Checksum (16..18) | (RFC 9293)
    private const int SequenceOffset = 4;
    private const int ChecksumOffset = 16;

    /// <summary>Adds <paramref name="delta"/> to the segment's sequence number and updates its checksum (RFC 1624: HC' = ~(~HC + ~m + m')).</summary>
    private static void Shift(Span<byte> tcp, uint delta)
    {
        uint old = BinaryPrimitives.ReadUInt32BigEndian(tcp[SequenceOffset..]);
        uint updated = unchecked(old + delta);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[SequenceOffset..], updated);
        if (tcp.Length < ChecksumOffset + 2)
            return;
        uint sum = (ushort)~BinaryPrimitives.ReadUInt16BigEndian(tcp[ChecksumOffset..]);
        sum += (uint)(ushort)~(old >> 16) + (ushort)~(old & 0xFFFF) + (updated >> 16) + (updated & 0xFFFF);
        while (sum > 0xFFFF)
            sum = (sum & 0xFFFF) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[ChecksumOffset..], (ushort)~sum);
    }

    private static bool TryTcp(in CaptureRecord record, ref byte[] buffer, out ReadOnlySpan<byte> frame, out PacketInfo info)
    {
        frame = default;
        info = default;
        if (buffer.Length < record.Data.Length + LinkLayer.MaxHeaderGrowth)
            buffer = new byte[record.Data.Length + LinkLayer.MaxHeaderGrowth];
        if (!LinkLayer.TryToEthernet(record.LinkType, record.Data, buffer, out int length))
            return false;
        frame = buffer.AsSpan(0, length);
        return FrameParser.TryParse(frame, 0, out info) == ParseStatus.Ok && info.Protocol == IpProtocol.Tcp && !info.IsFragment
            && info.HasTransportHeader;
    }

    /// <summary>What one capture says about a connection's sequence numbers.</summary>
    private sealed class FlowSequences
    {
        public uint? Isn { get; set; }

        public (uint Sequence, byte[] Payload)? FirstData { get; set; }

        public List<(uint Sequence, byte[] Payload)> Segments { get; } = [];
    }
}
