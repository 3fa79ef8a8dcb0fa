using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Colo.Packets.Frames;

/// <summary>
/// Parses a guest frame (optional virtio-net header, Ethernet II, up to two VLAN tags, IPv4 or IPv6, TCP/UDP/ICMP)
/// into a <see cref="PacketInfo"/> of validated offsets. Allocation-free; malformed input yields a
/// <see cref="ParseStatus"/>, never an exception or an out-of-range read.
/// </summary>
public static class FrameParser
{
    // Ethernet II (IEEE 802.3): dst MAC(6) src MAC(6) EtherType(2).
    public const int EthernetHeaderLength = 14;
    private const int EtherTypeOffset = 12;

    // 802.1Q / 802.1ad tag: TCI(2) inner EtherType(2), following the outer EtherType.
    public const int VlanTagLength = 4;
    public const ushort EtherTypeIpv4 = 0x0800;
    public const ushort EtherTypeIpv6 = 0x86DD;
    public const ushort EtherTypeVlan = 0x8100;
    public const ushort EtherTypeQinQ = 0x88A8;
    public const ushort EtherTypeArp = 0x0806;
    private const int MaxVlanTags = 2;

    //  0                   1                   2                   3
    //  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |Version|  IHL  |Type of Service|          Total Length         |
    // |         Identification        |Flags|      Fragment Offset    |
    // |  Time to Live |    Protocol   |         Header Checksum       |
    // |                       Source Address                          |
    // |                    Destination Address                        |   (RFC 791)
    public const int Ipv4MinHeaderLength = 20;
    private const int Ipv4TotalLengthOffset = 2;
    private const int Ipv4IdentificationOffset = 4;
    private const int Ipv4FlagsFragmentOffset = 6;
    private const int Ipv4TtlOffset = 8;
    private const int Ipv4ProtocolOffset = 9;
    private const int Ipv4SourceOffset = 12;
    private const int Ipv4DestinationOffset = 16;
    private const ushort Ipv4MoreFragmentsFlag = 0x2000;
    private const ushort Ipv4FragmentOffsetMask = 0x1FFF;

    // |Version| Traffic Class |           Flow Label                  |
    // |         Payload Length        |  Next Header  |   Hop Limit   |
    // |                 Source Address (16)  Destination Address (16) |   (RFC 8200)
    public const int Ipv6HeaderLength = 40;
    private const int Ipv6PayloadLengthOffset = 4;
    private const int Ipv6NextHeaderOffset = 6;
    private const int Ipv6HopLimitOffset = 7;
    private const int Ipv6SourceOffset = 8;
    private const int Ipv6DestinationOffset = 24;
    private const int Ipv6FragmentHeaderLength = 8;
    private const int MaxExtensionHeaders = 8;

    // | Source Port | Destination Port | Sequence Number | Acknowledgment Number |
    // | Data Offset(4) Rsrvd(4) | Flags(8) | Window | Checksum | Urgent Pointer |  (RFC 9293)
    public const int TcpMinHeaderLength = 20;
    private const int TcpSequenceOffset = 4;
    private const int TcpAcknowledgmentOffset = 8;
    private const int TcpDataOffsetOffset = 12;
    private const int TcpFlagsOffset = 13;
    private const int TcpWindowOffset = 14;

    // | Source Port | Destination Port | Length | Checksum |  (RFC 768)
    public const int UdpHeaderLength = 8;
    private const int UdpLengthOffset = 4;

    // | Type | Code | Checksum | rest of header (echo: Identifier, Sequence) |  (RFC 792, RFC 4443)
    public const int IcmpMinHeaderLength = 4;
    private const int IcmpEchoIdentifierOffset = 4;

    /// <summary>Parses <paramref name="frame"/>, whose Ethernet header starts at <paramref name="vnetHeaderLength"/>.</summary>
    public static ParseStatus TryParse(ReadOnlySpan<byte> frame, int vnetHeaderLength, out PacketInfo info)
    {
        info = default;
        // Written so that no sum can overflow, whatever the caller passes as the header length.
        if ((uint)vnetHeaderLength > (uint)frame.Length || frame.Length - vnetHeaderLength < EthernetHeaderLength)
            return ParseStatus.TruncatedEthernet;

        info.EthernetOffset = vnetHeaderLength;
        int offset = vnetHeaderLength + EtherTypeOffset;
        ushort etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset, 2));
        offset += 2;

        // Bounded walk over stacked VLAN tags: outer first.
        while (etherType is EtherTypeVlan or EtherTypeQinQ)
        {
            if (info.VlanCount == MaxVlanTags)
                return ParseStatus.TooManyVlanTags;
            if (frame.Length < offset + VlanTagLength)
                return ParseStatus.TruncatedVlanTag;
            ushort vlanId = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset, 2)) & 0x0FFF);
            if (info.VlanCount == 0)
                info.OuterVlanId = vlanId;
            else
                info.InnerVlanId = vlanId;
            info.VlanCount++;
            etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(offset + 2, 2));
            offset += VlanTagLength;
        }

        info.EtherType = etherType;
        info.NetworkOffset = offset;
        return etherType switch
        {
            EtherTypeIpv4 => ParseIpv4(frame, offset, ref info),
            EtherTypeIpv6 => ParseIpv6(frame, offset, ref info),
            _ => ParseStatus.NotIp,
        };
    }

    private static ParseStatus ParseIpv4(ReadOnlySpan<byte> frame, int offset, ref PacketInfo info)
    {
        if (frame.Length - offset < Ipv4MinHeaderLength)
            return ParseStatus.TruncatedIpHeader;
        ReadOnlySpan<byte> ip = frame[offset..];
        if (ip[0] >> 4 != 4)
            return ParseStatus.BadIpVersion;
        int headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < Ipv4MinHeaderLength || headerLength > ip.Length)
            return ParseStatus.BadIpHeaderLength;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(Ipv4TotalLengthOffset, 2));
        if (totalLength < headerLength || totalLength > ip.Length)
            return ParseStatus.BadIpTotalLength;

        info.IpVersion = 4;
        info.NetworkHeaderLength = headerLength;
        info.NetworkEnd = offset + totalLength;
        info.SourceAddressOffset = offset + Ipv4SourceOffset;
        info.DestinationAddressOffset = offset + Ipv4DestinationOffset;
        info.HopLimit = ip[Ipv4TtlOffset];
        info.Protocol = ip[Ipv4ProtocolOffset];

        ushort flagsFragment = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(Ipv4FlagsFragmentOffset, 2));
        info.FragmentOffset = (flagsFragment & Ipv4FragmentOffsetMask) * 8;
        info.MoreFragments = (flagsFragment & Ipv4MoreFragmentsFlag) != 0;
        info.IsFragment = info.MoreFragments || info.FragmentOffset != 0;
        info.FragmentId = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(Ipv4IdentificationOffset, 2));

        return ParseTransport(frame, offset + headerLength, ref info);
    }

    private static ParseStatus ParseIpv6(ReadOnlySpan<byte> frame, int offset, ref PacketInfo info)
    {
        if (frame.Length - offset < Ipv6HeaderLength)
            return ParseStatus.TruncatedIpHeader;
        ReadOnlySpan<byte> ip = frame[offset..];
        if (ip[0] >> 4 != 6)
            return ParseStatus.BadIpVersion;
        int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(Ipv6PayloadLengthOffset, 2));
        // A zero payload length means a jumbogram (RFC 2675), which never crosses a guest NIC: treat as malformed.
        if (Ipv6HeaderLength + payloadLength > ip.Length)
            return ParseStatus.BadIpTotalLength;

        info.IpVersion = 6;
        info.NetworkEnd = offset + Ipv6HeaderLength + payloadLength;
        info.SourceAddressOffset = offset + Ipv6SourceOffset;
        info.DestinationAddressOffset = offset + Ipv6DestinationOffset;
        info.HopLimit = ip[Ipv6HopLimitOffset];

        byte next = ip[Ipv6NextHeaderOffset];
        int cursor = offset + Ipv6HeaderLength;
        for (int walked = 0; ; walked++)
        {
            if (next is not (IpProtocol.HopByHop or IpProtocol.Ipv6Routing or IpProtocol.Ipv6DestinationOptions
                or IpProtocol.Ipv6Fragment))
                break;
            if (walked == MaxExtensionHeaders)
                return ParseStatus.TooManyExtensionHeaders;
            if (info.NetworkEnd - cursor < 8)
                return ParseStatus.BadExtensionHeader;
            int length;
            if (next == IpProtocol.Ipv6Fragment)
            {
                // | Next Header | Reserved | Fragment Offset(13) Res(2) M(1) | Identification(32) |
                ushort offsetFlags = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(cursor + 2, 2));
                info.FragmentOffset = offsetFlags & 0xFFF8;
                info.MoreFragments = (offsetFlags & 1) != 0;
                info.FragmentId = BinaryPrimitives.ReadUInt32BigEndian(frame.Slice(cursor + 4, 4));
                info.IsFragment = info.MoreFragments || info.FragmentOffset != 0;
                length = Ipv6FragmentHeaderLength;
            }
            else
            {
                // | Next Header | Hdr Ext Len (8-octet units, not counting the first 8) | ...
                length = (frame[cursor + 1] + 1) * 8;
            }
            if (info.NetworkEnd - cursor < length)
                return ParseStatus.BadExtensionHeader;
            next = frame[cursor];
            cursor += length;
        }

        info.NetworkHeaderLength = cursor - offset;
        info.Protocol = next;
        return ParseTransport(frame, cursor, ref info);
    }

    private static ParseStatus ParseTransport(ReadOnlySpan<byte> frame, int offset, ref PacketInfo info)
    {
        int available = info.NetworkEnd - offset;
        info.TransportOffset = offset;
        info.PayloadOffset = offset;
        info.PayloadLength = available;

        // Non-first fragments carry no transport header; first fragments of a fragmented datagram are compared
        // as raw fragments too (the header alone would be a partial view), so stop here for every fragment.
        if (info.IsFragment)
            return ParseStatus.Ok;

        ReadOnlySpan<byte> l4 = frame.Slice(offset, available);
        switch (info.Protocol)
        {
            case IpProtocol.Tcp:
                {
                    if (available < TcpMinHeaderLength)
                        return ParseStatus.BadTcpHeader;
                    int dataOffset = (l4[TcpDataOffsetOffset] >> 4) * 4;
                    if (dataOffset < TcpMinHeaderLength || dataOffset > available)
                        return ParseStatus.BadTcpHeader;
                    info.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                    info.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                    info.TcpSequence = BinaryPrimitives.ReadUInt32BigEndian(l4[TcpSequenceOffset..]);
                    info.TcpAcknowledgment = BinaryPrimitives.ReadUInt32BigEndian(l4[TcpAcknowledgmentOffset..]);
                    info.TcpFlags = (TcpFlags)l4[TcpFlagsOffset];
                    info.TcpWindow = BinaryPrimitives.ReadUInt16BigEndian(l4[TcpWindowOffset..]);
                    SetTransport(ref info, offset, dataOffset, available);
                    return ParseStatus.Ok;
                }
            case IpProtocol.Udp:
                {
                    if (available < UdpHeaderLength)
                        return ParseStatus.BadUdpHeader;
                    int udpLength = BinaryPrimitives.ReadUInt16BigEndian(l4[UdpLengthOffset..]);
                    if (udpLength < UdpHeaderLength || udpLength > available)
                        return ParseStatus.BadUdpHeader;
                    info.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
                    info.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
                    SetTransport(ref info, offset, UdpHeaderLength, udpLength);
                    return ParseStatus.Ok;
                }
            case IpProtocol.Icmp:
            case IpProtocol.Icmpv6:
                {
                    if (available < IcmpMinHeaderLength)
                        return ParseStatus.BadIcmpHeader;
                    info.IcmpType = l4[0];
                    info.IcmpCode = l4[1];
                    if (IsEcho(info.Protocol, info.IcmpType) && available >= IcmpEchoIdentifierOffset + 2)
                        info.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4[IcmpEchoIdentifierOffset..]);
                    // The whole message is the compared payload (the comparator skips the checksum).
                    info.TransportHeaderLength = IcmpMinHeaderLength;
                    return ParseStatus.Ok;
                }
            default:
                return ParseStatus.Ok;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetTransport(ref PacketInfo info, int offset, int headerLength, int segmentLength)
    {
        info.TransportHeaderLength = headerLength;
        info.PayloadOffset = offset + headerLength;
        info.PayloadLength = segmentLength - headerLength;
    }

    /// <summary>ICMP echo request/reply (8/0) and ICMPv6 echo request/reply (128/129) carry an identifier.</summary>
    public static bool IsEcho(byte protocol, byte type) =>
        protocol == IpProtocol.Icmp ? type is 0 or 8 : protocol == IpProtocol.Icmpv6 && type is 128 or 129;
}
