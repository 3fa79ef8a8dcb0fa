using System.Buffers.Binary;

namespace Colo.Differential.Tests.Frames;

/// <summary>
/// Builds guest output frames by hand: Ethernet II (optional 802.1Q/802.1ad tags), IPv4 or IPv6, and TCP, UDP,
/// ICMP/ICMPv6 echo or a raw IP payload (GRE). Checksums are valid. <c>padTo60</c> pads the frame with zeros to the
/// 60-byte Ethernet minimum, as e1000 does.
/// </summary>
internal static class FrameBuilder
{
    public const int EthernetHeaderLength = 14;
    public const int VlanTagLength = 4;
    public const int Ipv4HeaderLength = 20;
    public const int Ipv6HeaderLength = 40;
    public const int TcpHeaderLength = 20;
    public const int TcpTimestampOptionLength = 12;
    public const int UdpHeaderLength = 8;
    public const int IcmpEchoHeaderLength = 8;
    public const int MinimumFrameLength = 60;

    public const byte ProtocolIcmp = 1;
    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;
    public const byte ProtocolGre = 47;
    public const byte ProtocolIcmpv6 = 58;

    private static readonly byte[] GuestMac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    private static readonly byte[] GatewayMac = [0x52, 0x54, 0x00, 0xfe, 0xdc, 0xba];

    public static byte[] Tcp(
        FlowAddress address, ushort sourcePort, ushort destinationPort, uint seq, uint ack, byte flags,
        ReadOnlySpan<byte> payload, ushort ipId, byte ttl, uint? timestamp = null, bool padTo60 = false, ushort window = 64240)
    {
        var optionsLength = timestamp is null ? 0 : TcpTimestampOptionLength;
        var headerLength = TcpHeaderLength + optionsLength;
        var segment = new byte[headerLength + payload.Length];
        //  | Source Port | Destination Port | Sequence Number | Acknowledgment Number |
        //  | Data Offset(4) Rsrvd(4) | Flags(8) | Window | Checksum | Urgent Pointer | options |  (RFC 9293)
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(0), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(8), ack);
        segment[12] = (byte)((headerLength / 4) << 4);
        segment[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(14), window);
        if (timestamp is uint tsVal)
        {
            // NOP, NOP, Timestamps(kind 8, length 10, TSval, TSecr)  (RFC 7323)
            segment[20] = 1;
            segment[21] = 1;
            segment[22] = 8;
            segment[23] = 10;
            BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(24), tsVal);
            BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(28), tsVal ^ 0x5a5a5a5a);
        }

        payload.CopyTo(segment.AsSpan(headerLength));
        return Ip(address, ProtocolTcp, segment, checksumOffset: 16, ipId, ttl, padTo60);
    }

    public static byte[] Udp(
        FlowAddress address, ushort sourcePort, ushort destinationPort, ReadOnlySpan<byte> payload, ushort ipId, byte ttl,
        bool padTo60 = false)
    {
        var datagram = new byte[UdpHeaderLength + payload.Length];
        // | Source Port | Destination Port | Length | Checksum |  (RFC 768)
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(0), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(datagram.AsSpan(4), (ushort)datagram.Length);
        payload.CopyTo(datagram.AsSpan(UdpHeaderLength));
        return Ip(address, ProtocolUdp, datagram, checksumOffset: 6, ipId, ttl, padTo60);
    }

    /// <summary>ICMP (IPv4) or ICMPv6 (IPv6) echo reply.</summary>
    public static byte[] IcmpEchoReply(
        FlowAddress address, ushort identifier, ushort sequence, ReadOnlySpan<byte> payload, ushort ipId, byte ttl,
        bool padTo60 = false)
    {
        var message = new byte[IcmpEchoHeaderLength + payload.Length];
        // | Type | Code | Checksum | Identifier | Sequence Number |  (RFC 792, RFC 4443)
        message[0] = address.IsIpv6 ? (byte)129 : (byte)0;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(4), identifier);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(6), sequence);
        payload.CopyTo(message.AsSpan(IcmpEchoHeaderLength));
        var protocol = address.IsIpv6 ? ProtocolIcmpv6 : ProtocolIcmp;
        return Ip(address, protocol, message, checksumOffset: 2, ipId, ttl, padTo60);
    }

    /// <summary>GRE (RFC 2784, no optional fields) carrying <paramref name="payload"/> as an IPv4 packet.</summary>
    public static byte[] Gre(FlowAddress address, ReadOnlySpan<byte> payload, ushort ipId, byte ttl, bool padTo60 = false)
    {
        var gre = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(gre.AsSpan(2), 0x0800);
        payload.CopyTo(gre.AsSpan(4));
        return Ip(address, ProtocolGre, gre, checksumOffset: -1, ipId, ttl, padTo60);
    }

    private static byte[] Ip(
        FlowAddress address, byte protocol, byte[] l4, int checksumOffset, ushort ipId, byte ttl, bool padTo60)
    {
        var l2Length = EthernetHeaderLength + (VlanTagLength * address.VlanIds.Length);
        var l3Length = address.IsIpv6 ? Ipv6HeaderLength : Ipv4HeaderLength;
        var length = l2Length + l3Length + l4.Length;
        var frame = new byte[padTo60 ? Math.Max(length, MinimumFrameLength) : length];
        var span = frame.AsSpan();

        // Ethernet II: dst MAC, src MAC, [TPID, TCI]*, EtherType.
        GatewayMac.CopyTo(span);
        GuestMac.CopyTo(span[6..]);
        var offset = 12;
        for (var i = 0; i < address.VlanIds.Length; i++)
        {
            var tpid = i == 0 && address.VlanIds.Length == 2 ? (ushort)0x88A8 : (ushort)0x8100;
            BinaryPrimitives.WriteUInt16BigEndian(span[offset..], tpid);
            BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], address.VlanIds[i]);
            offset += VlanTagLength;
        }

        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], address.IsIpv6 ? (ushort)0x86DD : (ushort)0x0800);
        var ip = span.Slice(l2Length, l3Length);
        uint pseudo;
        if (address.IsIpv6)
        {
            // | Version | Traffic Class | Flow Label | Payload Length | Next Header | Hop Limit | Src(16) | Dst(16) |
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)l4.Length);
            ip[6] = protocol;
            ip[7] = ttl;
            address.Source.CopyTo(ip[8..]);
            address.Destination.CopyTo(ip[24..]);
            pseudo = Checksum.Add(0, address.Source) + Checksum.Add(0, address.Destination) + (uint)l4.Length + protocol;
        }
        else
        {
            // | Version/IHL | TOS | Total Length | Identification | Flags/Fragment | TTL | Protocol | Checksum | Src | Dst |
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(Ipv4HeaderLength + l4.Length));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], ipId);
            BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // DF
            ip[8] = ttl;
            ip[9] = protocol;
            address.Source.CopyTo(ip[12..]);
            address.Destination.CopyTo(ip[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum.Fold(Checksum.Add(0, ip)));
            pseudo = Checksum.Add(0, address.Source) + Checksum.Add(0, address.Destination) + (uint)l4.Length + protocol;
        }

        if (checksumOffset >= 0)
        {
            // ICMPv4 has no pseudo-header.
            var sum = protocol == ProtocolIcmp ? Checksum.Add(0, l4) : Checksum.Add(pseudo, l4);
            var value = Checksum.Fold(sum);
            if (protocol == ProtocolUdp && value == 0)
                value = 0xFFFF;
            BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(checksumOffset), value);
        }

        l4.CopyTo(span[(l2Length + l3Length)..]);
        return frame;
    }
}
