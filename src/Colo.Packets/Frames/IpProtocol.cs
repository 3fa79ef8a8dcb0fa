namespace Colo.Packets.Frames;

/// <summary>IANA protocol numbers the parser and comparator treat specially.</summary>
public static class IpProtocol
{
    public const byte HopByHop = 0;
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Ipv6Routing = 43;
    public const byte Ipv6Fragment = 44;
    public const byte Gre = 47;
    public const byte Icmpv6 = 58;
    public const byte Ipv6NoNext = 59;
    public const byte Ipv6DestinationOptions = 60;

    /// <summary>Lower-case protocol name for reports ("tcp", "udp", "icmp", "icmpv6", "gre"), else the number.</summary>
    public static string Name(byte protocol) => protocol switch
    {
        Tcp => "tcp",
        Udp => "udp",
        Icmp => "icmp",
        Icmpv6 => "icmpv6",
        Gre => "gre",
        _ => protocol.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
