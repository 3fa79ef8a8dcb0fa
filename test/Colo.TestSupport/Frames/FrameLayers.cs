using System.Buffers.Binary;
using Colo.Packets.Frames;

namespace Colo.TestSupport.Frames;

/// <summary>
/// Builds frames one header at a time, for tests that need a malformed or unusual layer (wrong lengths, IP options,
/// IPv6 extension chains, odd VLAN tags): each method writes one header and appends the given payload, so a test reads
/// outermost layer first. Checksums are left zero. <see cref="FrameBuilder"/> builds well-formed whole frames on top
/// of these.
/// </summary>
public static class FrameLayers
{
    public const ushort EtherTypeArp = 0x0806;
    public const ushort Tpid8021Q = 0x8100;
    public const ushort Tpid8021AD = 0x88A8;

    /// <summary>10.0.0.1, the default IPv4 source.</summary>
    public static readonly byte[] Ipv4Source = [10, 0, 0, 1];

    /// <summary>10.0.0.2, the default IPv4 destination.</summary>
    public static readonly byte[] Ipv4Destination = [10, 0, 0, 2];

    /// <summary>2001:db8::1 (the documentation prefix, RFC 3849), the default IPv6 source.</summary>
    public static readonly byte[] Ipv6Source = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

    /// <summary>2001:db8::2, the default IPv6 destination.</summary>
    public static readonly byte[] Ipv6Destination = [0x20, 0x01, 0x0D, 0xB8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    /// <summary>02:00:00:00:00:01 (locally administered), the source MAC of every built frame.</summary>
    public static readonly byte[] SourceMac = [0x02, 0, 0, 0, 0, 0x01];

    /// <summary>02:00:00:00:00:02, the destination MAC of every built frame.</summary>
    public static readonly byte[] DestinationMac = [0x02, 0, 0, 0, 0, 0x02];

    /// <summary>A zeroed virtio-net header, Ethernet II (with optional VLAN tags, outer first) and the network bytes.</summary>
    public static byte[] Ethernet(ushort etherType, byte[] network, int vnetHeaderLength = 0,
        params (ushort Tpid, ushort Tci)[] tags)
    {
        var frame = new byte[vnetHeaderLength + FrameParser.EthernetHeaderLength
            + (tags.Length * FrameParser.VlanTagLength) + network.Length];
        Span<byte> span = frame.AsSpan(vnetHeaderLength);
        DestinationMac.CopyTo(span);
        SourceMac.CopyTo(span[6..]);
        int offset = 12;
        foreach ((ushort tpid, ushort tci) in tags)
        {
            BinaryPrimitives.WriteUInt16BigEndian(span[offset..], tpid);
            BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], tci);
            offset += FrameParser.VlanTagLength;
        }

        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], etherType);
        network.CopyTo(span[(offset + 2)..]);
        return frame;
    }

    /// <summary>
    /// An IPv4 header (IHL 5 plus <paramref name="optionsLength"/> bytes of NOP options, header checksum zero) and its
    /// payload; addresses default to <see cref="Ipv4Source"/> and <see cref="Ipv4Destination"/>.
    /// </summary>
    public static byte[] Ipv4(byte protocol, byte[] payload, int optionsLength = 0, ushort flagsFragment = 0,
        ushort identification = 0x1234, byte ttl = 64, int? totalLength = null, byte? versionIhl = null,
        byte[]? source = null, byte[]? destination = null)
    {
        int headerLength = FrameParser.Ipv4MinHeaderLength + optionsLength;
        var packet = new byte[headerLength + payload.Length];
        Span<byte> span = packet;
        span[0] = versionIhl ?? (byte)(0x40 | (headerLength / 4));
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(totalLength ?? packet.Length));
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], identification);
        BinaryPrimitives.WriteUInt16BigEndian(span[6..], flagsFragment);
        span[8] = ttl;
        span[9] = protocol;
        (source ?? Ipv4Source).CopyTo(span[12..]);
        (destination ?? Ipv4Destination).CopyTo(span[16..]);
        span[20..headerLength].Fill(1); // NOP options
        payload.CopyTo(span[headerLength..]);
        return packet;
    }

    /// <summary>
    /// An IPv6 fixed header and its payload (extension headers included); addresses default to
    /// <see cref="Ipv6Source"/> and <see cref="Ipv6Destination"/>.
    /// </summary>
    public static byte[] Ipv6(byte nextHeader, byte[] payload, byte hopLimit = 64, int? payloadLength = null,
        byte version = 6, byte[]? source = null, byte[]? destination = null)
    {
        var packet = new byte[FrameParser.Ipv6HeaderLength + payload.Length];
        Span<byte> span = packet;
        span[0] = (byte)(version << 4);
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], (ushort)(payloadLength ?? payload.Length));
        span[6] = nextHeader;
        span[7] = hopLimit;
        (source ?? Ipv6Source).CopyTo(span[8..]);
        (destination ?? Ipv6Destination).CopyTo(span[24..]);
        payload.CopyTo(span[FrameParser.Ipv6HeaderLength..]);
        return packet;
    }

    /// <summary>A hop-by-hop, routing or destination-options header of (<paramref name="lengthUnits"/> + 1) * 8 bytes.</summary>
    public static byte[] Ipv6Extension(byte nextHeader, byte lengthUnits, byte[] payload)
    {
        int length = (lengthUnits + 1) * 8;
        var header = new byte[length + payload.Length];
        header[0] = nextHeader;
        header[1] = lengthUnits;
        payload.CopyTo(header, length);
        return header;
    }

    /// <summary>An IPv6 fragment header; <paramref name="offsetBytes"/> must be a multiple of 8.</summary>
    public static byte[] Ipv6Fragment(byte nextHeader, int offsetBytes, bool moreFragments, uint identification,
        byte[] payload)
    {
        var header = new byte[8 + payload.Length];
        Span<byte> span = header;
        span[0] = nextHeader;
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], (ushort)(offsetBytes | (moreFragments ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], identification);
        payload.CopyTo(span[8..]);
        return header;
    }

    /// <summary>A TCP header (20 bytes plus <paramref name="optionsLength"/> bytes of NOP options) and its payload.</summary>
    public static byte[] Tcp(ushort sourcePort, ushort destinationPort, byte[] payload, uint sequence = 1000,
        uint acknowledgment = 2000, TcpFlags flags = TcpFlags.Ack | TcpFlags.Psh, ushort window = 65535,
        int optionsLength = 0, int? dataOffsetWords = null)
    {
        int headerLength = FrameParser.TcpMinHeaderLength + optionsLength;
        var segment = new byte[headerLength + payload.Length];
        Span<byte> span = segment;
        BinaryPrimitives.WriteUInt16BigEndian(span, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(span[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(span[8..], acknowledgment);
        span[12] = (byte)((dataOffsetWords ?? (headerLength / 4)) << 4);
        span[13] = (byte)flags;
        BinaryPrimitives.WriteUInt16BigEndian(span[14..], window);
        span[20..headerLength].Fill(1); // NOP options
        payload.CopyTo(span[headerLength..]);
        return segment;
    }

    /// <summary>A UDP header and its payload; <paramref name="length"/> overrides the length field.</summary>
    public static byte[] Udp(ushort sourcePort, ushort destinationPort, byte[] payload, int? length = null)
    {
        var datagram = new byte[FrameParser.UdpHeaderLength + payload.Length];
        Span<byte> span = datagram;
        BinaryPrimitives.WriteUInt16BigEndian(span, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], (ushort)(length ?? datagram.Length));
        payload.CopyTo(span[FrameParser.UdpHeaderLength..]);
        return datagram;
    }

    /// <summary>An ICMP or ICMPv6 message with an echo-style identifier and sequence number.</summary>
    public static byte[] Icmp(byte type, byte code, ushort identifier, ushort sequence, byte[] payload)
    {
        var message = new byte[8 + payload.Length];
        Span<byte> span = message;
        span[0] = type;
        span[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], identifier);
        BinaryPrimitives.WriteUInt16BigEndian(span[6..], sequence);
        payload.CopyTo(span[8..]);
        return message;
    }

    /// <summary>Copies <paramref name="frame"/> into a buffer of at least <paramref name="length"/> bytes, zero-padded (as NICs pad short frames).</summary>
    public static byte[] PadTo(byte[] frame, int length)
    {
        var padded = new byte[Math.Max(length, frame.Length)];
        frame.CopyTo(padded, 0);
        return padded;
    }

    /// <summary>An Ethernet + IPv4 + TCP frame with the default fields.</summary>
    public static byte[] Ipv4Tcp(byte[] payload, int tcpOptionsLength = 0) =>
        Ethernet(FrameParser.EtherTypeIpv4,
            Ipv4(IpProtocol.Tcp, Tcp(80, 1234, payload, optionsLength: tcpOptionsLength)));

    /// <summary>An Ethernet + IPv6 + TCP frame with the default fields.</summary>
    public static byte[] Ipv6Tcp(byte[] payload) =>
        Ethernet(FrameParser.EtherTypeIpv6, Ipv6(IpProtocol.Tcp, Tcp(80, 1234, payload)));

    /// <summary>A chain of <paramref name="count"/> destination-options headers (8 bytes each) ending in <paramref name="last"/>.</summary>
    public static byte[] ExtensionChain(int count, byte last, byte[] payload)
    {
        byte[] chain = payload;
        for (int i = 0; i < count; i++)
            chain = Ipv6Extension(i == 0 ? last : IpProtocol.Ipv6DestinationOptions, 0, chain);
        return chain;
    }
}
