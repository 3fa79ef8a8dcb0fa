using System.Buffers.Binary;
using Colo.Packets.Frames;
using Colo.TestSupport.Frames;

namespace Colo.Packets.Tests.Frames;

public sealed class FrameParserTests
{
    private const int Ipv4TransportOffset = FrameParser.EthernetHeaderLength + FrameParser.Ipv4MinHeaderLength;
    private const int Ipv6TransportOffset = FrameParser.EthernetHeaderLength + FrameParser.Ipv6HeaderLength;

    // ---- IPv4 and TCP ----

    [Fact]
    public void TryParse_Ipv4TcpWithOptions_ReportsTcpHeaderFields()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4, FrameLayers.Ipv4(IpProtocol.Tcp,
            FrameLayers.Tcp(443, 51000, Payloads.Counting(5), sequence: 0xFFFFFFF5, acknowledgment: 0x7FFFFFFF,
                flags: TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece | TcpFlags.Cwr, window: 0x1234, optionsLength: 12)));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(IpProtocol.Tcp, info.Protocol);
        Assert.Equal(443, info.SourcePort);
        Assert.Equal(51000, info.DestinationPort);
        Assert.Equal(0xFFFFFFF5u, info.TcpSequence);
        Assert.Equal(0x7FFFFFFFu, info.TcpAcknowledgment);
        Assert.Equal(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece | TcpFlags.Cwr, info.TcpFlags);
        Assert.Equal(0x1234, info.TcpWindow);
    }

    [Fact]
    public void TryParse_Ipv4TcpWithDataOffset8_PayloadStartsAfterOptions()
    {
        // Arrange
        byte[] frame = FrameLayers.Ipv4Tcp(Payloads.Counting(5), tcpOptionsLength: 12);

        // Act
        FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(Ipv4TransportOffset, info.TransportOffset);
        Assert.Equal(32, info.TransportHeaderLength);
        Assert.Equal(Ipv4TransportOffset + 32, info.PayloadOffset);
        Assert.Equal(5, info.PayloadLength);
        Assert.Equal(Payloads.Counting(5), frame.AsSpan(info.PayloadOffset, info.PayloadLength).ToArray());
    }

    [Fact]
    public void TryParse_Ipv4Tcp_ReportsNetworkLayout()
    {
        // Arrange
        byte[] frame = FrameLayers.Ipv4Tcp(Payloads.Counting(7));

        // Act
        FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(0, info.EthernetOffset);
        Assert.Equal(0, info.VlanCount);
        Assert.Equal(FrameParser.EtherTypeIpv4, info.EtherType);
        Assert.Equal(4, info.IpVersion);
        Assert.Equal(FrameParser.EthernetHeaderLength, info.NetworkOffset);
        Assert.Equal(FrameParser.Ipv4MinHeaderLength, info.NetworkHeaderLength);
        Assert.Equal(frame.Length, info.NetworkEnd);
        Assert.Equal(FrameParser.EthernetHeaderLength + 12, info.SourceAddressOffset);
        Assert.Equal(FrameParser.EthernetHeaderLength + 16, info.DestinationAddressOffset);
        Assert.Equal(64, info.HopLimit);
        Assert.False(info.IsFragment);
        Assert.True(info.HasTransportHeader);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void TryParse_ShortTcpFramePaddedTo60Bytes_PayloadLengthFromIpTotalLength(int payloadLength)
    {
        // Arrange
        byte[] frame = FrameLayers.PadTo(FrameLayers.Ipv4Tcp(Payloads.Counting(payloadLength)), 60);

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(60, frame.Length);
        Assert.Equal(payloadLength, info.PayloadLength);
        Assert.Equal(Ipv4TransportOffset + FrameParser.TcpMinHeaderLength + payloadLength, info.NetworkEnd);
    }

    [Fact]
    public void TryParse_UdpFramePaddedTo60BytesWith6BytePayload_PayloadLengthIs6()
    {
        // Arrange
        byte[] frame = FrameLayers.PadTo(FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Udp, FrameLayers.Udp(5353, 53, Payloads.Counting(6)))), 60);

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(6, info.PayloadLength);
        Assert.Equal(Ipv4TransportOffset + 8 + 6, info.NetworkEnd);
    }

    [Fact]
    public void TryParse_Ipv4WithOptions_TransportStartsAfterIhl()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, Payloads.Counting(3)), optionsLength: 4));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(24, info.NetworkHeaderLength);
        Assert.Equal(Ipv4TransportOffset + 4, info.TransportOffset);
        Assert.Equal(80, info.SourcePort);
        Assert.Equal(3, info.PayloadLength);
    }

    [Fact]
    public void TryParse_Ipv4FirstFragment_IsFragmentWithoutTransportHeader()
    {
        // Arrange: MF set, offset 0; the TCP header is present but a fragment is compared raw.
        byte[] ipPayload = FrameLayers.Tcp(80, 1234, Payloads.Counting(16));
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, ipPayload, flagsFragment: 0x2000, identification: 0xBEEF));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.True(info.IsFragment);
        Assert.True(info.MoreFragments);
        Assert.Equal(0, info.FragmentOffset);
        Assert.Equal(0xBEEFu, info.FragmentId);
        Assert.False(info.HasTransportHeader);
        Assert.Equal(0, info.SourcePort);
        Assert.Equal(Ipv4TransportOffset, info.PayloadOffset);
        Assert.Equal(ipPayload.Length, info.PayloadLength);
    }

    [Fact]
    public void TryParse_Ipv4LastFragment_ReportsFragmentOffsetInBytes()
    {
        // Arrange: MF clear, offset 185 units = 1480 bytes; the payload is not a TCP header.
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, Payloads.Counting(3), flagsFragment: 185));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.True(info.IsFragment);
        Assert.False(info.MoreFragments);
        Assert.Equal(1480, info.FragmentOffset);
        Assert.False(info.HasTransportHeader);
        Assert.Equal(3, info.PayloadLength);
    }

    [Fact]
    public void TryParse_Ipv4DontFragmentSet_IsNotFragment()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, []), flagsFragment: 0x4000));

        // Act
        FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.False(info.IsFragment);
        Assert.True(info.HasTransportHeader);
    }

    // ---- UDP, ICMP, other protocols ----

    [Fact]
    public void TryParse_Ipv4Udp_ReportsPortsAndPayload()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Udp, FrameLayers.Udp(5353, 53, Payloads.Counting(9))));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(IpProtocol.Udp, info.Protocol);
        Assert.Equal(5353, info.SourcePort);
        Assert.Equal(53, info.DestinationPort);
        Assert.Equal(FrameParser.UdpHeaderLength, info.TransportHeaderLength);
        Assert.Equal(Ipv4TransportOffset + 8, info.PayloadOffset);
        Assert.Equal(Payloads.Counting(9), frame.AsSpan(info.PayloadOffset, info.PayloadLength).ToArray());
    }

    [Fact]
    public void TryParse_UdpLengthShorterThanIpPayload_PayloadLengthFromUdpLength()
    {
        // Arrange: UDP says 8 + 4, the IP packet carries 8 + 9.
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Udp, FrameLayers.Udp(5353, 53, Payloads.Counting(9), length: 12)));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(4, info.PayloadLength);
    }

    [Fact]
    public void TryParse_IcmpEchoRequest_IdentifierInSourcePort()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Icmp, FrameLayers.Icmp(8, 0, 0x4242, 7, Payloads.Counting(4))));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(IpProtocol.Icmp, info.Protocol);
        Assert.Equal(8, info.IcmpType);
        Assert.Equal(0, info.IcmpCode);
        Assert.Equal(0x4242, info.SourcePort);
        Assert.Equal(0, info.DestinationPort);
    }

    [Fact]
    public void TryParse_IcmpEcho_PayloadIsWholeMessage()
    {
        // Arrange
        byte[] message = FrameLayers.Icmp(0, 0, 0x4242, 7, Payloads.Counting(4));
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4, FrameLayers.Ipv4(IpProtocol.Icmp, message));

        // Act
        FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.True(info.HasTransportHeader);
        Assert.Equal(Ipv4TransportOffset, info.PayloadOffset);
        Assert.Equal(message, frame.AsSpan(info.PayloadOffset, info.PayloadLength).ToArray());
    }

    [Fact]
    public void TryParse_IcmpDestinationUnreachable_NoIdentifier()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Icmp, FrameLayers.Icmp(3, 1, 0x4242, 7, Payloads.Counting(4))));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(3, info.IcmpType);
        Assert.Equal(0, info.SourcePort);
    }

    [Fact]
    public void TryParse_Icmpv6EchoRequest_IdentifierInSourcePort()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6,
            FrameLayers.Ipv6(IpProtocol.Icmpv6, FrameLayers.Icmp(128, 0, 0x0102, 1, Payloads.Counting(8))));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(IpProtocol.Icmpv6, info.Protocol);
        Assert.Equal(128, info.IcmpType);
        Assert.Equal(0x0102, info.SourcePort);
        Assert.Equal(16, info.PayloadLength);
    }

    [Fact]
    public void TryParse_Gre_PayloadIsIpPayloadWithoutTransportHeader()
    {
        // Arrange
        byte[] grePayload = Payloads.Counting(24);
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4, FrameLayers.Ipv4(IpProtocol.Gre, grePayload));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(IpProtocol.Gre, info.Protocol);
        Assert.False(info.HasTransportHeader);
        Assert.Equal(0, info.SourcePort);
        Assert.Equal(Ipv4TransportOffset, info.PayloadOffset);
        Assert.Equal(grePayload, frame.AsSpan(info.PayloadOffset, info.PayloadLength).ToArray());
    }

    [Fact]
    public void TryParse_Arp_ReturnsNotIp()
    {
        // Arrange
        byte[] frame = FrameLayers.PadTo(FrameLayers.Ethernet(FrameLayers.EtherTypeArp, Payloads.Counting(28)), 60);

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.NotIp, status);
        Assert.Equal(FrameLayers.EtherTypeArp, info.EtherType);
        Assert.Equal(0, info.IpVersion);
    }

    // ---- IPv6 ----

    [Fact]
    public void TryParse_Ipv6Tcp_ReportsNetworkLayout()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6,
            FrameLayers.Ipv6(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, Payloads.Counting(5)), hopLimit: 255));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(6, info.IpVersion);
        Assert.Equal(FrameParser.Ipv6HeaderLength, info.NetworkHeaderLength);
        Assert.Equal(FrameParser.EthernetHeaderLength + 8, info.SourceAddressOffset);
        Assert.Equal(FrameParser.EthernetHeaderLength + 24, info.DestinationAddressOffset);
        Assert.Equal(255, info.HopLimit);
        Assert.Equal(Ipv6TransportOffset, info.TransportOffset);
        Assert.Equal(5, info.PayloadLength);
    }

    [Fact]
    public void TryParse_Ipv6PaddedFrame_PayloadLengthFromIpv6PayloadLength()
    {
        // Arrange
        byte[] frame = FrameLayers.PadTo(FrameLayers.Ipv6Tcp(Payloads.Counting(2)), 100);

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(Ipv6TransportOffset + 20 + 2, info.NetworkEnd);
        Assert.Equal(2, info.PayloadLength);
    }

    [Fact]
    public void TryParse_Ipv6HopByHopRoutingDestinationOptionsThenTcp_WalksToTcp()
    {
        // Arrange: hop-by-hop (8 bytes), routing (24 bytes), destination options (16 bytes), TCP.
        byte[] tcp = FrameLayers.Tcp(8080, 1234, Payloads.Counting(5), sequence: 77);
        byte[] chain = FrameLayers.Ipv6Extension(IpProtocol.Ipv6Routing, 0,
            FrameLayers.Ipv6Extension(IpProtocol.Ipv6DestinationOptions, 2,
                FrameLayers.Ipv6Extension(IpProtocol.Tcp, 1, tcp)));
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(IpProtocol.HopByHop, chain));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(IpProtocol.Tcp, info.Protocol);
        Assert.Equal(40 + 8 + 24 + 16, info.NetworkHeaderLength);
        Assert.Equal(Ipv6TransportOffset + 48, info.TransportOffset);
        Assert.Equal(8080, info.SourcePort);
        Assert.Equal(77u, info.TcpSequence);
        Assert.Equal(Payloads.Counting(5), frame.AsSpan(info.PayloadOffset, info.PayloadLength).ToArray());
    }

    [Fact]
    public void TryParse_Ipv6FragmentHeader_ReportsFragmentFields()
    {
        // Arrange: offset 1232 bytes, more fragments, 32-bit identification.
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(IpProtocol.Ipv6Fragment,
            FrameLayers.Ipv6Fragment(IpProtocol.Udp, 1232, true, 0xCAFEBABE, Payloads.Counting(16))));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.True(info.IsFragment);
        Assert.True(info.MoreFragments);
        Assert.Equal(1232, info.FragmentOffset);
        Assert.Equal(0xCAFEBABEu, info.FragmentId);
        Assert.Equal(IpProtocol.Udp, info.Protocol);
    }

    [Fact]
    public void TryParse_Ipv6Fragment_NoTransportHeaderParsed()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(IpProtocol.Ipv6Fragment,
            FrameLayers.Ipv6Fragment(IpProtocol.Udp, 1232, false, 1, Payloads.Counting(16))));

        // Act
        FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.False(info.HasTransportHeader);
        Assert.Equal(0, info.SourcePort);
        Assert.Equal(48, info.NetworkHeaderLength);
        Assert.Equal(Ipv6TransportOffset + 8, info.PayloadOffset);
        Assert.Equal(16, info.PayloadLength);
    }

    [Fact]
    public void TryParse_Ipv6EightExtensionHeaders_ReturnsOk()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(
            IpProtocol.Ipv6DestinationOptions, FrameLayers.ExtensionChain(8, IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, []))));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(40 + (8 * 8), info.NetworkHeaderLength);
        Assert.Equal(80, info.SourcePort);
    }

    // ---- VLAN tags and virtio-net header ----

    [Fact]
    public void TryParse_OneVlanTag_ReportsOuterVlanId()
    {
        // Arrange: PCP 7 and DEI set around VLAN id 10.
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, [])), 0, (FrameLayers.Tpid8021Q, 0xF00A));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(1, info.VlanCount);
        Assert.Equal(10, info.OuterVlanId);
        Assert.Equal(0, info.InnerVlanId);
        Assert.Equal(FrameParser.EtherTypeIpv4, info.EtherType);
        Assert.Equal(18, info.NetworkOffset);
        Assert.Equal(80, info.SourcePort);
    }

    [Fact]
    public void TryParse_QinQTags_ReportsOuterAndInnerVlanIds()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(IpProtocol.Tcp,
            FrameLayers.Tcp(80, 1234, [])), 0, (FrameLayers.Tpid8021AD, 100), (FrameLayers.Tpid8021Q, 4095));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(2, info.VlanCount);
        Assert.Equal(100, info.OuterVlanId);
        Assert.Equal(4095, info.InnerVlanId);
        Assert.Equal(22, info.NetworkOffset);
        Assert.Equal(80, info.SourcePort);
    }

    [Fact]
    public void TryParse_ThreeVlanTags_ReturnsTooManyVlanTags()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, [])), 0,
            (FrameLayers.Tpid8021AD, 1), (FrameLayers.Tpid8021Q, 2), (FrameLayers.Tpid8021Q, 3));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.TooManyVlanTags, status);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(12)]
    public void TryParse_VnetHeader_EthernetStartsAfterIt(int vnetHeaderLength)
    {
        // Arrange: a non-zero virtio-net header that must not be read as Ethernet.
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, Payloads.Counting(3))), vnetHeaderLength);
        frame.AsSpan(0, vnetHeaderLength).Fill(0x81);

        // Act
        ParseStatus status = FrameParser.TryParse(frame, vnetHeaderLength, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(vnetHeaderLength, info.EthernetOffset);
        Assert.Equal(vnetHeaderLength + 14, info.NetworkOffset);
        Assert.Equal(vnetHeaderLength + 14 + 12, info.SourceAddressOffset);
        Assert.Equal(80, info.SourcePort);
        Assert.Equal(Payloads.Counting(3), frame.AsSpan(info.PayloadOffset, info.PayloadLength).ToArray());
    }

    // ---- Malformed frames ----

    [Theory]
    [InlineData(0, 0)]
    [InlineData(13, 0)]
    [InlineData(23, 10)]
    [InlineData(25, 12)]
    [InlineData(60, -1)]
    public void TryParse_ShorterThanVnetAndEthernetHeader_ReturnsTruncatedEthernet(int length, int vnetHeaderLength)
    {
        // Arrange
        byte[] frame = FrameLayers.PadTo(FrameLayers.Ipv4Tcp([]), 60)[..length];

        // Act
        ParseStatus status = FrameParser.TryParse(frame, vnetHeaderLength, out _);

        // Assert
        Assert.Equal(ParseStatus.TruncatedEthernet, status);
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(int.MaxValue - 13)]
    [InlineData(int.MaxValue - 14)]
    public void TryParse_VnetHeaderLengthNearIntMaxValue_ReturnsTruncatedEthernet(int vnetHeaderLength)
    {
        // Arrange
        byte[] frame = FrameLayers.Ipv4Tcp([]);

        // Act
        ParseStatus status = FrameParser.TryParse(frame, vnetHeaderLength, out _);

        // Assert
        Assert.Equal(ParseStatus.TruncatedEthernet, status);
    }

    [Theory]
    [InlineData(14)]
    [InlineData(17)]
    public void TryParse_FirstVlanTagCutShort_ReturnsTruncatedVlanTag(int length)
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4, [], 0, (FrameLayers.Tpid8021Q, 10))[..length];

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.TruncatedVlanTag, status);
    }

    [Fact]
    public void TryParse_SecondVlanTagCutShort_ReturnsTruncatedVlanTag()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4, [], 0,
            (FrameLayers.Tpid8021AD, 10), (FrameLayers.Tpid8021Q, 20))[..20];

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.TruncatedVlanTag, status);
    }

    [Fact]
    public void TryParse_Ipv4HeaderCutShort_ReturnsTruncatedIpHeader()
    {
        // Arrange
        byte[] frame = FrameLayers.Ipv4Tcp([])[..(FrameParser.EthernetHeaderLength + 19)];

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.TruncatedIpHeader, status);
    }

    [Fact]
    public void TryParse_Ipv6HeaderCutShort_ReturnsTruncatedIpHeader()
    {
        // Arrange
        byte[] frame = FrameLayers.Ipv6Tcp([])[..(FrameParser.EthernetHeaderLength + 39)];

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.TruncatedIpHeader, status);
    }

    [Fact]
    public void TryParse_Ipv4EtherTypeWithVersion6_ReturnsBadIpVersion()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, []), versionIhl: 0x65));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadIpVersion, status);
    }

    [Fact]
    public void TryParse_Ipv6EtherTypeWithVersion4_ReturnsBadIpVersion()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6,
            FrameLayers.Ipv6(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, []), version: 4));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadIpVersion, status);
    }

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x44)]
    public void TryParse_Ipv4IhlBelow5_ReturnsBadIpHeaderLength(byte versionIhl)
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, []), versionIhl: versionIhl));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadIpHeaderLength, status);
    }

    [Fact]
    public void TryParse_Ipv4IhlBeyondFrame_ReturnsBadIpHeaderLength()
    {
        // Arrange: IHL 15 (60 bytes) with 30 bytes of IP packet.
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Gre, Payloads.Counting(10), versionIhl: 0x4F));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadIpHeaderLength, status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(19)]
    public void TryParse_Ipv4TotalLengthBelowHeader_ReturnsBadIpTotalLength(int totalLength)
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, []), totalLength: totalLength));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadIpTotalLength, status);
    }

    [Fact]
    public void TryParse_Ipv4TotalLengthBeyondFrame_ReturnsBadIpTotalLength()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, []), totalLength: 41));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadIpTotalLength, status);
    }

    [Fact]
    public void TryParse_Ipv6PayloadLengthBeyondFrame_ReturnsBadIpTotalLength()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6,
            FrameLayers.Ipv6(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, []), payloadLength: 21));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadIpTotalLength, status);
    }

    [Fact]
    public void TryParse_Ipv6ExtensionLengthPastPacket_ReturnsBadExtensionHeader()
    {
        // Arrange: hop-by-hop claims 48 bytes, the packet carries 8 + 20.
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(IpProtocol.HopByHop,
            FrameLayers.Ipv6Extension(IpProtocol.Tcp, 0, FrameLayers.Tcp(80, 1234, []))));
        frame[Ipv6TransportOffset + 1] = 5;

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadExtensionHeader, status);
    }

    [Fact]
    public void TryParse_Ipv6ExtensionHeaderCutByPayloadLength_ReturnsBadExtensionHeader()
    {
        // Arrange: the IPv6 payload length leaves 4 bytes for an 8-byte routing header; padding follows.
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(IpProtocol.Ipv6Routing,
            FrameLayers.Ipv6Extension(IpProtocol.Ipv6NoNext, 0, []), payloadLength: 4));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadExtensionHeader, status);
    }

    [Fact]
    public void TryParse_Ipv6NineExtensionHeaders_ReturnsTooManyExtensionHeaders()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(
            IpProtocol.Ipv6DestinationOptions, FrameLayers.ExtensionChain(9, IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, []))));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.TooManyExtensionHeaders, status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void TryParse_TcpDataOffsetBelow5_ReturnsBadTcpHeader(int dataOffsetWords)
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4, FrameLayers.Ipv4(IpProtocol.Tcp,
            FrameLayers.Tcp(80, 1234, Payloads.Counting(8), dataOffsetWords: dataOffsetWords)));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadTcpHeader, status);
    }

    [Fact]
    public void TryParse_TcpDataOffsetBeyondSegment_ReturnsBadTcpHeader()
    {
        // Arrange: data offset 6 (24 bytes) in a 20-byte segment, followed by frame padding.
        byte[] frame = FrameLayers.PadTo(FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, [], dataOffsetWords: 6))), 60);

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadTcpHeader, status);
    }

    [Fact]
    public void TryParse_TcpSegmentShorterThan20_ReturnsBadTcpHeader()
    {
        // Arrange
        byte[] frame = FrameLayers.PadTo(FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, FrameLayers.Tcp(80, 1234, [])[..19])), 60);

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadTcpHeader, status);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    public void TryParse_UdpLengthBelow8_ReturnsBadUdpHeader(int udpLength)
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Udp, FrameLayers.Udp(5353, 53, Payloads.Counting(4), length: udpLength)));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadUdpHeader, status);
    }

    [Fact]
    public void TryParse_UdpLengthBeyondIpPayload_ReturnsBadUdpHeader()
    {
        // Arrange: UDP claims 13 bytes, the IP payload is 12, padding follows.
        byte[] frame = FrameLayers.PadTo(FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Udp, FrameLayers.Udp(5353, 53, Payloads.Counting(4), length: 13))), 60);

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadUdpHeader, status);
    }

    [Fact]
    public void TryParse_UdpShorterThanHeader_ReturnsBadUdpHeader()
    {
        // Arrange
        byte[] frame = FrameLayers.Ethernet(FrameParser.EtherTypeIpv6,
            FrameLayers.Ipv6(IpProtocol.Udp, FrameLayers.Udp(5353, 53, [])[..7]));

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadUdpHeader, status);
    }

    [Theory]
    [InlineData(IpProtocol.Icmp, 0)]
    [InlineData(IpProtocol.Icmp, 3)]
    [InlineData(IpProtocol.Icmpv6, 3)]
    public void TryParse_IcmpShorterThan4_ReturnsBadIcmpHeader(byte protocol, int length)
    {
        // Arrange
        byte[] message = FrameLayers.Icmp(8, 0, 1, 1, [])[..length];
        byte[] frame = protocol == IpProtocol.Icmp
            ? FrameLayers.Ethernet(FrameParser.EtherTypeIpv4, FrameLayers.Ipv4(protocol, message))
            : FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(protocol, message));

        // Act
        ParseStatus status = FrameParser.TryParse(FrameLayers.PadTo(frame, 60), 0, out _);

        // Assert
        Assert.Equal(ParseStatus.BadIcmpHeader, status);
    }

    [Fact]
    public void TryParse_IcmpEchoOf4Bytes_OkWithoutIdentifier()
    {
        // Arrange
        byte[] frame = FrameLayers.PadTo(FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Icmp, FrameLayers.Icmp(8, 0, 0x4242, 1, [])[..4])), 60);

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal(0, info.SourcePort);
        Assert.Equal(4, info.PayloadLength);
    }

    [Fact]
    public void TryParse_TcpFlagsByte_ReadsOnlyTheLowFlagByte()
    {
        // Arrange: the NS bit (low bit of byte 12) is set next to the data offset.
        byte[] frame = FrameLayers.Ipv4Tcp([]);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(Ipv4TransportOffset + 12), 0x51FF);

        // Act
        ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);

        // Assert
        Assert.Equal(ParseStatus.Ok, status);
        Assert.Equal((TcpFlags)0xFF, info.TcpFlags);
        Assert.Equal(20, info.TransportHeaderLength);
    }
}
