namespace Colo.Packets.Frames;

/// <summary>Outcome of <see cref="FrameParser.TryParse"/>: why a frame could not be parsed, never an exception.</summary>
public enum ParseStatus : byte
{
    /// <summary>An IPv4 or IPv6 packet; addresses and (where present) the L4 header were validated.</summary>
    Ok = 0,

    /// <summary>A well-formed Ethernet frame that does not carry IP (ARP, LLDP, ...).</summary>
    NotIp,

    /// <summary>Shorter than the virtio-net header plus an Ethernet header.</summary>
    TruncatedEthernet,

    /// <summary>A VLAN tag header runs past the end of the frame.</summary>
    TruncatedVlanTag,

    /// <summary>More than two stacked VLAN tags (802.1Q / 802.1ad).</summary>
    TooManyVlanTags,

    /// <summary>Fewer bytes than a minimal IP header.</summary>
    TruncatedIpHeader,

    /// <summary>The IP version nibble disagrees with the EtherType.</summary>
    BadIpVersion,

    /// <summary>IPv4 IHL below 5 or beyond the frame.</summary>
    BadIpHeaderLength,

    /// <summary>IPv4 total length / IPv6 payload length inconsistent with the header or longer than the frame.</summary>
    BadIpTotalLength,

    /// <summary>An IPv6 extension header is truncated or its length runs past the packet.</summary>
    BadExtensionHeader,

    /// <summary>More IPv6 extension headers than the parser walks.</summary>
    TooManyExtensionHeaders,

    /// <summary>TCP header shorter than 20 bytes or its data offset outside 5..15 or past the packet.</summary>
    BadTcpHeader,

    /// <summary>UDP header truncated or its length field outside 8..IP payload length.</summary>
    BadUdpHeader,

    /// <summary>ICMP / ICMPv6 message shorter than its 4-byte header.</summary>
    BadIcmpHeader,
}
