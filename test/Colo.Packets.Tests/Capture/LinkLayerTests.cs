using System.Buffers.Binary;
using Colo.Packets.Capture;
using Colo.Packets.Frames;
using Colo.TestSupport.Capture;
using Colo.TestSupport.Frames;

namespace Colo.Packets.Tests.Capture;

/// <summary>Captures from <c>tcpdump -i any</c>, tun devices and loopbacks become the Ethernet frames a comparator sees.</summary>
public sealed class LinkLayerTests
{
    private static readonly byte[] SenderMac = [0x02, 0x00, 0x00, 0x77, 0x00, 0x01];

    [Fact]
    public void TryToEthernet_LinuxSll_KeepsIpPacketAndSenderMac()
    {
        byte[] ip = FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(8080, 35008, "hello"u8.ToArray()));
        byte[] sll = [.. Sll(0x0800), .. ip];

        byte[] ethernet = ToEthernet(LinkType.LinuxSll, sll);

        Assert.Equal(SenderMac, ethernet[6..12]);
        AssertTcpPorts(ethernet, 8080, 35008, ip);
    }

    [Fact]
    public void TryToEthernet_LinuxSll2_KeepsIpv6Packet()
    {
        byte[] ip = FrameLayers.Ipv6(IpProtocol.Tcp, FrameLayers.Tcp(8080, 35008, "hello"u8.ToArray()));
        byte[] sll2 = [.. Sll2(0x86DD), .. ip];

        byte[] ethernet = ToEthernet(LinkType.LinuxSll2, sll2);

        Assert.Equal(SenderMac, ethernet[6..12]);
        Assert.Equal(FrameParser.EtherTypeIpv6, BinaryPrimitives.ReadUInt16BigEndian(ethernet.AsSpan(12)));
        Assert.Equal(ip, ethernet[14..]);
    }

    [Theory]
    [InlineData(LinkType.Raw, 4)]
    [InlineData(LinkType.Raw, 6)]
    [InlineData(LinkType.Ipv4, 4)]
    [InlineData(LinkType.Ipv6, 6)]
    public void TryToEthernet_RawIp_EtherTypeFromIpVersion(LinkType linkType, int version)
    {
        byte[] ip = version == 4
            ? FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, "x"u8.ToArray()))
            : FrameLayers.Ipv6(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, "x"u8.ToArray()));

        byte[] ethernet = ToEthernet(linkType, ip);

        Assert.Equal(version == 4 ? FrameParser.EtherTypeIpv4 : FrameParser.EtherTypeIpv6, BinaryPrimitives.ReadUInt16BigEndian(ethernet.AsSpan(12)));
        Assert.Equal(ip, ethernet[14..]);
        Assert.Equal(ParseStatus.Ok, FrameParser.TryParse(ethernet, 0, out _));
    }

    [Fact]
    public void TryToEthernet_ShortSllHeader_False()
    {
        byte[] buffer = new byte[64];

        Assert.False(LinkLayer.TryToEthernet(LinkType.LinuxSll, new byte[10], buffer, out _));
    }

    [Fact]
    public void TryToEthernet_UnknownLinkType_FalseAndNotComparable()
    {
        const LinkType usb = (LinkType)189;

        Assert.False(LinkLayer.IsComparable(usb));
        Assert.False(LinkLayer.TryToEthernet(usb, new byte[40], new byte[64], out _));
    }

    private static byte[] ToEthernet(LinkType linkType, byte[] packet)
    {
        byte[] buffer = new byte[packet.Length + LinkLayer.MaxHeaderGrowth];
        Assert.True(LinkLayer.TryToEthernet(linkType, packet, buffer, out int length));
        return buffer[..length];
    }

    private static void AssertTcpPorts(byte[] ethernet, ushort source, ushort destination, byte[] ip)
    {
        Assert.Equal(ParseStatus.Ok, FrameParser.TryParse(ethernet, 0, out PacketInfo info));
        Assert.Equal(source, info.SourcePort);
        Assert.Equal(destination, info.DestinationPort);
        Assert.Equal(ip, ethernet[14..]);
    }

    internal static byte[] Sll(ushort protocol) => LinuxCookedHeaders.Sll(protocol, SenderMac);

    internal static byte[] Sll2(ushort protocol) => LinuxCookedHeaders.Sll2(protocol, SenderMac, interfaceIndex: 2);
}
