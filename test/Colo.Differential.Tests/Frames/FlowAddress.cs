namespace Colo.Differential.Tests.Frames;

/// <summary>Layer 2/3 addressing of one directional flow: optional VLAN tags and IPv4 or IPv6 addresses.</summary>
/// <param name="Source">4 bytes (IPv4) or 16 bytes (IPv6).</param>
/// <param name="Destination">Same length as <paramref name="Source"/>.</param>
/// <param name="VlanIds">Outer first; empty for an untagged frame, two for QinQ.</param>
internal sealed record FlowAddress(byte[] Source, byte[] Destination, ushort[] VlanIds)
{
    public bool IsIpv6 => Source.Length == 16;

    public static FlowAddress V4(byte a, byte b, byte c, byte d, byte e, byte f, byte g, byte h, params ushort[] vlanIds) =>
        new([a, b, c, d], [e, f, g, h], vlanIds);

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

    public override string ToString()
    {
        var vlan = VlanIds.Length == 0 ? "" : $" vlan {string.Join('/', VlanIds)}";
        return IsIpv6
            ? $"{new System.Net.IPAddress(Source)} > {new System.Net.IPAddress(Destination)}{vlan}"
            : $"{string.Join('.', Source)} > {string.Join('.', Destination)}{vlan}";
    }
}
