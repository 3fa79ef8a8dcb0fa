using System.Buffers.Binary;
using Colo.Differential.Tests.Frames;
using Colo.Differential.Tests.Harness;

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

        var frame = FrameBuilder.Tcp(address, 80, 40000, 0xFFFFFFF0, 5, 0x18, "hello"u8, ipId: 9, ttl: 64, timestamp: 1);

        AssertChecksumsVerify(frame, ipv6, FrameBuilder.ProtocolTcp);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Udp_OddLengthPayload_ChecksumsVerify(bool ipv6)
    {
        var frame = FrameBuilder.Udp(ipv6 ? V6 : V4, 5353, 53, "odd"u8, ipId: 1, ttl: 63);

        AssertChecksumsVerify(frame, ipv6, FrameBuilder.ProtocolUdp);
    }

    [Fact]
    public void Tcp_PureAckPadded_PaddedTo60WithIpLengthUnchanged()
    {
        var frame = FrameBuilder.Tcp(V4, 80, 40000, 1, 2, 0x10, [], ipId: 3, ttl: 64, padTo60: true);

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
        Assert.False(ControlFrames.TryRead(FrameBuilder.Udp(V4, 9, 9, new byte[9], 0, 64), out _, out _));
    }

    private static void AssertChecksumsVerify(byte[] frame, bool ipv6, byte protocol)
    {
        var ip = frame.AsSpan(FrameBuilder.EthernetHeaderLength);
        uint pseudo;
        ReadOnlySpan<byte> l4;
        if (ipv6)
        {
            l4 = ip[FrameBuilder.Ipv6HeaderLength..];
            pseudo = Checksum.Add(0, ip.Slice(8, 32)) + (uint)l4.Length + protocol;
        }
        else
        {
            Assert.Equal(0, Checksum.Fold(Checksum.Add(0, ip[..FrameBuilder.Ipv4HeaderLength])));
            l4 = ip[FrameBuilder.Ipv4HeaderLength..];
            pseudo = Checksum.Add(0, ip.Slice(12, 8)) + (uint)l4.Length + protocol;
        }

        Assert.Equal(0, Checksum.Fold(Checksum.Add(pseudo, l4)));
    }
}
