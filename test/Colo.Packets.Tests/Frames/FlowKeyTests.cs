using System.Net;
using Colo.Packets.Frames;
using Colo.TestSupport.Frames;

namespace Colo.Packets.Tests.Frames;

public sealed class FlowKeyTests
{
    private const uint Address1 = 0x0A000001; // 10.0.0.1
    private const uint Address2 = 0x0A000002; // 10.0.0.2

    private static FlowKey Tcp4(ushort sourcePort = 80, ushort destinationPort = 1234, byte vlanCount = 0,
        ushort outerVlanId = 0, ushort innerVlanId = 0) =>
        new(4, IpProtocol.Tcp, Address1, sourcePort, Address2, destinationPort, vlanCount, outerVlanId, innerVlanId);

    private static FlowKey Parse(byte[] frame)
    {
        Assert.Equal(ParseStatus.Ok, FrameParser.TryParse(frame, 0, out PacketInfo info));
        return FlowKey.From(frame, info);
    }

    [Fact]
    public void Equals_SameFields_EqualWithSameHash()
    {
        // Arrange
        FlowKey first = Tcp4(vlanCount: 1, outerVlanId: 10);
        FlowKey second = Tcp4(vlanCount: 1, outerVlanId: 10);

        // Act
        bool equal = first.Equals(second);

        // Assert
        Assert.True(equal);
        Assert.True(first == second);
        Assert.False(first != second);
        Assert.True(first.Equals((object)second));
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    [Fact]
    public void From_SameFrameParsedTwice_EqualWithSameHash()
    {
        // Arrange
        byte[] frame = FrameLayers.Ipv6Tcp(Payloads.Counting(3));

        // Act
        FlowKey first = Parse(frame);
        FlowKey second = Parse(frame.ToArray());

        // Assert
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    [Fact]
    public void From_DifferentPayloadsOfOneConnection_SameKey()
    {
        // Arrange
        byte[] first = FrameLayers.Ipv4Tcp(Payloads.Counting(3));
        byte[] second = FrameLayers.PadTo(FrameLayers.Ipv4Tcp([]), 60);

        // Act
        FlowKey firstKey = Parse(first);
        FlowKey secondKey = Parse(second);

        // Assert
        Assert.Equal(firstKey, secondKey);
    }

    [Fact]
    public void Equals_DifferentOuterVlanId_NotEqual()
    {
        // Arrange
        FlowKey first = Tcp4(vlanCount: 1, outerVlanId: 10);
        FlowKey second = Tcp4(vlanCount: 1, outerVlanId: 11);

        // Act
        bool equal = first == second;

        // Assert
        Assert.False(equal);
    }

    [Fact]
    public void Equals_DifferentInnerVlanId_NotEqual()
    {
        // Arrange
        FlowKey first = Tcp4(vlanCount: 2, outerVlanId: 10, innerVlanId: 20);
        FlowKey second = Tcp4(vlanCount: 2, outerVlanId: 10, innerVlanId: 21);

        // Act
        bool equal = first == second;

        // Assert
        Assert.False(equal);
    }

    [Fact]
    public void Equals_TaggedAndUntagged_NotEqual()
    {
        // Arrange: VLAN id 0 is a priority tag, still a different L2 path than no tag.
        FlowKey tagged = Tcp4(vlanCount: 1, outerVlanId: 0);
        FlowKey untagged = Tcp4();

        // Act
        bool equal = tagged == untagged;

        // Assert
        Assert.False(equal);
    }

    [Fact]
    public void Equals_SameNumericAddressesDifferentIpVersion_NotEqual()
    {
        // Arrange: 10.0.0.1 and ::10.0.0.1 hold the same 128-bit value.
        FlowKey v4 = new(4, IpProtocol.Tcp, Address1, 80, Address2, 1234);
        FlowKey v6 = new(6, IpProtocol.Tcp, Address1, 80, Address2, 1234);

        // Act
        bool equal = v4 == v6;

        // Assert
        Assert.False(equal);
    }

    [Theory]
    [InlineData(81, 1234)]
    [InlineData(80, 1235)]
    [InlineData(1234, 80)]
    public void Equals_DifferentPorts_NotEqual(ushort sourcePort, ushort destinationPort)
    {
        // Arrange
        FlowKey first = Tcp4();
        FlowKey second = Tcp4(sourcePort, destinationPort);

        // Act
        bool equal = first == second;

        // Assert
        Assert.False(equal);
    }

    [Fact]
    public void Equals_DifferentProtocol_NotEqual()
    {
        // Arrange
        FlowKey tcp = Tcp4();
        FlowKey udp = new(4, IpProtocol.Udp, Address1, 80, Address2, 1234);

        // Act
        bool equal = tcp == udp;

        // Assert
        Assert.False(equal);
    }

    [Fact]
    public void Equals_SwappedAddresses_NotEqual()
    {
        // Arrange: keys are directional.
        FlowKey forward = new(4, IpProtocol.Tcp, Address1, 80, Address2, 80);
        FlowKey reverse = new(4, IpProtocol.Tcp, Address2, 80, Address1, 80);

        // Act
        bool equal = forward == reverse;

        // Assert
        Assert.False(equal);
    }

    [Fact]
    public void From_Ipv4Fragment_FragmentFlowWithoutPorts()
    {
        // Arrange: a first fragment still carries the TCP header bytes.
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, Payloads.Counting(8)), flagsFragment: 0x2000));

        // Act
        FlowKey key = Parse(frame);

        // Assert
        Assert.True(key.IsFragmentFlow);
        Assert.Equal(0, key.SourcePort);
        Assert.Equal(0, key.DestinationPort);
        Assert.Equal(IpProtocol.Tcp, key.Protocol);
    }

    [Fact]
    public void From_Ipv4FragmentAndUnfragmentedPacketOfSamePair_DifferentFlows()
    {
        // Arrange
        byte[] fragment = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, Payloads.Counting(8), flagsFragment: 100));
        byte[] whole = FrameLayers.Ipv4Tcp([]);

        // Act
        FlowKey fragmentKey = Parse(fragment);
        FlowKey wholeKey = Parse(whole);

        // Assert
        Assert.NotEqual(fragmentKey, wholeKey);
    }

    [Fact]
    public void From_Ipv6FragmentsOfOnePair_ShareOneFlow()
    {
        // Arrange
        byte[] first = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(IpProtocol.Ipv6Fragment,
            FrameLayers.Ipv6Fragment(IpProtocol.Udp, 0, true, 7, FrameLayers.Udp(1, 2, Payloads.Counting(8)))));
        byte[] last = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(IpProtocol.Ipv6Fragment,
            FrameLayers.Ipv6Fragment(IpProtocol.Udp, 16, false, 7, Payloads.Counting(5))));

        // Act
        FlowKey firstKey = Parse(first);
        FlowKey lastKey = Parse(last);

        // Assert
        Assert.Equal(firstKey, lastKey);
        Assert.True(firstKey.IsFragmentFlow);
    }

    [Fact]
    public void From_QinQFrame_CarriesBothVlanIds()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4, FrameLayers.Ipv4(IpProtocol.Tcp,
            FrameLayers.Tcp(80, 1234, [])), 0, (FrameLayers.Tpid8021AD, 10), (FrameLayers.Tpid8021Q, 20));

        // Act
        FlowKey key = Parse(frame);

        // Assert
        Assert.Equal(2, key.VlanCount);
        Assert.Equal(10, key.OuterVlanId);
        Assert.Equal(20, key.InnerVlanId);
    }

    [Fact]
    public void From_Ipv6Frame_ReportsAddresses()
    {
        // Arrange
        byte[] frame = FrameLayers.Ipv6Tcp([]);

        // Act
        FlowKey key = Parse(frame);

        // Assert
        Assert.Equal(6, key.IpVersion);
        Assert.Equal(IPAddress.Parse("2001:db8::1"), key.SourceAddress);
        Assert.Equal(IPAddress.Parse("2001:db8::2"), key.DestinationAddress);
    }

    [Fact]
    public void ToString_Ipv4Tcp_FormatsAddressesAndPorts()
    {
        // Arrange
        FlowKey key = Tcp4();

        // Act
        string text = key.ToString();

        // Assert
        Assert.Equal("tcp 10.0.0.1:80 -> 10.0.0.2:1234", text);
    }

    [Fact]
    public void ToString_Ipv6Udp_BracketsAddresses()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6,
            FrameLayers.Ipv6(IpProtocol.Udp, FrameLayers.Udp(5353, 53, [])));
        FlowKey key = Parse(frame);

        // Act
        string text = key.ToString();

        // Assert
        Assert.Equal("udp [2001:db8::1]:5353 -> [2001:db8::2]:53", text);
    }

    [Fact]
    public void ToString_OneVlanTag_PrefixesVlanId()
    {
        // Arrange
        FlowKey key = Tcp4(vlanCount: 1, outerVlanId: 10);

        // Act
        string text = key.ToString();

        // Assert
        Assert.Equal("vlan 10 tcp 10.0.0.1:80 -> 10.0.0.2:1234", text);
    }

    [Fact]
    public void ToString_TwoVlanTags_PrefixesOuterAndInnerIds()
    {
        // Arrange
        FlowKey key = Tcp4(vlanCount: 2, outerVlanId: 10, innerVlanId: 20);

        // Act
        string text = key.ToString();

        // Assert
        Assert.Equal("vlan 10/20 tcp 10.0.0.1:80 -> 10.0.0.2:1234", text);
    }

    [Fact]
    public void ToString_IcmpEcho_OmitsIdentifier()
    {
        // Arrange
        FlowKey key = new(4, IpProtocol.Icmp, Address1, 0x4242, Address2, 0);

        // Act
        string text = key.ToString();

        // Assert
        Assert.Equal("icmp 10.0.0.1 -> 10.0.0.2", text);
    }

    [Fact]
    public void ToString_FragmentFlow_NamesFragmentsWithoutPorts()
    {
        // Arrange
        FlowKey key = new(4, IpProtocol.Udp, Address1, 0, Address2, 0, fragment: true);

        // Act
        string text = key.ToString();

        // Assert
        Assert.Equal("udp fragments 10.0.0.1 -> 10.0.0.2", text);
    }

    [Fact]
    public void ToString_UnnamedProtocol_UsesNumber()
    {
        // Arrange
        FlowKey key = new(4, 132, Address1, 0, Address2, 0);

        // Act
        string text = key.ToString();

        // Assert
        Assert.Equal("132 10.0.0.1 -> 10.0.0.2", text);
    }
}
