using Colo.Packets.Frames;

namespace Colo.Compare;

/// <summary>
/// Link-local housekeeping: ARP, IPv6 neighbour and router discovery, MLD and IGMP. None of it carries the
/// application's state, and replicas send it at different times: on their own random timers (MLD reports, neighbour
/// advertisements), with random nonces right after boot (duplicate address detection), and on the secondary only
/// after every checkpoint (virtio-net's guest announce: gratuitous ARP, unsolicited neighbour advertisements, MLD
/// reports). Compared, such frames wait for a counterpart that never comes and age into timeout checkpoints that make
/// the next announcement: a loop. So by default they are not compared (DESIGN.md section 4, rule 9); QEMU's
/// colo-compare never looks at ARP or IPv6 at all.
/// </summary>
public static class Housekeeping
{
    public const ushort EtherTypeArp = FrameParser.EtherTypeArp;

    // ICMPv6 message types (IANA "ICMPv6 Parameters").
    private const byte MldQuery = 130;                  // RFC 2710
    private const byte MldReport = 131;
    private const byte MldDone = 132;
    private const byte RouterSolicitation = 133;        // RFC 4861
    private const byte RouterAdvertisement = 134;
    private const byte NeighborSolicitation = 135;
    private const byte NeighborAdvertisement = 136;
    private const byte Redirect = 137;
    private const byte InverseNdSolicitation = 141;     // RFC 3122
    private const byte InverseNdAdvertisement = 142;
    private const byte Mldv2Report = 143;               // RFC 9777
    private const byte CertificationPathSolicitation = 148; // RFC 3971 (SEND)
    private const byte CertificationPathAdvertisement = 149;
    private const byte MulticastRouterAdvertisement = 151;  // RFC 4286
    private const byte MulticastRouterSolicitation = 152;
    private const byte MulticastRouterTermination = 153;

    /// <summary>IPv4 protocol number of IGMP (RFC 3376).</summary>
    public const byte IgmpProtocol = 2;

    /// <summary>True for a parsed IP frame that is link-local housekeeping (ICMPv6 ND/MLD, IGMP).</summary>
    public static bool IsHousekeeping(in PacketInfo info)
    {
        if (info.IsFragment)
            return false;
        if (info.IpVersion == 4)
            return info.Protocol == IgmpProtocol;
        return info.IpVersion == 6 && info.Protocol == IpProtocol.Icmpv6 && info.HasTransportHeader
            && IsHousekeepingIcmpv6(info.IcmpType);
    }

    /// <summary>True for a frame that is not IP and is housekeeping (ARP).</summary>
    public static bool IsHousekeepingNonIp(in PacketInfo info) => info.EtherType == EtherTypeArp;

    private static bool IsHousekeepingIcmpv6(byte type) => type switch
    {
        >= MldQuery and <= Redirect => true,
        InverseNdSolicitation or InverseNdAdvertisement or Mldv2Report => true,
        CertificationPathSolicitation or CertificationPathAdvertisement => true,
        >= MulticastRouterAdvertisement and <= MulticastRouterTermination => true,
        _ => false,
    };
}
