using System.Buffers.Binary;
using System.IO.Compression;
using Colo.Packets.Capture;
using Colo.Packets.Frames;

namespace Colo.TestSupport.Capture;

/// <summary>
/// Builds the captures users actually have from the shipped Ethernet pairs: the same packets as Linux cooked or raw
/// IP, gzip-compressed, in a pcapng with other interfaces, shifted in time or in sequence space, cut short.
/// </summary>
public static class CaptureRewriter
{
    /// <summary>One packet to write: bytes, link type and time; null drops the packet.</summary>
    public delegate (byte[] Data, LinkType LinkType, long Timestamp)? Rewrite(byte[] ethernet, long timestamp, long frameNumber);

    /// <summary>
    /// Copies capture <paramref name="source"/> to <paramref name="destination"/> (pcap, or pcapng when
    /// <paramref name="pcapng"/> is set; optionally gzip-compressed), each packet passed through <paramref name="rewrite"/>.
    /// </summary>
    public static void Write(string source, string destination, Rewrite rewrite, bool gzip = false, bool pcapng = false)
    {
        using Stream file = File.Create(destination);
        using Stream output = gzip ? new GZipStream(file, CompressionLevel.Fastest) : file;
        using CaptureReader reader = CaptureReader.Open(source);
        CaptureWriter? writer = null;
        try
        {
            while (reader.TryReadNext(out CaptureRecord record))
            {
                if (rewrite(record.Data.ToArray(), record.TimestampNanoseconds, record.FrameNumber) is not { } packet)
                    continue;
                writer ??= CaptureWriter.Create(output, pcapng ? CaptureFileFormat.Pcapng : CaptureFileFormat.Pcap, packet.LinkType, leaveOpen: true);
                if (writer is PcapngWriter multi)
                    multi.Write(packet.Data, packet.Timestamp, packet.LinkType, comment: null);
                else
                    writer.Write(packet.Data, packet.Timestamp);
            }
            writer ??= CaptureWriter.Create(output, CaptureFileFormat.Pcap, LinkType.Ethernet, leaveOpen: true);
        }
        finally
        {
            writer?.Dispose();
        }
    }

    /// <summary>The Ethernet header replaced by a Linux cooked (SLL) header.</summary>
    public static (byte[], LinkType, long)? ToSll(byte[] ethernet, long timestamp, long frameNumber)
    {
        ArgumentNullException.ThrowIfNull(ethernet);
        byte[] sll = [.. LinuxCookedHeaders.Sll(BinaryPrimitives.ReadUInt16BigEndian(ethernet.AsSpan(12)), ethernet.AsSpan(6, 6)),
            .. ethernet.AsSpan(14)];
        return (sll, LinkType.LinuxSll, timestamp);
    }

    /// <summary>The Ethernet header replaced by a Linux cooked v2 (SLL2) header.</summary>
    public static (byte[], LinkType, long)? ToSll2(byte[] ethernet, long timestamp, long frameNumber)
    {
        ArgumentNullException.ThrowIfNull(ethernet);
        byte[] sll2 = [.. LinuxCookedHeaders.Sll2(BinaryPrimitives.ReadUInt16BigEndian(ethernet.AsSpan(12)), ethernet.AsSpan(6, 6), interfaceIndex: 3),
            .. ethernet.AsSpan(14)];
        return (sll2, LinkType.LinuxSll2, timestamp);
    }

    /// <summary>The IP packet alone (LINKTYPE_RAW).</summary>
    public static (byte[], LinkType, long)? ToRawIp(byte[] ethernet, long timestamp, long frameNumber) =>
        (ethernet[14..], LinkType.Raw, timestamp);

    /// <summary>Unchanged.</summary>
    public static (byte[], LinkType, long)? Same(byte[] ethernet, long timestamp, long frameNumber) =>
        (ethernet, LinkType.Ethernet, timestamp);

    /// <summary>
    /// Every TCP sequence number moved by <paramref name="sequenceDelta"/> and acknowledgment number by
    /// <paramref name="acknowledgmentDelta"/>: a replica's own ISN and its own client's, as a capture on the secondary's
    /// tap (before filter-rewriter) of a separate run has them.
    /// </summary>
    public static Rewrite ShiftSequence(uint sequenceDelta, uint acknowledgmentDelta) => (ethernet, timestamp, _) =>
    {
        if (FrameParser.TryParse(ethernet, 0, out PacketInfo info) == ParseStatus.Ok && info.Protocol == IpProtocol.Tcp)
        {
            Span<byte> seq = ethernet.AsSpan(info.TransportOffset + 4, 4);
            BinaryPrimitives.WriteUInt32BigEndian(seq, unchecked(BinaryPrimitives.ReadUInt32BigEndian(seq) + sequenceDelta));
            Span<byte> ack = ethernet.AsSpan(info.TransportOffset + 8, 4);
            BinaryPrimitives.WriteUInt32BigEndian(ack, unchecked(BinaryPrimitives.ReadUInt32BigEndian(ack) + acknowledgmentDelta));
        }
        return (ethernet, LinkType.Ethernet, timestamp);
    };

    /// <summary>
    /// Every TCP sequence number moved by <paramref name="delta"/>, the TCP checksum updated incrementally (RFC 1624)
    /// as a rewriting tool does, so a right checksum stays right.
    /// </summary>
    public static Rewrite ShiftSequenceKeepingChecksum(uint delta) => (data, ts, _) =>
    {
        if (FrameParser.TryParse(data, 0, out PacketInfo info) == ParseStatus.Ok && info.Protocol == IpProtocol.Tcp)
        {
            Span<byte> tcp = data.AsSpan(info.TransportOffset);
            uint old = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
            uint updated = unchecked(old + delta);
            BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], updated);
            uint sum = (ushort)~BinaryPrimitives.ReadUInt16BigEndian(tcp[16..]);
            sum += (uint)(ushort)~(old >> 16) + (ushort)~(old & 0xFFFF) + (updated >> 16) + (updated & 0xFFFF);
            while (sum > 0xFFFF)
                sum = (sum & 0xFFFF) + (sum >> 16);
            BinaryPrimitives.WriteUInt16BigEndian(tcp[16..], (ushort)~sum);
        }
        return (data, LinkType.Ethernet, ts);
    };

    /// <summary>Every timestamp moved by <paramref name="nanoseconds"/>.</summary>
    public static Rewrite ShiftTime(long nanoseconds) => (ethernet, timestamp, _) => (ethernet, LinkType.Ethernet, timestamp + nanoseconds);
}
