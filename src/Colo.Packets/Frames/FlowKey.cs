using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;

namespace Colo.Packets.Frames;

/// <summary>
/// Identifies a flow in one direction (guest to outside): VLAN ids, IP version, addresses, protocol, ports
/// (TCP/UDP) or the ICMP echo identifier. Both replicas' frames of one connection map to the same key because the
/// secondary was already rewritten into the primary's address and port space. A value type: no allocation per frame.
/// </summary>
public readonly struct FlowKey : IEquatable<FlowKey>
{
    private readonly UInt128 _source;
    private readonly UInt128 _destination;
    private readonly uint _ports;
    private readonly uint _vlans;
    private readonly byte _ipVersion;
    private readonly byte _protocol;
    private readonly byte _vlanCount;
    private readonly byte _fragment;

    public FlowKey(byte ipVersion, byte protocol, UInt128 source, ushort sourcePort, UInt128 destination,
        ushort destinationPort, byte vlanCount = 0, ushort outerVlanId = 0, ushort innerVlanId = 0, bool fragment = false)
    {
        _ipVersion = ipVersion;
        _protocol = protocol;
        _source = source;
        _destination = destination;
        _ports = ((uint)sourcePort << 16) | destinationPort;
        _vlanCount = vlanCount;
        _vlans = ((uint)outerVlanId << 16) | innerVlanId;
        _fragment = fragment ? (byte)1 : (byte)0;
    }

    /// <summary>Builds the key of a parsed IP frame.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static FlowKey From(ReadOnlySpan<byte> frame, in PacketInfo info)
    {
        int addressLength = info.IpVersion == 6 ? 16 : 4;
        UInt128 source = ReadAddress(frame.Slice(info.SourceAddressOffset, addressLength));
        UInt128 destination = ReadAddress(frame.Slice(info.DestinationAddressOffset, addressLength));
        // Fragments carry no ports; they form their own flow per address pair and protocol.
        bool ports = !info.IsFragment;
        return new FlowKey(info.IpVersion, info.Protocol, source, ports ? info.SourcePort : (ushort)0, destination,
            ports ? info.DestinationPort : (ushort)0, info.VlanCount, info.OuterVlanId, info.InnerVlanId, info.IsFragment);
    }

    /// <summary>
    /// Builds the key of a frame that is not IP: MAC addresses, EtherType (in <see cref="SourcePort"/>) and VLAN ids;
    /// IP version and protocol are 0.
    /// </summary>
    public static FlowKey FromNonIp(ReadOnlySpan<byte> frame, in PacketInfo info)
    {
        ReadOnlySpan<byte> eth = frame[info.EthernetOffset..];
        UInt128 destination = ((ulong)BinaryPrimitives.ReadUInt32BigEndian(eth) << 16) | BinaryPrimitives.ReadUInt16BigEndian(eth[4..]);
        UInt128 source = ((ulong)BinaryPrimitives.ReadUInt32BigEndian(eth[6..]) << 16) | BinaryPrimitives.ReadUInt16BigEndian(eth[10..]);
        return new FlowKey(0, 0, source, info.EtherType, destination, 0, info.VlanCount, info.OuterVlanId, info.InnerVlanId);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static UInt128 ReadAddress(ReadOnlySpan<byte> address) => address.Length == 16
        ? BinaryPrimitives.ReadUInt128BigEndian(address)
        : BinaryPrimitives.ReadUInt32BigEndian(address);

    /// <summary>The same addresses, protocol and VLANs as a whole-datagram flow with these ports (for reassembled fragments).</summary>
    public FlowKey WithPorts(ushort sourcePort, ushort destinationPort) =>
        new(_ipVersion, _protocol, _source, sourcePort, _destination, destinationPort, _vlanCount, OuterVlanId, InnerVlanId);

    public byte IpVersion => _ipVersion;
    public byte Protocol => _protocol;
    public ushort SourcePort => (ushort)(_ports >> 16);
    public ushort DestinationPort => (ushort)_ports;
    public byte VlanCount => _vlanCount;
    public ushort OuterVlanId => (ushort)(_vlans >> 16);
    public ushort InnerVlanId => (ushort)_vlans;

    /// <summary>True for the flow that collects IP fragments of one address pair and protocol.</summary>
    public bool IsFragmentFlow => _fragment != 0;

    /// <summary>The source address (allocates: for reports only).</summary>
    public IPAddress SourceAddress => ToAddress(_source);

    /// <summary>The destination address (allocates: for reports only).</summary>
    public IPAddress DestinationAddress => ToAddress(_destination);

    private IPAddress ToAddress(UInt128 value)
    {
        if (_ipVersion == 6)
        {
            Span<byte> bytes = stackalloc byte[16];
            BinaryPrimitives.WriteUInt128BigEndian(bytes, value);
            return new IPAddress(bytes);
        }
        Span<byte> v4 = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(v4, (uint)value);
        return new IPAddress(v4);
    }

    public bool Equals(FlowKey other) =>
        _source == other._source && _destination == other._destination && _ports == other._ports
        && _vlans == other._vlans && _ipVersion == other._ipVersion && _protocol == other._protocol
        && _vlanCount == other._vlanCount && _fragment == other._fragment;

    public override bool Equals(object? obj) => obj is FlowKey other && Equals(other);

    public override int GetHashCode()
    {
        // Cheap mixing of the fields that vary most between flows; Dictionary handles the rest.
        ulong h = (ulong)_source ^ ((ulong)(_source >> 64) * 0x9E3779B97F4A7C15UL);
        h ^= ((ulong)_destination + ((ulong)(_destination >> 64) << 1)) * 0xC2B2AE3D27D4EB4FUL;
        h ^= ((ulong)_ports << 24) ^ ((ulong)_vlans << 3) ^ ((ulong)_protocol << 56) ^ _fragment;
        h *= 0x165667B19E3779F9UL;
        return (int)(h ^ (h >> 32));
    }

    public static bool operator ==(FlowKey left, FlowKey right) => left.Equals(right);

    public static bool operator !=(FlowKey left, FlowKey right) => !left.Equals(right);

    /// <summary>"tcp 10.0.0.1:80 -> 10.0.0.2:1234" (with "vlan 10/20 " first when tagged).</summary>
    public override string ToString()
    {
        string vlan = _vlanCount switch
        {
            0 => "",
            1 => string.Create(CultureInfo.InvariantCulture, $"vlan {OuterVlanId} "),
            _ => string.Create(CultureInfo.InvariantCulture, $"vlan {OuterVlanId}/{InnerVlanId} "),
        };
        if (_ipVersion == 0)
            return string.Create(CultureInfo.InvariantCulture, $"{vlan}ethertype 0x{SourcePort:x4} {Mac(_source)} -> {Mac(_destination)}");
        string name = IpProtocol.Name(_protocol) + (IsFragmentFlow ? " fragments" : "");
        bool hasPorts = _protocol is IpProtocol.Tcp or IpProtocol.Udp && !IsFragmentFlow;
        string src = FormatEndpoint(SourceAddress, hasPorts ? SourcePort : null);
        string dst = FormatEndpoint(DestinationAddress, hasPorts ? DestinationPort : null);
        return $"{vlan}{name} {src} -> {dst}";
    }

    private static string Mac(UInt128 value)
    {
        ulong v = (ulong)value;
        return string.Create(CultureInfo.InvariantCulture,
            $"{(byte)(v >> 40):x2}:{(byte)(v >> 32):x2}:{(byte)(v >> 24):x2}:{(byte)(v >> 16):x2}:{(byte)(v >> 8):x2}:{(byte)v:x2}");
    }

    /// <summary>The source as text: the IP address, or the MAC address of a non-IP flow (allocates: for reports).</summary>
    public string SourceText => _ipVersion == 0 ? Mac(_source) : SourceAddress.ToString();

    /// <summary>The destination as text: the IP address, or the MAC address of a non-IP flow.</summary>
    public string DestinationText => _ipVersion == 0 ? Mac(_destination) : DestinationAddress.ToString();

    private static string FormatEndpoint(IPAddress address, ushort? port)
    {
        if (port is null)
            return address.ToString();
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? string.Create(CultureInfo.InvariantCulture, $"[{address}]:{port}")
            : string.Create(CultureInfo.InvariantCulture, $"{address}:{port}");
    }
}
