using System.Buffers;
using Colo.Proxy.Framing;

namespace Colo.Proxy.Tests.Framing;

public class FrameCodecTests
{
    private static readonly byte[] Payload = [1, 2, 3, 4, 5, 6, 7, 8, 9];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryReadFrame_EverySplitPoint_ReadsTheSameFrame(bool vnet)
    {
        byte[] wire = [.. FrameCodec.Encode(Payload, vnet, 4), .. FrameCodec.Encode([42], vnet, 0)];
        for (int split = 0; split <= wire.Length; split++)
        {
            ReadOnlySequence<byte> buffer = TestSequence.Create(wire[..split], wire[split..]);

            Assert.True(FrameCodec.TryReadFrame(ref buffer, vnet, 100, out ReadOnlySequence<byte> first, out int firstVnet));
            Assert.True(FrameCodec.TryReadFrame(ref buffer, vnet, 100, out ReadOnlySequence<byte> second, out _));

            Assert.Equal(Payload, first.ToArray());
            Assert.Equal(vnet ? 4 : 0, firstVnet);
            Assert.Equal([42], second.ToArray());
            Assert.True(buffer.IsEmpty);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TryReadFrameSpan_EveryPrefix_CompleteOnlyWithTheWholeFrame(bool vnet)
    {
        byte[] wire = FrameCodec.Encode(Payload, vnet, 4);
        for (int length = 0; length < wire.Length; length++)
            Assert.False(FrameCodec.TryReadFrame(wire.AsSpan(0, length), vnet, 100, out _, out _));

        Assert.True(FrameCodec.TryReadFrame(wire, vnet, 100, out int frameLength, out int vnetLength));
        Assert.Equal(Payload, wire.AsSpan(FrameCodec.HeaderLength(vnet), frameLength).ToArray());
        Assert.Equal(vnet ? 4 : 0, vnetLength);
    }

    [Fact]
    public void TryReadFrameSpan_LengthAboveMaximum_ThrowsWithTheValue()
    {
        byte[] wire = FrameCodec.Encode(new byte[101]);

        var ex = Assert.Throws<FrameTooLargeException>(() => FrameCodec.TryReadFrame(wire.AsSpan(0, 4), false, 100, out _, out _));

        Assert.Equal(101u, ex.Length);
    }

    [Fact]
    public void TryReadFrame_Incomplete_ConsumesNothing()
    {
        byte[] wire = FrameCodec.Encode(Payload);
        for (int length = 0; length < wire.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(wire[..length]);

            Assert.False(FrameCodec.TryReadFrame(ref buffer, false, 100, out _, out _));
            Assert.Equal(length, buffer.Length);
        }
    }

    [Fact]
    public void TryReadFrame_LengthAboveMaximum_ThrowsWithTheValue()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0x00, 0x01, 0x10, 0x01 });

        var ex = Assert.Throws<FrameTooLargeException>(() =>
            FrameCodec.TryReadFrame(ref buffer, false, FrameCodec.DefaultMaxFrameLength, out _, out _));

        Assert.Equal(69633u, ex.Length);
        Assert.Contains("69633", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadFrame_ZeroLength_ReturnsEmptyFrame()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[] { 0, 0, 0, 0 });

        Assert.True(FrameCodec.TryReadFrame(ref buffer, false, 100, out ReadOnlySequence<byte> frame, out _));

        Assert.True(frame.IsEmpty);
    }

    [Fact]
    public void Encode_WithVnetWord_WritesBigEndianLengthAndVnet()
    {
        byte[] wire = FrameCodec.Encode([0xAA, 0xBB], vnetHeader: true, vnetHeaderLength: 12);

        Assert.Equal(new byte[] { 0, 0, 0, 2, 0, 0, 0, 12, 0xAA, 0xBB }, wire);
    }
}
