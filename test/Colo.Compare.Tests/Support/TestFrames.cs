using System.Buffers.Binary;
using System.Net;
using Colo.Packets.Frames;

namespace Colo.Compare.Tests.Support;

/// <summary>
/// Builds guest frames by hand (Ethernet, optional VLAN tags, IPv4/IPv6, TCP/UDP/ICMP/GRE) for comparator tests.
/// Defaults describe the guest's side of one TCP connection; every header field a replica may vary on is a parameter.
/// </summary>
internal static class TestFrames
{
    public static readonly IPAddress Server = IPAddress.Parse("10.0.0.1");
    public static readonly IPAddress Client = IPAddress.Parse("10.0.0.2");
    public static readonly IPAddress Server6 = IPAddress.Parse("fd00::1");
    public static readonly IPAddress Client6 = IPAddress.Parse("fd00::2");

    public static byte[] Tcp(uint seq, ReadOnlySpan<byte> payload, TcpFlags flags = TcpFlags.Ack | TcpFlags.Psh,
        uint ack = 1000, ushort sport = 80, ushort dport = 40000, bool ipv6 = false, ushort ipId = 1, byte ttl = 64,
        ushort window = 65535, byte[]? options = null, int padTo = 0, ushort[]? vlans = null, int vnet = 0,
        ushort checksum = 0)
    {
        options ??= [];
        int optionLength = (options.Length + 3) / 4 * 4;
        var l4 = new byte[20 + optionLength + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(l4, sport);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(8), (flags & TcpFlags.Ack) != 0 ? ack : 0);
        l4[12] = (byte)((20 + optionLength) / 4 << 4);
        l4[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(14), window);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(16), checksum);
        options.CopyTo(l4.AsSpan(20));
        payload.CopyTo(l4.AsSpan(20 + optionLength));
        return Ip(IpProtocol.Tcp, l4, ipv6, ipId, ttl, padTo, vlans, vnet);
    }

    public static byte[] Udp(ReadOnlySpan<byte> payload, ushort sport = 53, ushort dport = 40000, bool ipv6 = false,
        ushort ipId = 1, byte ttl = 64, ushort checksum = 0, int padTo = 0, ushort[]? vlans = null)
    {
        var l4 = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(l4, sport);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(4), (ushort)l4.Length);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(6), checksum);
        payload.CopyTo(l4.AsSpan(8));
        return Ip(IpProtocol.Udp, l4, ipv6, ipId, ttl, padTo, vlans, 0);
    }

    public static byte[] IcmpEcho(ushort id, ushort sequence, ReadOnlySpan<byte> payload, byte type = 0, ushort checksum = 0,
        bool ipv6 = false, ushort ipId = 1)
    {
        var l4 = new byte[8 + payload.Length];
        l4[0] = ipv6 ? (byte)(type == 0 ? 129 : 128) : type;
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), checksum);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(6), sequence);
        payload.CopyTo(l4.AsSpan(8));
        return Ip(ipv6 ? IpProtocol.Icmpv6 : IpProtocol.Icmp, l4, ipv6, ipId, 64, 0, null, 0);
    }

    /// <summary>
    /// One UDP datagram carrying <paramref name="payload"/>, split into IPv4 fragments of at most
    /// <paramref name="fragmentPayload"/> bytes (a multiple of 8), all with IP ID <paramref name="ipId"/>.
    /// </summary>
    public static List<byte[]> UdpFragments(ReadOnlySpan<byte> payload, int fragmentPayload, ushort ipId, ushort sport = 53, ushort dport = 40000)
    {
        byte[] whole = Udp(payload, sport, dport);
        ReadOnlySpan<byte> datagram = whole.AsSpan(14 + 20);
        var fragments = new List<byte[]>();
        for (int offset = 0; offset < datagram.Length; offset += fragmentPayload)
        {
            int length = Math.Min(fragmentPayload, datagram.Length - offset);
            byte[] frame = Ip(IpProtocol.Udp, datagram.Slice(offset, length), false, ipId, 64, 0, null, 0);
            bool more = offset + length < datagram.Length;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 6), (ushort)((more ? 0x2000 : 0) | (offset / 8)));
            fragments.Add(frame);
        }
        return fragments;
    }

    /// <summary>A GRE packet (protocol 47) carrying <paramref name="payload"/> after a 4-byte GRE header.</summary>
    public static byte[] Gre(ReadOnlySpan<byte> payload, ushort ipId = 1, byte ttl = 64)
    {
        var l4 = new byte[4 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), 0x0800);
        payload.CopyTo(l4.AsSpan(4));
        return Ip(IpProtocol.Gre, l4, false, ipId, ttl, 0, null, 0);
    }

    /// <summary>An ARP request (not IP).</summary>
    public static byte[] Arp()
    {
        var frame = new byte[42];
        WriteMacs(frame);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), FrameParser.EtherTypeArp);
        frame[14 + 1] = 1;
        frame[14 + 2] = 8;
        frame[14 + 4] = 6;
        frame[14 + 5] = 4;
        frame[14 + 7] = 1;
        return frame;
    }

    /// <summary>A frame of another EtherType (LLDP by default), <paramref name="payload"/> after the Ethernet header.</summary>
    public static byte[] NonIp(ReadOnlySpan<byte> payload, ushort etherType = 0x88CC)
    {
        var frame = new byte[14 + payload.Length];
        WriteMacs(frame);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), etherType);
        payload.CopyTo(frame.AsSpan(14));
        return frame;
    }

    /// <summary>
    /// An ICMPv6 message of <paramref name="type"/> (neighbour discovery 133-137, MLD 130-132 and 143) with
    /// <paramref name="body"/> after the 4-byte header; MLD goes behind a hop-by-hop router-alert header as guests send it.
    /// </summary>
    public static byte[] Icmpv6(byte type, ReadOnlySpan<byte> body, ushort checksum = 0)
    {
        bool mld = type is 130 or 131 or 132 or 143;
        var message = new byte[4 + body.Length];
        message[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(2), checksum);
        body.CopyTo(message.AsSpan(4));
        if (!mld)
            return Ip(IpProtocol.Icmpv6, message, true, 0, 255, 0, null, 0);
        // Hop-by-hop: next header ICMPv6, length 0 (8 bytes), router alert option (5, 2, MLD 0), PadN.
        var l4 = new byte[8 + message.Length];
        l4[0] = IpProtocol.Icmpv6;
        l4[2] = 5;
        l4[3] = 2;
        l4[6] = 1;
        message.CopyTo(l4.AsSpan(8));
        return Ip(IpProtocol.HopByHop, l4, true, 0, 1, 0, null, 0);
    }

    /// <summary>An IGMPv2 membership report for <paramref name="group"/>.</summary>
    public static byte[] Igmp(byte group = 22)
    {
        byte[] l4 = [0x16, 0, 0, 0, 224, 0, 0, group];
        return Ip(2, l4, false, 7, 1, 0, null, 0);
    }

    public static byte[] Ip(byte protocol, ReadOnlySpan<byte> l4, bool ipv6, ushort ipId, byte ttl, int padTo,
        ushort[]? vlans, int vnet)
    {
        vlans ??= [];
        int l2 = vnet + 14 + 4 * vlans.Length;
        int l3 = ipv6 ? 40 : 20;
        int length = Math.Max(l2 + l3 + l4.Length, padTo);
        var frame = new byte[length];
        Span<byte> eth = frame.AsSpan(vnet);
        WriteMacs(eth);
        int offset = 12;
        for (int i = 0; i < vlans.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(eth[offset..], i == 0 && vlans.Length == 2 ? FrameParser.EtherTypeQinQ : FrameParser.EtherTypeVlan);
            BinaryPrimitives.WriteUInt16BigEndian(eth[(offset + 2)..], vlans[i]);
            offset += 4;
        }
        BinaryPrimitives.WriteUInt16BigEndian(eth[offset..], ipv6 ? FrameParser.EtherTypeIpv6 : FrameParser.EtherTypeIpv4);
        Span<byte> ip = frame.AsSpan(l2);
        if (ipv6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)l4.Length);
            ip[6] = protocol;
            ip[7] = ttl;
            Server6.GetAddressBytes().CopyTo(ip[8..]);
            Client6.GetAddressBytes().CopyTo(ip[24..]);
        }
        else
        {
            ip[0] = 0x45;
            if (20 + l4.Length > ushort.MaxValue)
                throw new ArgumentException($"an IPv4 datagram holds at most 65,535 bytes; this one would be {20 + l4.Length}", nameof(l4));
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + l4.Length));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], ipId);
            ip[6] = 0x40;
            ip[8] = ttl;
            ip[9] = protocol;
            Server.GetAddressBytes().CopyTo(ip[12..]);
            Client.GetAddressBytes().CopyTo(ip[16..]);
            BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)(ipId ^ ttl));
        }
        l4.CopyTo(ip[l3..]);
        return frame;
    }

    private static void WriteMacs(Span<byte> eth)
    {
        ReadOnlySpan<byte> macs = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01];
        macs.CopyTo(eth);
    }

    public static byte[] Ascii(string text) => System.Text.Encoding.ASCII.GetBytes(text);
}
