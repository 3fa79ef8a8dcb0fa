using System.Buffers.Binary;
using Colo.TestSupport.Frames;

namespace Colo.Differential.Tests.Harness;

/// <summary>
/// The harness's own frames, on a flow no scenario uses (UDP 10.255.255.1 > 10.255.255.2, port 9 for barriers, 10 for markers):
/// a <b>barrier</b> is sent identically on both inputs and is released once both inputs were read up to it;
/// a <b>marker</b> is sent on the primary only, so it stays queued until a checkpoint flushes it.
/// </summary>
internal static class ControlFrames
{
    public const byte Barrier = (byte)'B';
    public const byte Marker = (byte)'M';

    private const ushort BarrierPort = 9;
    private const ushort MarkerPort = 10;
    private const int PayloadOffset = FrameBuilder.EthernetHeaderLength + FrameBuilder.Ipv4HeaderLength + FrameBuilder.UdpHeaderLength;
    private const int PayloadLength = 9;
    private const int Ipv4SourceOffset = FrameBuilder.EthernetHeaderLength + 12;

    private static readonly FlowAddress Address = FlowAddress.V4(10, 255, 255, 1, 10, 255, 255, 2);

    public static byte[] Create(byte kind, long id)
    {
        Span<byte> payload = stackalloc byte[PayloadLength];
        payload[0] = kind;
        BinaryPrimitives.WriteInt64BigEndian(payload[1..], id);
        // Separate flows: a queued marker must never meet a barrier in the same queue.
        var port = kind == Barrier ? BarrierPort : MarkerPort;
        return FrameBuilder.Udp(payload, port, port, Address, ipId: 0, ttl: 64);
    }

    public static bool TryRead(ReadOnlySpan<byte> frame, out byte kind, out long id)
    {
        kind = 0;
        id = 0;
        if (frame.Length != PayloadOffset + PayloadLength
            || BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) != 0x0800
            || !frame.Slice(Ipv4SourceOffset, 4).SequenceEqual(Address.Source))
        {
            return false;
        }

        kind = frame[PayloadOffset];
        id = BinaryPrimitives.ReadInt64BigEndian(frame[(PayloadOffset + 1)..]);
        return true;
    }
}
