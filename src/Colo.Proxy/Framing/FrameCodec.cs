using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Colo.Proxy.Framing;

/// <summary>
/// QEMU's socket chardev framing, as filter-redirector and colo-compare speak it:
/// <code>
/// +----------------+---------------------------+----------------------+
/// | BE32 len       | BE32 vnet_hdr_len         | len bytes (frame)    |
/// |                | (only with vnet_hdr_support) |                   |
/// +----------------+---------------------------+----------------------+
/// </code>
/// Nothing in the stream says whether the vnet word is present: both ends are configured alike.
/// </summary>
public static class FrameCodec
{
    /// <summary>Size of the length word.</summary>
    public const int LengthFieldLength = 4;

    /// <summary>Size of the optional vnet header length word.</summary>
    public const int VnetFieldLength = 4;

    /// <summary>QEMU's receive buffer: 64 KiB GSO frame plus 4 KiB (NET_BUFSIZE).</summary>
    public const int DefaultMaxFrameLength = 69632;

    /// <summary>The largest virtio-net header (virtio_net_hdr_v1_hash).</summary>
    public const int MaxVnetHeaderLength = 20;

    /// <summary>Bytes before the frame.</summary>
    public static int HeaderLength(bool vnetHeader) => vnetHeader ? LengthFieldLength + VnetFieldLength : LengthFieldLength;

    /// <summary>
    /// Reads one frame from <paramref name="buffer"/>. Returns false when the buffer holds no complete frame (nothing is
    /// consumed). On success <paramref name="buffer"/> is advanced past the frame and <paramref name="frame"/> slices it.
    /// Throws <see cref="FrameTooLargeException"/> when the length word exceeds <paramref name="maxFrameLength"/>: the
    /// stream cannot be resynchronised, the connection must be closed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadFrame(ref ReadOnlySequence<byte> buffer, bool vnetHeader, int maxFrameLength,
        out ReadOnlySequence<byte> frame, out int vnetHeaderLength)
    {
        int headerLength = HeaderLength(vnetHeader);
        frame = default;
        vnetHeaderLength = 0;
        if (buffer.Length < headerLength)
            return false;

        Span<byte> header = stackalloc byte[LengthFieldLength + VnetFieldLength];
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first.Length >= headerLength)
            first[..headerLength].CopyTo(header);
        else
            buffer.Slice(0, headerLength).CopyTo(header);

        uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
        if (length > (uint)maxFrameLength)
            ThrowFrameTooLarge(length, maxFrameLength);
        if (vnetHeader)
            vnetHeaderLength = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(header[LengthFieldLength..]), int.MaxValue);

        if (buffer.Length - headerLength < length)
            return false;
        frame = buffer.Slice(headerLength, length);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    /// <summary>
    /// Reads one frame header from a contiguous <paramref name="buffer"/>: false when it holds no complete frame. On
    /// success the frame is the <paramref name="frameLength"/> bytes after <see cref="HeaderLength"/>. Throws
    /// <see cref="FrameTooLargeException"/> like the sequence overload.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryReadFrame(ReadOnlySpan<byte> buffer, bool vnetHeader, int maxFrameLength, out int frameLength,
        out int vnetHeaderLength)
    {
        int headerLength = HeaderLength(vnetHeader);
        frameLength = 0;
        vnetHeaderLength = 0;
        if (buffer.Length < headerLength)
            return false;
        uint length = BinaryPrimitives.ReadUInt32BigEndian(buffer);
        if (length > (uint)maxFrameLength)
            ThrowFrameTooLarge(length, maxFrameLength);
        if (vnetHeader)
            vnetHeaderLength = (int)Math.Min(BinaryPrimitives.ReadUInt32BigEndian(buffer[LengthFieldLength..]), int.MaxValue);
        if ((uint)(buffer.Length - headerLength) < length)
            return false;
        frameLength = (int)length;
        return true;
    }

    /// <summary>Writes one framed frame (the vnet word only when <paramref name="vnetHeader"/>).</summary>
    public static void WriteFrame(IBufferWriter<byte> writer, ReadOnlySpan<byte> frame, bool vnetHeader, int vnetHeaderLength)
    {
        int headerLength = HeaderLength(vnetHeader);
        Span<byte> span = writer.GetSpan(headerLength + frame.Length);
        WriteHeader(span, frame.Length, vnetHeader, vnetHeaderLength);
        frame.CopyTo(span[headerLength..]);
        writer.Advance(headerLength + frame.Length);
    }

    /// <summary>Writes the words before a frame of <paramref name="frameLength"/> bytes; returns how many bytes that is.</summary>
    public static int WriteHeader(Span<byte> destination, int frameLength, bool vnetHeader, int vnetHeaderLength)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)frameLength);
        if (!vnetHeader)
            return LengthFieldLength;
        BinaryPrimitives.WriteUInt32BigEndian(destination[LengthFieldLength..], (uint)vnetHeaderLength);
        return LengthFieldLength + VnetFieldLength;
    }

    /// <summary>Writes a frame into a byte array (tests, notify messages).</summary>
    public static byte[] Encode(ReadOnlySpan<byte> frame, bool vnetHeader = false, int vnetHeaderLength = 0)
    {
        var writer = new ArrayBufferWriter<byte>(HeaderLength(vnetHeader) + frame.Length);
        WriteFrame(writer, frame, vnetHeader, vnetHeaderLength);
        return writer.WrittenSpan.ToArray();
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowFrameTooLarge(uint length, int max) => throw new FrameTooLargeException(length, max);
}
