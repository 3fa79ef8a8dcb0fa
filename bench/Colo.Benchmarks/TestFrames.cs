using System.Buffers.Binary;

namespace Colo.Benchmarks;

/// <summary>
/// Hand-built Ethernet II / IPv4 / TCP frames for the benchmarks: flow f is 10.1.0.1:80 -> 10.2.H.L:(10000 + f % 50000).
/// Payload bytes are a function of the stream offset, so both sides carry the same stream however it is cut.
/// </summary>
internal static class TestFrames
{
    public const int HeadersLength = 54;
    public const int SequenceOffset = 38;
    public const uint Acknowledgment = 1;

    public static byte[] Build(int flow, int payloadLength, uint sequence, long streamOffset, ushort ipId)
    {
        byte[] frame = new byte[HeadersLength + payloadLength];
        ReadOnlySpan<byte> ethernet = [0x52, 0x54, 0x00, 0x00, 0x00, 0x02, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00];
        ethernet.CopyTo(frame);
        Span<byte> ip = frame.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(40 + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], ipId);
        ip[6] = 0x40;
        ip[8] = 64;
        ip[9] = 6;
        ip[12] = 10;
        ip[13] = 1;
        ip[15] = 1;
        int host = 1 + (flow / 50000);
        ip[16] = 10;
        ip[17] = 2;
        ip[18] = (byte)(host >> 8);
        ip[19] = (byte)host;
        Span<byte> tcp = frame.AsSpan(34, 20);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, 80);
        BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], (ushort)(10000 + (flow % 50000)));
        BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], Acknowledgment);
        tcp[12] = 5 << 4;
        tcp[13] = 0x18; // PSH|ACK
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 502);
        Span<byte> payload = frame.AsSpan(HeadersLength);
        for (int i = 0; i < payload.Length; i++)
            payload[i] = (byte)(((streamOffset + i) * 131) + flow);
        return frame;
    }

    /// <summary>Rewrites the sequence number (the benchmarks replay a frame at ever higher offsets).</summary>
    public static void SetSequence(byte[] frame, uint sequence) =>
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(SequenceOffset), sequence);

    /// <summary>Initial sequence numbers spread over the whole space, several near the wrap.</summary>
    public static uint Isn(int flow) => unchecked((uint)flow * 2654435761u);
}
