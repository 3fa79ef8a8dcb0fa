using System.Net;
using System.Net.NetworkInformation;
using Colo.Packets.Frames;
using CsCheck;
using PacketDotNet;
using PacketDotNet.Utils;

namespace Colo.Packets.Tests.Frames;

/// <summary>
/// Cross-checks <see cref="FrameParser"/> against PacketDotNet on random valid Ethernet / optional 802.1Q tag /
/// IPv4 or IPv6 / TCP or UDP frames built and re-parsed by PacketDotNet.
/// </summary>
public sealed class FrameParserOracleTests
{
    private const long Iterations = 1_000;

    /// <summary>One generated frame: everything PacketDotNet needs to build it.</summary>
    private sealed record FrameSpec(
        bool Ipv6,
        bool Tcp,
        int VlanId,
        byte[] SourceAddress,
        byte[] DestinationAddress,
        ushort SourcePort,
        ushort DestinationPort,
        uint Sequence,
        uint Acknowledgment,
        ushort Flags,
        ushort Window,
        byte[] TcpOptions,
        byte HopLimit,
        byte[] Payload);

    /// <summary>Sequence numbers around the serial-number wrap, mixed with random ones.</summary>
    private static readonly uint[] SerialEdges = [0, 1, 0x7FFFFFFF, 0xFFFFFFF5, 0xFFFFFFFF];

    // Ports PacketDotNet decodes into inner packets (Wake-on-LAN, DHCP, L2TP, Teredo) would hide the payload bytes.
    private static readonly Gen<ushort> GenPort =
        Gen.UShort.Where(port => port is not (0 or 7 or 9 or 67 or 68 or 1701 or 3544));

    private static readonly Gen<FrameSpec> GenFrame =
        from ipv6 in Gen.Bool
        from tcp in Gen.Bool
        from vlanId in Gen.Int[-8192, 4095].Select(id => Math.Max(id, -1)) // about one in three tagged
        from source in Gen.Byte.Array[ipv6 ? 16 : 4]
        from destination in Gen.Byte.Array[ipv6 ? 16 : 4]
        from sourcePort in GenPort
        from destinationPort in GenPort
        from sequenceChoice in Gen.Int[0, SerialEdges.Length * 2]
        from randomSequence in Gen.UInt
        from acknowledgment in Gen.UInt
        from flags in Gen.UShort[0, 0x1FF]
        from window in Gen.UShort
        from optionWords in Gen.Int[0, 10]
        from options in Gen.Byte.Array[optionWords * 4]
        from hopLimit in Gen.Byte
        from payload in Gen.Byte.Array[0, 1500]
        select new FrameSpec(ipv6, tcp, vlanId, source, destination, sourcePort, destinationPort,
            sequenceChoice < SerialEdges.Length ? SerialEdges[sequenceChoice] : randomSequence,
            acknowledgment, flags, window, options, hopLimit, payload);

    [Fact]
    public void TryParse_GeneratedFrames_AgreesWithPacketDotNetOnAddressesAndPorts()
    {
        GenFrame.Sample(spec =>
        {
            // Arrange
            byte[] frame = Build(spec);
            Packet oracle = Packet.ParsePacket(LinkLayers.Ethernet, frame);
            IPPacket ip = oracle.Extract<IPPacket>();
            TransportPacket transport = oracle.Extract<TransportPacket>();

            // Act
            ParseStatus status = FrameParser.TryParse(frame, 0, out PacketInfo info);
            FlowKey key = FlowKey.From(frame, info);

            // Assert
            Assert.Equal(ParseStatus.Ok, status);
            Assert.Equal(ip.SourceAddress, key.SourceAddress);
            Assert.Equal(ip.DestinationAddress, key.DestinationAddress);
            Assert.Equal(transport.SourcePort, info.SourcePort);
            Assert.Equal(transport.DestinationPort, info.DestinationPort);
            Assert.Equal(transport.SourcePort, key.SourcePort);
            Assert.Equal(transport.DestinationPort, key.DestinationPort);
        }, iter: Iterations, threads: 1);
    }

    [Fact]
    public void TryParse_GeneratedFrames_AgreesWithPacketDotNetOnNetworkFields()
    {
        GenFrame.Sample(spec =>
        {
            // Arrange
            byte[] frame = Build(spec);
            Packet oracle = Packet.ParsePacket(LinkLayers.Ethernet, frame);
            IPPacket ip = oracle.Extract<IPPacket>();
            Ieee8021QPacket? vlan = oracle.Extract<Ieee8021QPacket>();

            // Act
            FrameParser.TryParse(frame, 0, out PacketInfo info);

            // Assert
            Assert.Equal(ip.Version == IPVersion.IPv6 ? 6 : 4, info.IpVersion);
            Assert.Equal((byte)ip.Protocol, info.Protocol);
            Assert.Equal(ip is IPv6Packet v6 ? v6.HopLimit : ((IPv4Packet)ip).TimeToLive, info.HopLimit);
            Assert.Equal(vlan is null ? 0 : 1, info.VlanCount);
            Assert.Equal(spec.VlanId < 0 ? 0 : 1, info.VlanCount);
            Assert.Equal(vlan?.VlanIdentifier ?? 0, info.OuterVlanId);
            Assert.False(info.IsFragment);
        }, iter: Iterations, threads: 1);
    }

    [Fact]
    public void TryParse_GeneratedTcpFrames_AgreesWithPacketDotNetOnTcpHeader()
    {
        GenFrame.Where(spec => spec.Tcp).Sample(spec =>
        {
            // Arrange
            byte[] frame = Build(spec);
            TcpPacket tcp = Packet.ParsePacket(LinkLayers.Ethernet, frame).Extract<TcpPacket>();

            // Act
            FrameParser.TryParse(frame, 0, out PacketInfo info);

            // Assert
            Assert.Equal(tcp.SequenceNumber, info.TcpSequence);
            Assert.Equal(tcp.AcknowledgmentNumber, info.TcpAcknowledgment);
            Assert.Equal((TcpFlags)(tcp.Flags & 0xFF), info.TcpFlags);
            Assert.Equal(tcp.WindowSize, info.TcpWindow);
            Assert.Equal(tcp.DataOffset * 4, info.TransportHeaderLength);
            Assert.Equal(TcpPacket.HeaderMinimumLength + spec.TcpOptions.Length, info.TransportHeaderLength);
        }, iter: Iterations, threads: 1);
    }

    [Fact]
    public void TryParse_GeneratedFrames_AgreesWithPacketDotNetOnPayloadBytes()
    {
        GenFrame.Sample(spec =>
        {
            // Arrange
            byte[] frame = Build(spec);
            TransportPacket transport = Packet.ParsePacket(LinkLayers.Ethernet, frame).Extract<TransportPacket>();
            byte[] expected = transport.HasPayloadData ? transport.PayloadData
                : transport.HasPayloadPacket ? transport.PayloadPacket.Bytes
                : [];

            // Act
            FrameParser.TryParse(frame, 0, out PacketInfo info);

            // Assert
            Assert.Equal(expected, frame.AsSpan(info.PayloadOffset, info.PayloadLength).ToArray());
            Assert.Equal(spec.Payload, expected);
        }, iter: Iterations, threads: 1);
    }

    /// <summary>Builds the frame with PacketDotNet and serializes it after updating lengths and checksums.</summary>
    private static byte[] Build(FrameSpec spec)
    {
        TransportPacket transport;
        if (spec.Tcp)
        {
            // PacketDotNet sizes a TCP header built from values at 20 bytes; options need a longer header segment.
            var header = new byte[TcpPacket.HeaderMinimumLength + spec.TcpOptions.Length];
            spec.TcpOptions.CopyTo(header, TcpPacket.HeaderMinimumLength);
            header[12] = (byte)((header.Length / 4) << 4);
            transport = new TcpPacket(new ByteArraySegment(header))
            {
                SourcePort = spec.SourcePort,
                DestinationPort = spec.DestinationPort,
                SequenceNumber = spec.Sequence,
                AcknowledgmentNumber = spec.Acknowledgment,
                Flags = spec.Flags,
                WindowSize = spec.Window,
                PayloadData = spec.Payload,
            };
        }
        else
        {
            transport = new UdpPacket(spec.SourcePort, spec.DestinationPort) { PayloadData = spec.Payload };
        }

        IPPacket ip = spec.Ipv6
            ? new IPv6Packet(new IPAddress(spec.SourceAddress), new IPAddress(spec.DestinationAddress))
            {
                HopLimit = spec.HopLimit,
            }
            : new IPv4Packet(new IPAddress(spec.SourceAddress), new IPAddress(spec.DestinationAddress))
            {
                TimeToLive = spec.HopLimit,
            };
        ip.PayloadPacket = transport;
        ip.Protocol = spec.Tcp ? PacketDotNet.ProtocolType.Tcp : PacketDotNet.ProtocolType.Udp;

        EthernetType ipType = spec.Ipv6 ? EthernetType.IPv6 : EthernetType.IPv4;
        var ethernet = new EthernetPacket(PhysicalAddress.Parse("52-54-00-12-34-01"),
            PhysicalAddress.Parse("52-54-00-12-34-02"), spec.VlanId < 0 ? ipType : EthernetType.VLanTaggedFrame);
        if (spec.VlanId < 0)
        {
            ethernet.PayloadPacket = ip;
        }
        else
        {
            var tag = new Ieee8021QPacket(new ByteArraySegment(new byte[4]))
            {
                VlanIdentifier = (ushort)spec.VlanId,
                // Before Type: setting the payload first materializes the (empty) parsed payload by Type.
                PayloadPacket = ip,
                Type = ipType,
            };
            ethernet.PayloadPacket = tag;
        }

        ethernet.UpdateCalculatedValues();
        ip.UpdateCalculatedValues();
        transport.UpdateCalculatedValues();
        if (transport is TcpPacket tcpPacket)
            tcpPacket.UpdateTcpChecksum();
        else
            ((UdpPacket)transport).UpdateUdpChecksum();
        return ethernet.Bytes;
    }
}
