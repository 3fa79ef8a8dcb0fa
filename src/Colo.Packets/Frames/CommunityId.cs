using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;

namespace Colo.Packets.Frames;

/// <summary>
/// Community ID flow hashing, version 1 (corelight/community-id-spec), so that a flow in a ColoProxy report can be
/// looked up in Zeek's conn.log, Suricata's EVE log or Arkime by the same string. The hash covers both directions of a
/// connection: endpoints are put in order (lower address first, then lower port) before hashing, except for ICMP
/// messages that have no counterpart type.
/// </summary>
public static class CommunityId
{
    private const string VersionPrefix = "1:";
    private const ushort DefaultSeed = 0;
    private const byte Sctp = 132;

    /// <summary>The Community ID of a TCP, UDP or SCTP flow (ports as given).</summary>
    public static string Compute(IPAddress source, ushort sourcePort, IPAddress destination, ushort destinationPort, byte protocol,
        ushort seed = DefaultSeed) =>
        Hash(source.GetAddressBytes(), sourcePort, destination.GetAddressBytes(), destinationPort, protocol, oneWay: false, seed);

    /// <summary>
    /// The Community ID of an ICMP or ICMPv6 message: its type and the counterpart type (echo request and reply, ...)
    /// take the ports' place; a type without counterpart hashes type and code in the direction seen.
    /// </summary>
    public static string ComputeIcmp(IPAddress source, IPAddress destination, byte protocol, byte type, byte code,
        ushort seed = DefaultSeed)
    {
        int counterpart = protocol == IpProtocol.Icmpv6 ? Icmpv6Counterpart(type) : IcmpCounterpart(type);
        bool oneWay = counterpart < 0;
        return Hash(source.GetAddressBytes(), type, destination.GetAddressBytes(), (ushort)(oneWay ? code : counterpart),
            protocol, oneWay, seed);
    }

    /// <summary>
    /// The Community ID of a flow of the report; <paramref name="icmpType"/> and <paramref name="icmpCode"/> are those of
    /// the flow's first message when it is ICMP. Null for flows that are not IP or are IP fragments (no ports to hash).
    /// </summary>
    public static string? Of(in FlowKey flow, byte icmpType = 0, byte icmpCode = 0)
    {
        if (flow.IpVersion == 0 || flow.IsFragmentFlow)
            return null;
        return flow.Protocol switch
        {
            IpProtocol.Tcp or IpProtocol.Udp or Sctp =>
                Compute(flow.SourceAddress, flow.SourcePort, flow.DestinationAddress, flow.DestinationPort, flow.Protocol),
            IpProtocol.Icmp or IpProtocol.Icmpv6 =>
                ComputeIcmp(flow.SourceAddress, flow.DestinationAddress, flow.Protocol, icmpType, icmpCode),
            _ => Hash(flow.SourceAddress.GetAddressBytes(), 0, flow.DestinationAddress.GetAddressBytes(), 0, flow.Protocol,
                oneWay: false, DefaultSeed),
        };
    }

    // Hashed bytes: seed (2, network order) | source address | destination address | protocol (1) | padding (1, zero)
    // | source port (2) | destination port (2); SHA-1, base64, prefixed with the version "1:".
    private static string Hash(byte[] source, ushort sourcePort, byte[] destination, ushort destinationPort, byte protocol,
        bool oneWay, ushort seed)
    {
        if (!oneWay && IsAfter(source, sourcePort, destination, destinationPort))
        {
            (source, destination) = (destination, source);
            (sourcePort, destinationPort) = (destinationPort, sourcePort);
        }

        Span<byte> input = stackalloc byte[2 + source.Length + destination.Length + 2 + 4];
        BinaryPrimitives.WriteUInt16BigEndian(input, seed);
        source.CopyTo(input[2..]);
        destination.CopyTo(input[(2 + source.Length)..]);
        int at = 2 + source.Length + destination.Length;
        input[at] = protocol;
        input[at + 1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(input[(at + 2)..], sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(input[(at + 4)..], destinationPort);
        Span<byte> digest = stackalloc byte[SHA1.HashSizeInBytes];
#pragma warning disable CA5350 // The specification fixes SHA-1: this is an interoperable identifier, not security.
        SHA1.HashData(input, digest);
#pragma warning restore CA5350
        return VersionPrefix + Convert.ToBase64String(digest);
    }

    private static bool IsAfter(byte[] source, ushort sourcePort, byte[] destination, ushort destinationPort)
    {
        int order = source.AsSpan().SequenceCompareTo(destination);
        return order > 0 || (order == 0 && sourcePort > destinationPort);
    }

    // ICMPv4 request/response pairs: echo, router advertisement/solicitation, timestamp, information, address mask.
    private static int IcmpCounterpart(byte type) => type switch
    {
        8 => 0,
        0 => 8,
        13 => 14,
        14 => 13,
        15 => 16,
        16 => 15,
        10 => 9,
        9 => 10,
        17 => 18,
        18 => 17,
        _ => -1,
    };

    // ICMPv6 pairs: echo, router and neighbour discovery, multicast listener query/report, node information, home agent.
    private static int Icmpv6Counterpart(byte type) => type switch
    {
        128 => 129,
        129 => 128,
        133 => 134,
        134 => 133,
        135 => 136,
        136 => 135,
        130 => 131,
        131 => 130,
        139 => 140,
        140 => 139,
        144 => 145,
        145 => 144,
        _ => -1,
    };
}
