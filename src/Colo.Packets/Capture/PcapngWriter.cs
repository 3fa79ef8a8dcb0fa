using System.Buffers.Binary;

namespace Colo.Packets.Capture;

/// <summary>
/// Writes pcapng, little-endian: one Section Header Block, one Interface Description Block (if_tsresol = 9, i.e.
/// nanoseconds; snaplen 262144) for the first link type, then one Enhanced Packet Block per record. A record of another
/// link type adds an interface for it first, so one file can keep packets of several link types as they were captured;
/// a record may carry a comment (<c>opt_comment</c>), which Wireshark shows as <c>frame.comment</c>. Block diagrams are
/// in PcapngReader.
/// </summary>
public sealed class PcapngWriter : CaptureWriter
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

    // Packet options after the padded packet data: opt_comment (code 1, UTF-8), then opt_endofopt (code 0, length 0).
    private const ushort CommentOptionCode = 1;
    private const int OptionHeaderLength = 4;

    private readonly List<LinkType> _interfaces = [];

    internal PcapngWriter(Stream stream, LinkType linkType, bool leaveOpen)
        : base(stream, linkType, leaveOpen)
    {
        Span<byte> header = stackalloc byte[SectionHeaderLength];
        header.Clear();

        Span<byte> section = header;
        WriteBlockFrame(section, SectionHeaderBlockType);
        BinaryPrimitives.WriteUInt32LittleEndian(section[ByteOrderMagicOffset..], ByteOrderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(section[MajorVersionOffset..], MajorVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(section[MinorVersionOffset..], MinorVersion);
        BinaryPrimitives.WriteInt64LittleEndian(section[SectionLengthOffset..], UnknownSectionLength);
        Stream.Write(header);
        AddInterface(linkType);
    }

    /// <summary>Creates (or overwrites) a pcapng file, readable and writable by its owner only.</summary>
    public static PcapngWriter CreateFile(string path, LinkType firstLinkType)
    {
        FileStream stream = CreateOwnerOnlyFile(path);
        try
        {
            return new PcapngWriter(stream, firstLinkType, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Appends one packet of <paramref name="linkType"/> (adding an interface for a link type not seen yet) with an
    /// optional <paramref name="comment"/>.
    /// </summary>
    public void Write(ReadOnlySpan<byte> data, long timestampNanoseconds, LinkType linkType, string? comment, int originalLength = -1)
    {
        Validate(data, timestampNanoseconds, ref originalLength);
        int interfaceId = _interfaces.IndexOf(linkType);
        if (interfaceId < 0)
        {
            interfaceId = _interfaces.Count;
            AddInterface(linkType);
        }

        WriteBlock(data, timestampNanoseconds, originalLength, interfaceId, comment);
    }

    private protected override void WriteRecord(ReadOnlySpan<byte> data, long timestampNanoseconds, int originalLength) =>
        WriteBlock(data, timestampNanoseconds, originalLength, interfaceId: 0, comment: null);

    private void AddInterface(LinkType linkType)
    {
        Span<byte> description = stackalloc byte[InterfaceDescriptionLength];
        description.Clear();
        WriteBlockFrame(description, InterfaceDescriptionBlockType);
        BinaryPrimitives.WriteUInt16LittleEndian(description[InterfaceLinkTypeOffset..], (ushort)linkType);
        BinaryPrimitives.WriteUInt32LittleEndian(description[InterfaceSnapLengthOffset..], CaptureLimits.DefaultSnapLength);
        Span<byte> option = description[TimestampResolutionOptionOffset..];
        BinaryPrimitives.WriteUInt16LittleEndian(option, TimestampResolutionCode);
        BinaryPrimitives.WriteUInt16LittleEndian(option[2..], 1);
        option[4] = NanosecondResolution;
        // The opt_endofopt that follows is the zeroed bytes 24..27.

        Stream.Write(description);
        _interfaces.Add(linkType);
    }

    private void WriteBlock(ReadOnlySpan<byte> data, long timestampNanoseconds, int originalLength, int interfaceId, string? comment)
    {
        int padding = -data.Length & 3;
        byte[] commentBytes = comment is null ? [] : System.Text.Encoding.UTF8.GetBytes(comment);
        if (commentBytes.Length > ushort.MaxValue)
        {
            Array.Resize(ref commentBytes, ushort.MaxValue);
        }

        int commentPadding = -commentBytes.Length & 3;
        int optionsLength = comment is null ? 0 : OptionHeaderLength + commentBytes.Length + commentPadding + OptionHeaderLength;
        int blockLength = EnhancedPacketHeaderLength + data.Length + padding + optionsLength + BlockTrailerLength;
        ulong units = (ulong)timestampNanoseconds;

        Span<byte> header = stackalloc byte[EnhancedPacketHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header[BlockTypeOffset..], EnhancedPacketBlockType);
        BinaryPrimitives.WriteUInt32LittleEndian(header[BlockLengthOffset..], (uint)blockLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[InterfaceIdOffset..], (uint)interfaceId);
        BinaryPrimitives.WriteUInt32LittleEndian(header[TimestampHighOffset..], (uint)(units >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(header[TimestampLowOffset..], (uint)units);
        BinaryPrimitives.WriteUInt32LittleEndian(header[CapturedLengthOffset..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[OriginalLengthOffset..], (uint)originalLength);

        Span<byte> zeros = stackalloc byte[OptionHeaderLength];
        zeros.Clear();
        Span<byte> word = stackalloc byte[OptionHeaderLength];

        Stream.Write(header);
        Stream.Write(data);
        Stream.Write(zeros[..padding]);
        if (comment is not null)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(word, CommentOptionCode);
            BinaryPrimitives.WriteUInt16LittleEndian(word[2..], (ushort)commentBytes.Length);
            Stream.Write(word);
            Stream.Write(commentBytes);
            Stream.Write(zeros[..commentPadding]);
            Stream.Write(zeros); // opt_endofopt
        }

        BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)blockLength);
        Stream.Write(word);
    }

    /// <summary>Writes type and both total-length fields of a block that fills <paramref name="block"/>.</summary>
    private static void WriteBlockFrame(Span<byte> block, uint type)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(block[BlockTypeOffset..], type);
        BinaryPrimitives.WriteUInt32LittleEndian(block[BlockLengthOffset..], (uint)block.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(block[^BlockTrailerLength..], (uint)block.Length);
    }
}
