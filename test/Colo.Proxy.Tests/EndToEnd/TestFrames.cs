using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Colo.Proxy.Tests.EndToEnd;

/// <summary>Builds Ethernet/IPv4/IPv6/TCP/UDP frames by hand (checksums left zero: the comparator ignores them).</summary>
internal static class TestFrames
{
    public const byte Fin = 0x01;
    public const byte Syn = 0x02;
    public const byte Rst = 0x04;
    public const byte Psh = 0x08;
    public const byte Ack = 0x10;

    private static readonly byte[] GuestMac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    private static readonly byte[] GatewayMac = [0x52, 0x54, 0x00, 0xAB, 0xCD, 0xEF];

    public static byte[] Tcp(string source, ushort sourcePort, string destination, ushort destinationPort, uint seq, uint ack,
        ReadOnlySpan<byte> payload, byte flags = Ack | Psh, ushort ipId = 1, int vnetHeaderLength = 0)
    {
        byte[] l4 = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(l4, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(4), seq);
        BinaryPrimitives.WriteUInt32BigEndian(l4.AsSpan(8), ack);
        l4[12] = 5 << 4;
        l4[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(14), 64240);
        payload.CopyTo(l4.AsSpan(20));
        return Ip(source, destination, 6, l4, ipId, vnetHeaderLength);
    }

    public static byte[] Udp(string source, ushort sourcePort, string destination, ushort destinationPort,
        ReadOnlySpan<byte> payload, ushort ipId = 1, int vnetHeaderLength = 0)
    {
        byte[] l4 = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(l4, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(l4.AsSpan(4), (ushort)l4.Length);
        payload.CopyTo(l4.AsSpan(8));
        return Ip(source, destination, 17, l4, ipId, vnetHeaderLength);
    }

    /// <summary>A non-IP frame (EtherType 0x88B5, local experimental): forwarded uncompared.</summary>
    public static byte[] NonIp(int payloadLength, byte fill)
    {
        byte[] frame = new byte[14 + payloadLength];
        GatewayMac.CopyTo(frame, 0);
        GuestMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x88B5);
        frame.AsSpan(14).Fill(fill);
        return frame;
    }

    private static byte[] Ip(string source, string destination, byte protocol, byte[] l4, ushort ipId, int vnetHeaderLength)
    {
        IPAddress src = IPAddress.Parse(source);
        IPAddress dst = IPAddress.Parse(destination);
        bool v6 = src.AddressFamily == AddressFamily.InterNetworkV6;
        int ipHeader = v6 ? 40 : 20;
        byte[] frame = new byte[vnetHeaderLength + 14 + ipHeader + l4.Length];
        Span<byte> eth = frame.AsSpan(vnetHeaderLength);
        GatewayMac.CopyTo(eth);
        GuestMac.CopyTo(eth[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(eth[12..], v6 ? (ushort)0x86DD : (ushort)0x0800);
        Span<byte> ip = eth[14..];
        if (v6)
        {
            ip[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], (ushort)l4.Length);
            ip[6] = protocol;
            ip[7] = 64;
            src.GetAddressBytes().CopyTo(ip[8..]);
            dst.GetAddressBytes().CopyTo(ip[24..]);
        }
        else
        {
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + l4.Length));
            BinaryPrimitives.WriteUInt16BigEndian(ip[4..], ipId);
            ip[6] = 0x40;
            ip[8] = 64;
            ip[9] = protocol;
            src.GetAddressBytes().CopyTo(ip[12..]);
            dst.GetAddressBytes().CopyTo(ip[16..]);
        }
        l4.CopyTo(ip[ipHeader..]);
        return frame;
    }

    public static byte[] Ascii(string text) => System.Text.Encoding.ASCII.GetBytes(text);
}
