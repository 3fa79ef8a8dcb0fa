namespace Colo.Packets.Capture;

/// <summary>
/// Link-layer header type of the records in a capture (the tcpdump.org LINKTYPE_ registry, shared by pcap and pcapng).
/// </summary>
public enum LinkType : uint
{
    /// <summary>BSD loopback: a host-byte-order protocol family word, then the packet.</summary>
    Null = 0,

    /// <summary>IEEE 802.3 Ethernet.</summary>
    Ethernet = 1,

    /// <summary>Raw IP: the packet starts with an IPv4 or IPv6 header.</summary>
    Raw = 101,

    /// <summary>OpenBSD loopback: a network-byte-order protocol family word, then the packet.</summary>
    Loop = 108,

    /// <summary>Linux "cooked" capture, version 1.</summary>
    LinuxSll = 113,

    /// <summary>Raw IPv4.</summary>
    Ipv4 = 228,

    /// <summary>Raw IPv6.</summary>
    Ipv6 = 229,

    /// <summary>Linux "cooked" capture, version 2.</summary>
    LinuxSll2 = 276,
}
