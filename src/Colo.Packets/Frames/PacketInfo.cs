namespace Colo.Packets.Frames;

/// <summary>
/// Offsets and header fields of one parsed frame, filled by <see cref="FrameParser.TryParse"/>. A plain struct of
/// numbers (no span), so it can be kept next to the frame bytes it describes; all offsets index that frame.
/// Every offset and length was validated against the frame, so callers may slice without further checks.
/// </summary>
public struct PacketInfo
{
    /// <summary>Where the Ethernet header starts (the virtio-net header length).</summary>
    public int EthernetOffset;

    /// <summary>Number of VLAN tags (0..2); <see cref="OuterVlanId"/> and <see cref="InnerVlanId"/> hold their 12-bit ids.</summary>
    public byte VlanCount;
    public ushort OuterVlanId;
    public ushort InnerVlanId;

    /// <summary>The EtherType after any VLAN tags.</summary>
    public ushort EtherType;

    /// <summary>Where the IP header starts.</summary>
    public int NetworkOffset;

    /// <summary>4 or 6 for IP packets, 0 otherwise.</summary>
    public byte IpVersion;

    /// <summary>IPv4 header with options, or IPv6 fixed header plus walked extension headers.</summary>
    public int NetworkHeaderLength;

    /// <summary>End of the IP packet according to the IP header (never the frame length: NICs pad short frames).</summary>
    public int NetworkEnd;

    /// <summary>Offsets of the source and destination addresses (4 bytes each for IPv4, 16 for IPv6).</summary>
    public int SourceAddressOffset;
    public int DestinationAddressOffset;

    /// <summary>IPv4 header TTL or IPv6 hop limit (reported, never compared).</summary>
    public byte HopLimit;

    /// <summary>The upper-layer protocol after extension headers.</summary>
    public byte Protocol;

    /// <summary>True for any fragment (IPv4 MF or offset, or an IPv6 fragment header).</summary>
    public bool IsFragment;

    /// <summary>Fragment offset in bytes, more-fragments flag and identification (IPv4 16 bits, IPv6 32 bits).</summary>
    public int FragmentOffset;
    public bool MoreFragments;
    public uint FragmentId;

    /// <summary>Where the transport header starts and how long it is (0 when not parsed: later fragments, unknown protocols).</summary>
    public int TransportOffset;
    public int TransportHeaderLength;

    /// <summary>Transport payload (TCP/UDP data; for ICMP and other protocols everything after the IP header).</summary>
    public int PayloadOffset;
    public int PayloadLength;

    /// <summary>TCP and UDP ports; for ICMP echo the identifier is in <see cref="SourcePort"/>.</summary>
    public ushort SourcePort;
    public ushort DestinationPort;

    public uint TcpSequence;
    public uint TcpAcknowledgment;
    public TcpFlags TcpFlags;
    public ushort TcpWindow;

    public byte IcmpType;
    public byte IcmpCode;

    /// <summary>True when the transport header was parsed (TCP, UDP, ICMP, ICMPv6 and not a non-first fragment).</summary>
    public readonly bool HasTransportHeader => TransportHeaderLength > 0;
}
