using System.Buffers.Binary;
using Colo.Packets.Frames;

namespace Colo.TestSupport.Frames;

/// <summary>
/// Builds well-formed guest frames by hand: an optional zeroed virtio-net header, Ethernet II (MACs
/// <see cref="FrameLayers.SourceMac"/> to <see cref="FrameLayers.DestinationMac"/>, optional 802.1Q/802.1ad tags from
/// the <see cref="FlowAddress"/>), IPv4 (DF set) or IPv6, and TCP, UDP, ICMP/ICMPv6, IGMP, GRE or any IP payload.
/// Checksums are valid unless a test passes its own (a replica may differ in them); <c>padTo</c> zero-pads the frame
/// to a minimum length, as e1000 pads to <see cref="MinimumFrameLength"/>.
/// Defaults describe the guest's side of one TCP connection (port 80 to 40000 on <see cref="FlowAddress.Ipv4"/>), so
/// a test names only the fields it is about; every header field a replica may vary in is a parameter.
/// </summary>
public static class FrameBuilder
{
    public const int EthernetHeaderLength = 14;
    public const int VlanTagLength = 4;
    public const int Ipv4HeaderLength = 20;
    public const int Ipv6HeaderLength = 40;
    public const int TcpHeaderLength = 20;
    public const int TcpTimestampOptionLength = 12;
    public const int UdpHeaderLength = 8;
    public const int IcmpEchoHeaderLength = 8;

    /// <summary>The Ethernet minimum without FCS; shorter frames are padded with zeros by the NIC.</summary>
    public const int MinimumFrameLength = 60;

    /// <summary>Where the TCP sequence number sits in an untagged IPv4 frame without vnet header or IP options.</summary>
    public const int Ipv4TcpSequenceOffset = EthernetHeaderLength + Ipv4HeaderLength + 4;

    /// <summary>LLDP, a non-IP EtherType guests really send.</summary>
    public const ushort EtherTypeLldp = 0x88CC;

    /// <summary>IEEE 802 local experimental EtherType 1: a non-IP frame no stack interprets.</summary>
    public const ushort EtherTypeLocalExperimental = 0x88B5;

    /// <summary>IPv4 flags/fragment field with only DF set, as Linux sends TCP and most UDP.</summary>
    public const ushort DontFragment = 0x4000;

    /// <summary>
    /// A TCP segment. The acknowledgment field is written only when <paramref name="flags"/> has ACK (zero otherwise,
    /// as a stack sends it); <paramref name="options"/> are zero-padded to a multiple of 4 bytes.
    /// </summary>
    public static byte[] Tcp(uint sequence, ReadOnlySpan<byte> payload, TcpFlags flags = TcpFlags.Ack | TcpFlags.Psh,
        uint acknowledgment = 1000, ushort sourcePort = 80, ushort destinationPort = 40000, FlowAddress? address = null,
        ushort ipId = 1, byte ttl = 64, ushort window = 65535, ReadOnlySpan<byte> options = default, int padTo = 0,
        int vnetHeaderLength = 0, ushort? checksum = null)
    {
        address ??= FlowAddress.Ipv4;
        int optionsLength = (options.Length + 3) / 4 * 4;
        byte[] segment = FrameLayers.Tcp(sourcePort, destinationPort, payload.ToArray(), sequence,
            (flags & TcpFlags.Ack) != 0 ? acknowledgment : 0, flags, window, optionsLength);
        segment.AsSpan(TcpHeaderLength, optionsLength).Clear();
        options.CopyTo(segment.AsSpan(TcpHeaderLength));
        WriteTransportChecksum(address, IpProtocol.Tcp, segment, checksumOffset: 16, checksum);
        return Ip(IpProtocol.Tcp, segment, address, ipId, ttl, padTo, vnetHeaderLength);
    }

    /// <summary>TCP options NOP, NOP, Timestamps (RFC 7323): <see cref="TcpTimestampOptionLength"/> bytes for <see cref="Tcp"/>.</summary>
    public static byte[] TimestampOption(uint value, uint echoReply)
    {
        var option = new byte[TcpTimestampOptionLength];
        option[0] = 1;
        option[1] = 1;
        option[2] = 8;
        option[3] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(option.AsSpan(4), value);
        BinaryPrimitives.WriteUInt32BigEndian(option.AsSpan(8), echoReply);
        return option;
    }

    /// <summary>A UDP datagram (a computed checksum of zero is sent as 0xFFFF, RFC 768).</summary>
    public static byte[] Udp(ReadOnlySpan<byte> payload, ushort sourcePort = 53, ushort destinationPort = 40000,
        FlowAddress? address = null, ushort ipId = 1, byte ttl = 64, int padTo = 0, int vnetHeaderLength = 0,
        ushort? checksum = null)
    {
        address ??= FlowAddress.Ipv4;
        byte[] datagram = FrameLayers.Udp(sourcePort, destinationPort, payload.ToArray());
        WriteTransportChecksum(address, IpProtocol.Udp, datagram, checksumOffset: 6, checksum);
        return Ip(IpProtocol.Udp, datagram, address, ipId, ttl, padTo, vnetHeaderLength);
    }

    /// <summary>
    /// One UDP datagram carrying <paramref name="payload"/>, split into IPv4 fragments of at most
    /// <paramref name="fragmentPayload"/> bytes (a multiple of 8), all with IP ID <paramref name="ipId"/>.
    /// </summary>
    public static List<byte[]> UdpFragments(ReadOnlySpan<byte> payload, int fragmentPayload, ushort ipId,
        ushort sourcePort = 53, ushort destinationPort = 40000, FlowAddress? address = null)
    {
        address ??= FlowAddress.Ipv4;
        if (address.IsIpv6)
            throw new ArgumentException("IPv4 fragments need an IPv4 flow", nameof(address));
        byte[] datagram = FrameLayers.Udp(sourcePort, destinationPort, payload.ToArray());
        WriteTransportChecksum(address, IpProtocol.Udp, datagram, checksumOffset: 6, checksum: null);
        var fragments = new List<byte[]>();
        for (int offset = 0; offset < datagram.Length; offset += fragmentPayload)
        {
            int length = Math.Min(fragmentPayload, datagram.Length - offset);
            bool more = offset + length < datagram.Length;
            fragments.Add(Ip(IpProtocol.Udp, datagram.AsSpan(offset, length), address, ipId,
                flagsFragment: (ushort)((more ? 0x2000 : 0) | (offset / 8))));
        }
        return fragments;
    }

    /// <summary>An ICMP (IPv4) or ICMPv6 (IPv6) echo reply, or request when <paramref name="request"/> is set.</summary>
    public static byte[] IcmpEcho(ushort identifier, ushort sequence, ReadOnlySpan<byte> payload, bool request = false,
        FlowAddress? address = null, ushort ipId = 1, byte ttl = 64, int padTo = 0, ushort? checksum = null)
    {
        address ??= FlowAddress.Ipv4;
        byte type = address.IsIpv6 ? (byte)(request ? 128 : 129) : (byte)(request ? 8 : 0);
        byte protocol = address.IsIpv6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp;
        byte[] message = FrameLayers.Icmp(type, 0, identifier, sequence, payload.ToArray());
        WriteTransportChecksum(address, protocol, message, checksumOffset: 2, checksum);
        return Ip(protocol, message, address, ipId, ttl, padTo);
    }

    /// <summary>
    /// An ICMPv6 message of <paramref name="type"/> (neighbour discovery 133-137, MLD 130-132 and 143) with
    /// <paramref name="body"/> after the 4-byte header, hop limit 255; MLD goes behind a hop-by-hop router-alert header
    /// with hop limit 1, as guests send it.
    /// </summary>
    public static byte[] Icmpv6(byte type, ReadOnlySpan<byte> body, ushort? checksum = null, FlowAddress? address = null)
    {
        address ??= FlowAddress.Ipv6;
        if (!address.IsIpv6)
            throw new ArgumentException("ICMPv6 needs an IPv6 flow", nameof(address));
        bool mld = type is 130 or 131 or 132 or 143;
        var message = new byte[4 + body.Length];
        message[0] = type;
        body.CopyTo(message.AsSpan(4));
        WriteTransportChecksum(address, IpProtocol.Icmpv6, message, checksumOffset: 2, checksum);
        if (!mld)
            return Ip(IpProtocol.Icmpv6, message, address, ipId: 0, ttl: 255);
        // Hop-by-hop: next header ICMPv6, length 0 (8 bytes), router alert option (5, 2, MLD 0), PadN.
        var hopByHop = new byte[8 + message.Length];
        hopByHop[0] = IpProtocol.Icmpv6;
        hopByHop[2] = 5;
        hopByHop[3] = 2;
        hopByHop[6] = 1;
        message.CopyTo(hopByHop.AsSpan(8));
        return Ip(IpProtocol.HopByHop, hopByHop, address, ipId: 0, ttl: 1);
    }

    /// <summary>An IGMPv2 membership report for 224.0.0.<paramref name="group"/> (IP ID 7, TTL 1).</summary>
    public static byte[] Igmp(byte group = 22, FlowAddress? address = null)
    {
        byte[] report = [0x16, 0, 0, 0, 224, 0, 0, group];
        BinaryPrimitives.WriteUInt16BigEndian(report.AsSpan(2), InternetChecksum.Fold(InternetChecksum.Add(0, report)));
        return Ip(2, report, address, ipId: 7, ttl: 1);
    }

    /// <summary>GRE (protocol 47, RFC 2784 without optional fields) carrying <paramref name="payload"/> as an IPv4 packet.</summary>
    public static byte[] Gre(ReadOnlySpan<byte> payload, FlowAddress? address = null, ushort ipId = 1, byte ttl = 64,
        int padTo = 0)
    {
        var gre = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(gre.AsSpan(2), 0x0800);
        payload.CopyTo(gre.AsSpan(4));
        return Ip(IpProtocol.Gre, gre, address, ipId, ttl, padTo);
    }

    /// <summary>
    /// Any IP payload <paramref name="l4"/> (written as given, its checksum included) behind an IPv4 header with a valid
    /// header checksum, or an IPv6 header (<paramref name="ttl"/> is then the hop limit).
    /// </summary>
    public static byte[] Ip(byte protocol, ReadOnlySpan<byte> l4, FlowAddress? address = null, ushort ipId = 1,
        byte ttl = 64, int padTo = 0, int vnetHeaderLength = 0, ushort flagsFragment = DontFragment)
    {
        address ??= FlowAddress.Ipv4;
        byte[] network;
        if (address.IsIpv6)
        {
            network = FrameLayers.Ipv6(protocol, l4.ToArray(), hopLimit: ttl, source: address.Source,
                destination: address.Destination);
        }
        else
        {
            if (Ipv4HeaderLength + l4.Length > ushort.MaxValue)
            {
                throw new ArgumentException(
                    $"an IPv4 datagram holds at most 65,535 bytes; this one would be {Ipv4HeaderLength + l4.Length}", nameof(l4));
            }
            network = FrameLayers.Ipv4(protocol, l4.ToArray(), flagsFragment: flagsFragment, identification: ipId, ttl: ttl,
                source: address.Source, destination: address.Destination);
            BinaryPrimitives.WriteUInt16BigEndian(network.AsSpan(10),
                InternetChecksum.Fold(InternetChecksum.Add(0, network.AsSpan(0, Ipv4HeaderLength))));
        }

        ushort[] vlans = address.VlanIds;
        var tags = new (ushort Tpid, ushort Tci)[vlans.Length];
        for (int i = 0; i < vlans.Length; i++)
            tags[i] = (i == 0 && vlans.Length == 2 ? FrameLayers.Tpid8021AD : FrameLayers.Tpid8021Q, vlans[i]);
        ushort etherType = address.IsIpv6 ? FrameParser.EtherTypeIpv6 : FrameParser.EtherTypeIpv4;
        return FrameLayers.PadTo(FrameLayers.Ethernet(etherType, network, vnetHeaderLength, tags), padTo);
    }

    /// <summary>
    /// An ARP request (reply when <paramref name="reply"/> is set) for IPv4 over Ethernet, addresses zero; a nonzero
    /// <paramref name="senderHost"/> replaces the last byte of the source MAC, so two replicas' ARP frames can differ.
    /// </summary>
    public static byte[] Arp(bool reply = false, byte senderHost = 0, int padTo = 0)
    {
        var arp = new byte[28];
        arp[1] = 1; // hardware type Ethernet
        arp[2] = 8; // protocol type IPv4
        arp[4] = 6;
        arp[5] = 4;
        arp[7] = reply ? (byte)2 : (byte)1;
        byte[] frame = FrameLayers.Ethernet(FrameLayers.EtherTypeArp, arp);
        if (senderHost != 0)
            frame[EthernetHeaderLength - 3] = senderHost;
        return FrameLayers.PadTo(frame, padTo);
    }

    /// <summary>A frame of another EtherType (LLDP by default), <paramref name="payload"/> after the Ethernet header.</summary>
    public static byte[] NonIp(ReadOnlySpan<byte> payload, ushort etherType = EtherTypeLldp) =>
        FrameLayers.Ethernet(etherType, payload.ToArray());

    /// <summary>
    /// Rewrites the TCP sequence number of an untagged IPv4 frame in place (the checksum is not updated), for tests and
    /// benchmarks that replay one frame at ever higher offsets without allocating.
    /// </summary>
    public static void SetIpv4TcpSequence(Span<byte> frame, uint sequence) =>
        BinaryPrimitives.WriteUInt32BigEndian(frame[Ipv4TcpSequenceOffset..], sequence);

    /// <summary>
    /// Stores <paramref name="checksum"/>, or the valid checksum (over the pseudo-header, except for ICMPv4), at
    /// <paramref name="checksumOffset"/> of <paramref name="l4"/>.
    /// </summary>
    private static void WriteTransportChecksum(FlowAddress address, byte protocol, byte[] l4, int checksumOffset,
        ushort? checksum)
    {
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(checksumOffset), 0);
        ushort value;
        if (checksum is ushort given)
        {
            value = given;
        }
        else
        {
            uint sum = protocol == IpProtocol.Icmp
                ? 0
                : InternetChecksum.Add(0, address.Source) + InternetChecksum.Add(0, address.Destination) + (uint)l4.Length + protocol;
            value = InternetChecksum.Fold(InternetChecksum.Add(sum, l4));
            if (protocol == IpProtocol.Udp && value == 0)
                value = 0xFFFF;
        }
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(checksumOffset), value);
    }
}
