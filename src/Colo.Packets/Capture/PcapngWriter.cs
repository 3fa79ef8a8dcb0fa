using System.Buffers.Binary;

namespace Colo.Packets.Capture;

/// <summary>
/// Writes pcapng, little-endian: one Section Header Block, one Interface Description Block (if_tsresol = 9, i.e.
/// nanoseconds; snaplen 262144), then one Enhanced Packet Block per record. Block diagrams are in PcapngReader.
/// </summary>
internal sealed class PcapngWriter : CaptureWriter
{
    private const int BlockTypeOffset = 0;
    private const int BlockLengthOffset = 4;
    private const int BlockTrailerLength = 4;

    private const uint SectionHeaderBlockType = 0x0A0D0D0A;
    private const int SectionHeaderLength = 28;
    private const int ByteOrderMagicOffset = 8;
    private const int MajorVersionOffset = 12;
    private const int MinorVersionOffset = 14;
    private const int SectionLengthOffset = 16;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const ushort MajorVersion = 1;
    private const ushort MinorVersion = 0;
    private const long UnknownSectionLength = -1;

    // IDB: LinkType(16) Reserved(16) SnapLen(32), option if_tsresol (code 9, length 1, value 9, 3 bytes padding),
    // opt_endofopt (4 bytes).
    private const uint InterfaceDescriptionBlockType = 1;
    private const int InterfaceDescriptionLength = 32;
    private const int InterfaceLinkTypeOffset = 8;
    private const int InterfaceSnapLengthOffset = 12;
    private const int TimestampResolutionOptionOffset = 16;
    private const ushort TimestampResolutionCode = 9;
    private const byte NanosecondResolution = 9;

    private const uint EnhancedPacketBlockType = 6;
    private const int EnhancedPacketHeaderLength = 28;
    private const int InterfaceIdOffset = 8;
    private const int TimestampHighOffset = 12;
    private const int TimestampLowOffset = 16;
    private const int CapturedLengthOffset = 20;
    private const int OriginalLengthOffset = 24;

    public PcapngWriter(Stream stream, LinkType linkType, bool leaveOpen)
        : base(stream, linkType, leaveOpen)
    {
        Span<byte> header = stackalloc byte[SectionHeaderLength + InterfaceDescriptionLength];
        header.Clear();

        Span<byte> section = header[..SectionHeaderLength];
        WriteBlockFrame(section, SectionHeaderBlockType);
        BinaryPrimitives.WriteUInt32LittleEndian(section[ByteOrderMagicOffset..], ByteOrderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(section[MajorVersionOffset..], MajorVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(section[MinorVersionOffset..], MinorVersion);
        BinaryPrimitives.WriteInt64LittleEndian(section[SectionLengthOffset..], UnknownSectionLength);

        Span<byte> description = header[SectionHeaderLength..];
        WriteBlockFrame(description, InterfaceDescriptionBlockType);
        BinaryPrimitives.WriteUInt16LittleEndian(description[InterfaceLinkTypeOffset..], (ushort)linkType);
        BinaryPrimitives.WriteUInt32LittleEndian(description[InterfaceSnapLengthOffset..], CaptureLimits.DefaultSnapLength);
        Span<byte> option = description[TimestampResolutionOptionOffset..];
        BinaryPrimitives.WriteUInt16LittleEndian(option, TimestampResolutionCode);
        BinaryPrimitives.WriteUInt16LittleEndian(option[2..], 1);
        option[4] = NanosecondResolution;
        // The opt_endofopt that follows is the zeroed bytes 24..27.

        Stream.Write(header);
    }

    private protected override void WriteRecord(ReadOnlySpan<byte> data, long timestampNanoseconds, int originalLength)
    {
        int padding = -data.Length & 3;
        int blockLength = EnhancedPacketHeaderLength + data.Length + padding + BlockTrailerLength;
        ulong units = (ulong)timestampNanoseconds;

        Span<byte> header = stackalloc byte[EnhancedPacketHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header[BlockTypeOffset..], EnhancedPacketBlockType);
        BinaryPrimitives.WriteUInt32LittleEndian(header[BlockLengthOffset..], (uint)blockLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[InterfaceIdOffset..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(header[TimestampHighOffset..], (uint)(units >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(header[TimestampLowOffset..], (uint)units);
        BinaryPrimitives.WriteUInt32LittleEndian(header[CapturedLengthOffset..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[OriginalLengthOffset..], (uint)originalLength);

        Span<byte> trailer = stackalloc byte[3 + BlockTrailerLength];
        trailer.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(trailer[padding..], (uint)blockLength);

        Stream.Write(header);
        Stream.Write(data);
        Stream.Write(trailer[..(padding + BlockTrailerLength)]);
    }

    /// <summary>Writes type and both total-length fields of a block that fills <paramref name="block"/>.</summary>
    private static void WriteBlockFrame(Span<byte> block, uint type)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(block[BlockTypeOffset..], type);
        BinaryPrimitives.WriteUInt32LittleEndian(block[BlockLengthOffset..], (uint)block.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(block[^BlockTrailerLength..], (uint)block.Length);
    }
}
