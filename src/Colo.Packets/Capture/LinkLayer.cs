using System.Buffers.Binary;

namespace Colo.Packets.Capture;

/// <summary>
/// Turns the link-layer framing of a captured packet into the Ethernet frame a COLO comparator receives, so that
/// captures taken with <c>tcpdump -i any</c> (Linux cooked, SLL and SLL2), on a tun device or on a loopback (raw IP,
/// BSD/OpenBSD loopback) can be compared. The IP packet is copied unchanged behind a 14-byte Ethernet header whose
/// EtherType comes from the link header; the source MAC is SLL's link-layer address when it is a 6-byte one,
/// otherwise zero, and the destination MAC is zero (no capture of these types records it).
/// </summary>
public static class LinkLayer
{
    private const int EthernetHeaderLength = 14;
    private const int EthernetSourceOffset = 6;
    private const int EthernetTypeOffset = 12;
    private const int MacLength = 6;
    private const ushort EtherTypeIpv4 = 0x0800;
    private const ushort EtherTypeIpv6 = 0x86DD;

    // Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 16 bytes):
    // | Packet type (2) | ARPHRD type (2) | Link-layer address length (2) | Link-layer address (8) | Protocol type (2) |
    private const int SllHeaderLength = 16;
    private const int SllAddressLengthOffset = 4;
    private const int SllAddressOffset = 6;
    private const int SllProtocolOffset = 14;

    // Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 20 bytes):
    // | Protocol type (2) | Reserved (2) | Interface index (4) | ARPHRD type (2) | Packet type (1) |
    // | Link-layer address length (1) | Link-layer address (8) |
    private const int Sll2HeaderLength = 20;
    private const int Sll2ProtocolOffset = 0;
    private const int Sll2AddressLengthOffset = 11;
    private const int Sll2AddressOffset = 12;

    // BSD loopback (LINKTYPE_NULL, host byte order) and OpenBSD loopback (LINKTYPE_LOOP, network byte order): a 4-byte
    // address family. IPv4 is 2 everywhere; IPv6 is 24 (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (macOS).
    private const int LoopbackHeaderLength = 4;
    private const uint AddressFamilyInet = 2;

    /// <summary>Largest number of bytes <see cref="TryToEthernet"/> adds to a packet.</summary>
    public const int MaxHeaderGrowth = EthernetHeaderLength;

    /// <summary>True for the link types whose packets <see cref="TryToEthernet"/> can turn into Ethernet frames.</summary>
    public static bool IsComparable(LinkType linkType) => linkType is LinkType.Ethernet or LinkType.LinuxSll
        or LinkType.LinuxSll2 or LinkType.Raw or LinkType.Ipv4 or LinkType.Ipv6 or LinkType.Null or LinkType.Loop;

    /// <summary>
    /// Writes <paramref name="packet"/> (of <paramref name="linkType"/>) as an Ethernet frame into
    /// <paramref name="destination"/>, which must hold <c>packet.Length + MaxHeaderGrowth</c> bytes. False when the
    /// link type is not comparable or the packet is too short for its link header; an Ethernet packet is copied as is.
    /// </summary>
    public static bool TryToEthernet(LinkType linkType, ReadOnlySpan<byte> packet, Span<byte> destination, out int length)
    {
        length = 0;
        ReadOnlySpan<byte> source = default;
        ushort etherType;
        ReadOnlySpan<byte> payload;
        switch (linkType)
        {
            case LinkType.Ethernet:
                packet.CopyTo(destination);
                length = packet.Length;
                return true;
            case LinkType.LinuxSll when packet.Length >= SllHeaderLength:
                etherType = BinaryPrimitives.ReadUInt16BigEndian(packet[SllProtocolOffset..]);
                if (BinaryPrimitives.ReadUInt16BigEndian(packet[SllAddressLengthOffset..]) == MacLength)
                    source = packet.Slice(SllAddressOffset, MacLength);
                payload = packet[SllHeaderLength..];
                break;
            case LinkType.LinuxSll2 when packet.Length >= Sll2HeaderLength:
                etherType = BinaryPrimitives.ReadUInt16BigEndian(packet[Sll2ProtocolOffset..]);
                if (packet[Sll2AddressLengthOffset] == MacLength)
                    source = packet.Slice(Sll2AddressOffset, MacLength);
                payload = packet[Sll2HeaderLength..];
                break;
            case LinkType.Raw or LinkType.Ipv4 or LinkType.Ipv6 when packet.Length > 0:
                etherType = (packet[0] >> 4) == 6 ? EtherTypeIpv6 : EtherTypeIpv4;
                payload = packet;
                break;
            case LinkType.Null when packet.Length >= LoopbackHeaderLength:
                etherType = FamilyEtherType(BinaryPrimitives.ReadUInt32LittleEndian(packet) is var little && little <= ushort.MaxValue
                    ? little
                    : BinaryPrimitives.ReadUInt32BigEndian(packet)); // "host order" of the capturing machine: either.
                payload = packet[LoopbackHeaderLength..];
                break;
            case LinkType.Loop when packet.Length >= LoopbackHeaderLength:
                etherType = FamilyEtherType(BinaryPrimitives.ReadUInt32BigEndian(packet));
                payload = packet[LoopbackHeaderLength..];
                break;
            default:
                return false;
        }

        Span<byte> header = destination[..EthernetHeaderLength];
        header.Clear();
        source.CopyTo(header[EthernetSourceOffset..]);
        BinaryPrimitives.WriteUInt16BigEndian(header[EthernetTypeOffset..], etherType);
        payload.CopyTo(destination[EthernetHeaderLength..]);
        length = EthernetHeaderLength + payload.Length;
        return true;
    }

    private static ushort FamilyEtherType(uint family) => family == AddressFamilyInet ? EtherTypeIpv4 : EtherTypeIpv6;
}
