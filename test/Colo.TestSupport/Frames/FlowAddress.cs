using System.Net;

namespace Colo.TestSupport.Frames;

/// <summary>
/// Layer 2/3 addressing of one directional flow: optional VLAN tags and IPv4 or IPv6 addresses. Every frame
/// <see cref="FrameBuilder"/> builds takes one; without it a frame goes <see cref="Ipv4"/>.
/// </summary>
/// <param name="Source">4 bytes (IPv4) or 16 bytes (IPv6).</param>
/// <param name="Destination">Same length as <paramref name="Source"/>.</param>
/// <param name="VlanIds">Outer first; empty for an untagged frame, two for QinQ (outer tag 802.1ad).</param>
public sealed record FlowAddress(byte[] Source, byte[] Destination, ushort[] VlanIds)
{
    /// <summary>10.0.0.1 to 10.0.0.2, untagged: the default flow.</summary>
    public static readonly FlowAddress Ipv4 = new(FrameLayers.Ipv4Source, FrameLayers.Ipv4Destination, []);

    /// <summary>2001:db8::1 to 2001:db8::2, untagged.</summary>
    public static readonly FlowAddress Ipv6 = new(FrameLayers.Ipv6Source, FrameLayers.Ipv6Destination, []);

    public bool IsIpv6 => Source.Length == 16;

    /// <summary>IPv4 <c>a.b.c.d</c> to <c>e.f.g.h</c>.</summary>
    public static FlowAddress V4(byte a, byte b, byte c, byte d, byte e, byte f, byte g, byte h, params ushort[] vlanIds) =>
        new([a, b, c, d], [e, f, g, h], vlanIds);

    /// <summary>
    /// IPv6 <c>fd00:S::F:1</c> to <c>fd00:S::F:2</c> (S the scenario number, F the flow): unique local addresses that
    /// keep generated scenarios' flows apart.
    /// </summary>
    public static FlowAddress V6(ushort scenario, byte flow, params ushort[] vlanIds)
    {
        var source = new byte[16];
        var destination = new byte[16];
        source[0] = destination[0] = 0xfd;
        source[2] = destination[2] = (byte)(scenario >> 8);
        source[3] = destination[3] = (byte)scenario;
        source[14] = flow;
        source[15] = 1;
        destination[14] = flow;
        destination[15] = 2;
        return new FlowAddress(source, destination, vlanIds);
    }

    /// <summary>From address text (<c>"10.0.0.2"</c>, <c>"fd00::1"</c>); both must be of one family.</summary>
    public static FlowAddress Between(string source, string destination, params ushort[] vlanIds)
    {
        IPAddress from = IPAddress.Parse(source);
        IPAddress to = IPAddress.Parse(destination);
        if (from.AddressFamily != to.AddressFamily)
            throw new ArgumentException($"{source} and {destination} are not of one address family", nameof(destination));
        return new FlowAddress(from.GetAddressBytes(), to.GetAddressBytes(), vlanIds);
    }

    /// <summary>The same addresses behind <paramref name="vlanIds"/> (outer first).</summary>
    public FlowAddress Tagged(params ushort[] vlanIds) => this with { VlanIds = vlanIds };

    public override string ToString()
    {
        var vlan = VlanIds.Length == 0 ? "" : $" vlan {string.Join('/', VlanIds)}";
        return IsIpv6
            ? $"{new IPAddress(Source)} > {new IPAddress(Destination)}{vlan}"
            : $"{string.Join('.', Source)} > {string.Join('.', Destination)}{vlan}";
    }
}
