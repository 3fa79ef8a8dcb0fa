using System.Buffers.Binary;
using Colo.Differential.Tests.Harness;
using Colo.Packets.Frames;
using Colo.TestSupport.Frames;

namespace Colo.Differential.Tests;

/// <summary>The hand-built frames are realistic: valid IPv4 header and L4 checksums, padding only where e1000 pads.</summary>
public sealed class FrameBuilderTests
{
    private static readonly FlowAddress V4 = FlowAddress.V4(10, 0, 0, 1, 172, 16, 0, 1);
    private static readonly FlowAddress V6 = FlowAddress.V6(7, 1);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tcp_AnyPayload_ChecksumsVerify(bool ipv6)
    {
        var address = ipv6 ? V6 : V4;

        var frame = FrameBuilder.Tcp(0xFFFFFFF0, "hello"u8, TcpFlags.Ack | TcpFlags.Psh, acknowledgment: 5, sourcePort: 80, destinationPort: 40000,
            address: address, ipId: 9, ttl: 64, options: FrameBuilder.TimestampOption(1, 1 ^ 0x5a5a5a5a));

        AssertChecksumsVerify(frame, ipv6, IpProtocol.Tcp);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Udp_OddLengthPayload_ChecksumsVerify(bool ipv6)
    {
        var frame = FrameBuilder.Udp("odd"u8, 5353, 53, ipv6 ? V6 : V4, ipId: 1, ttl: 63);

        AssertChecksumsVerify(frame, ipv6, IpProtocol.Udp);
    }

    [Fact]
    public void Tcp_PureAckPadded_PaddedTo60WithIpLengthUnchanged()
    {
        var frame = FrameBuilder.Tcp(1, [], TcpFlags.Ack, acknowledgment: 2, sourcePort: 80, destinationPort: 40000, address: V4, ipId: 3,
            ttl: 64, padTo: FrameBuilder.MinimumFrameLength);

        Assert.Equal(FrameBuilder.MinimumFrameLength, frame.Length);
        Assert.Equal(40, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(16)));
    }

    [Fact]
    public void ControlFrames_CreateThenTryRead_RoundTrips()
    {
        var frame = ControlFrames.Create(ControlFrames.Marker, 123456789);

        Assert.True(ControlFrames.TryRead(frame, out var kind, out var id));
        Assert.Equal(ControlFrames.Marker, kind);
        Assert.Equal(123456789, id);
        Assert.False(ControlFrames.TryRead(FrameBuilder.Udp(new byte[9], 9, 9, V4, ipId: 0, ttl: 64), out _, out _));
    }

    private static void AssertChecksumsVerify(byte[] frame, bool ipv6, byte protocol)
    {
        var ip = frame.AsSpan(FrameBuilder.EthernetHeaderLength);
        uint pseudo;
        ReadOnlySpan<byte> l4;
        if (ipv6)
        {
            l4 = ip[FrameBuilder.Ipv6HeaderLength..];
            pseudo = InternetChecksum.Add(0, ip.Slice(8, 32)) + (uint)l4.Length + protocol;
        }
        else
        {
            Assert.Equal(0, InternetChecksum.Fold(InternetChecksum.Add(0, ip[..FrameBuilder.Ipv4HeaderLength])));
            l4 = ip[FrameBuilder.Ipv4HeaderLength..];
            pseudo = InternetChecksum.Add(0, ip.Slice(12, 8)) + (uint)l4.Length + protocol;
        }

        Assert.Equal(0, InternetChecksum.Fold(InternetChecksum.Add(pseudo, l4)));
    }
}
