using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Colo.Packets.Capture;

/// <summary>
/// Reader of pcapng files: any number of sections (each with its own byte order and interfaces), Interface
/// Description Blocks, Enhanced, Simple and obsolete Packet Blocks. Every other block type is skipped by its length.
/// </summary>
internal sealed class PcapngReader : CaptureReader
{
    // Every block (all fields in the section's byte order):
    //  0                   1                   2                   3
    //  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    // +---------------------------------------------------------------+
    // |                          Block Type                           |  0
    // |                      Block Total Length                       |  4
    // /                          Block Body                           /  8
    // |                      Block Total Length                       |
    // +---------------------------------------------------------------+
    private const int BlockHeaderLength = 8;
    private const int BlockTrailerLength = 4;
    private const int MinBlockLength = BlockHeaderLength + BlockTrailerLength;
    private const int BlockTypeOffset = 0;
    private const int BlockLengthOffset = 4;
    private const int BlockBodyOffset = 8;

    // Section Header Block (type 0x0A0D0D0A, the same in both byte orders):
    // |                   Block Type = 0x0A0D0D0A                     |  0
    // |                      Block Total Length                       |  4
    // |                 Byte-Order Magic = 0x1A2B3C4D                 |  8
    // |     Major Version = 1         |     Minor Version             | 12
    // |              Section Length (64 bits, -1 = unknown)           | 16
    // /                           Options                             / 24
    // |                      Block Total Length                       |
    private const uint SectionHeaderBlockType = 0x0A0D0D0A;
    private const int SectionHeaderPrefixLength = 12;
    private const int ByteOrderMagicOffset = 8;
    private const int MajorVersionOffset = 12;
    private const int MinSectionHeaderLength = 28;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const ushort SupportedMajorVersion = 1;

    // Interface Description Block (type 1):
    // |           LinkType            |           Reserved            |  8
    // |                            SnapLen                            | 12
    // /                           Options                             / 16
    private const uint InterfaceDescriptionBlockType = 1;
    private const int InterfaceLinkTypeOffset = 8;
    private const int InterfaceSnapLengthOffset = 12;
    private const int InterfaceOptionsOffset = 16;
    private const int MinInterfaceDescriptionLength = 20;

    // Option (inside IDB and others): Code(16) Length(16) Value, padded to 32 bits.
    private const int OptionHeaderLength = 4;
    private const ushort EndOfOptionsCode = 0;
    private const ushort TimestampResolutionCode = 9;
    private const ushort TimestampOffsetCode = 14;

    // Enhanced Packet Block (type 6):
    // |                         Interface ID                          |  8
    // |                  Timestamp (High 32 bits)                     | 12
    // |                  Timestamp (Low 32 bits)                      | 16
    // |                    Captured Packet Length                     | 20
    // |                    Original Packet Length                     | 24
    // /              Packet Data (padded to 32 bits)                  / 28
    // /                           Options                             /
    // |                      Block Total Length                       |
    private const uint EnhancedPacketBlockType = 6;
    private const int EnhancedInterfaceIdOffset = 8;
    private const int TimestampHighOffset = 12;
    private const int TimestampLowOffset = 16;
    private const int CapturedLengthOffset = 20;
    private const int OriginalLengthOffset = 24;
    private const int PacketDataOffset = 28;
    private const int MinPacketBlockLength = PacketDataOffset + BlockTrailerLength;

    // Obsolete Packet Block (type 2): as the EPB but Interface ID(16) Drops Count(16) at 8; same offsets after that.
    private const uint ObsoletePacketBlockType = 2;
    private const int ObsoleteInterfaceIdOffset = 8;

    // Simple Packet Block (type 3), implicitly interface 0:
    // |                    Original Packet Length                     |  8
    // /              Packet Data (padded to 32 bits)                  / 12
    // |                      Block Total Length                       |
    private const uint SimplePacketBlockType = 3;
    private const int SimpleOriginalLengthOffset = 8;
    private const int SimplePacketDataOffset = 12;
    private const int MinSimplePacketBlockLength = SimplePacketDataOffset + BlockTrailerLength;

    private const int InitialInterfaceCapacity = 4;

    private PcapngInterface[] _interfaces = new PcapngInterface[InitialInterfaceCapacity];
    private int _interfaceCount;
    private bool _bigEndian;

    public PcapngReader(CaptureInput input, string name)
        : base(input, name)
    {
        // Validate the first Section Header Block now, so a bad header fails at open.
        // Open detected the Section Header Block type, so this block is one.
        ReadOnlySpan<byte> block = ReadBlock(out _);
        ReadSectionHeader(block);
        Input.Advance(block.Length);
    }

    private protected override bool TryReadRecord(out CaptureRecord record)
    {
        while (true)
        {
            if (!Input.Ensure(BlockHeaderLength) && Input.Available == 0)
            {
                record = default;
                return false;
            }

            ReadOnlySpan<byte> block = ReadBlock(out uint type);
            bool isPacket = type switch
            {
                EnhancedPacketBlockType => TryReadEnhancedPacket(block, out record),
                SimplePacketBlockType => TryReadSimplePacket(block, out record),
                ObsoletePacketBlockType => TryReadObsoletePacket(block, out record),
                _ => SkipNonPacket(type, block, out record),
            };
            Input.Advance(block.Length);
            if (isPacket)
            {
                return true;
            }
        }
    }

    private bool SkipNonPacket(uint type, ReadOnlySpan<byte> block, out CaptureRecord record)
    {
        if (type == SectionHeaderBlockType)
        {
            ReadSectionHeader(block);
        }
        else if (type == InterfaceDescriptionBlockType)
        {
            ReadInterfaceDescription(block);
        }

        record = default;
        return false;
    }

    /// <summary>
    /// Returns the whole block at the current position (header to trailer) after checking its length; a Section
    /// Header Block first sets the byte order from its byte-order magic.
    /// </summary>
    private ReadOnlySpan<byte> ReadBlock(out uint type)
    {
        ReadOnlySpan<byte> header = Require(BlockHeaderLength, "block header");
        type = ReadUInt32(header[BlockTypeOffset..]);
        if (type == SectionHeaderBlockType)
        {
            ReadOnlySpan<byte> prefix = Require(SectionHeaderPrefixLength, "section header block");
            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(prefix[ByteOrderMagicOffset..]);
            if (magic == ByteOrderMagic)
            {
                _bigEndian = false;
            }
            else if (magic == BinaryPrimitives.ReverseEndianness(ByteOrderMagic))
            {
                _bigEndian = true;
            }
            else
            {
                CaptureThrow.Invalid(Name, Input.Offset, $"section header block has a bad byte-order magic 0x{magic:X8}");
            }

            header = prefix;
        }

        uint length = ReadUInt32(header[BlockLengthOffset..]);
        int minLength = type == SectionHeaderBlockType ? MinSectionHeaderLength : MinBlockLength;
        if (length < minLength || length > CaptureLimits.MaxBlockLength || length % 4 != 0)
        {
            ThrowBadBlockLength(type, length, minLength);
        }

        ReadOnlySpan<byte> block = Require((int)length, BlockName(type));
        if (ReadUInt32(block[^BlockTrailerLength..]) != length)
        {
            CaptureThrow.Invalid(
                Name,
                Input.Offset,
                $"{BlockName(type)} trailing length {ReadUInt32(block[^BlockTrailerLength..])} differs from its leading length {length}");
        }

        return block;
    }

    private void ReadSectionHeader(ReadOnlySpan<byte> block)
    {
        ushort major = ReadUInt16(block[MajorVersionOffset..]);
        if (major != SupportedMajorVersion)
        {
            CaptureThrow.Invalid(Name, Input.Offset, $"unsupported pcapng major version {major}");
        }

        _interfaceCount = 0;
    }

    private void ReadInterfaceDescription(ReadOnlySpan<byte> block)
    {
        if (block.Length < MinInterfaceDescriptionLength)
        {
            ThrowBlockTooShort(InterfaceDescriptionBlockType, block.Length, MinInterfaceDescriptionLength);
        }

        var linkType = (LinkType)ReadUInt16(block[InterfaceLinkTypeOffset..]);
        uint snapLength = ReadUInt32(block[InterfaceSnapLengthOffset..]);
        byte resolution = PcapngInterface.DefaultTimestampResolution;
        long offsetSeconds = 0;

        ReadOnlySpan<byte> options = block[InterfaceOptionsOffset..^BlockTrailerLength];
        while (options.Length >= OptionHeaderLength)
        {
            ushort code = ReadUInt16(options);
            int valueLength = ReadUInt16(options[2..]);
            if (code == EndOfOptionsCode)
            {
                break;
            }

            int paddedLength = (valueLength + 3) & ~3;
            if (OptionHeaderLength + paddedLength > options.Length)
            {
                CaptureThrow.Invalid(
                    Name, Input.Offset, $"interface description block option {code} (length {valueLength}) overruns the block");
            }

            ReadOnlySpan<byte> value = options.Slice(OptionHeaderLength, valueLength);
            if (code == TimestampResolutionCode && valueLength == 1)
            {
                resolution = value[0];
                if (!PcapngInterface.IsSupportedResolution(resolution))
                {
                    CaptureThrow.Invalid(Name, Input.Offset, $"unsupported if_tsresol 0x{resolution:X2}");
                }
            }
            else if (code == TimestampOffsetCode && valueLength == sizeof(long))
            {
                offsetSeconds = _bigEndian ? BinaryPrimitives.ReadInt64BigEndian(value) : BinaryPrimitives.ReadInt64LittleEndian(value);
            }

            options = options[(OptionHeaderLength + paddedLength)..];
        }

        if (_interfaceCount == _interfaces.Length)
        {
            Array.Resize(ref _interfaces, _interfaces.Length * 2);
        }

        _interfaces[_interfaceCount++] = PcapngInterface.Create(linkType, snapLength, resolution, offsetSeconds);
    }

    private bool TryReadEnhancedPacket(ReadOnlySpan<byte> block, out CaptureRecord record) =>
        TryReadPacket(block, EnhancedPacketBlockType, ReadUInt32(block[EnhancedInterfaceIdOffset..]), out record);

    private bool TryReadObsoletePacket(ReadOnlySpan<byte> block, out CaptureRecord record) =>
        TryReadPacket(block, ObsoletePacketBlockType, ReadUInt16(block[ObsoleteInterfaceIdOffset..]), out record);

    private bool TryReadPacket(ReadOnlySpan<byte> block, uint type, uint interfaceId, out CaptureRecord record)
    {
        if (block.Length < MinPacketBlockLength)
        {
            ThrowBlockTooShort(type, block.Length, MinPacketBlockLength);
        }

        if (interfaceId >= (uint)_interfaceCount)
        {
            ThrowUndefinedInterface(type, interfaceId);
        }

        ref readonly PcapngInterface description = ref _interfaces[interfaceId];
        uint capturedLength = ReadUInt32(block[CapturedLengthOffset..]);
        int room = block.Length - MinPacketBlockLength;
        if (capturedLength > (uint)room)
        {
            CaptureThrow.Invalid(
                Name, Input.Offset, $"{BlockName(type)} captured length {capturedLength} exceeds the block's room of {room} bytes");
        }

        if (capturedLength > (uint)description.MaxCapturedLength)
        {
            ThrowCapturedLengthTooLarge(type, capturedLength, description);
        }

        ulong units = ((ulong)ReadUInt32(block[TimestampHighOffset..]) << 32) | ReadUInt32(block[TimestampLowOffset..]);
        uint originalLength = ReadUInt32(block[OriginalLengthOffset..]);
        record = new CaptureRecord(
            block.Slice(PacketDataOffset, (int)capturedLength),
            description.ToNanoseconds(units),
            (int)Math.Min(originalLength, int.MaxValue),
            (int)interfaceId,
            description.LinkType);
        return true;
    }

    private bool TryReadSimplePacket(ReadOnlySpan<byte> block, out CaptureRecord record)
    {
        if (block.Length < MinSimplePacketBlockLength)
        {
            ThrowBlockTooShort(SimplePacketBlockType, block.Length, MinSimplePacketBlockLength);
        }

        if (_interfaceCount == 0)
        {
            ThrowUndefinedInterface(SimplePacketBlockType, 0);
        }

        ref readonly PcapngInterface description = ref _interfaces[0];
        uint originalLength = ReadUInt32(block[SimpleOriginalLengthOffset..]);
        uint capturedLength = Math.Min(originalLength, (uint)(block.Length - MinSimplePacketBlockLength));
        if (description.SnapLength != 0)
        {
            capturedLength = Math.Min(capturedLength, description.SnapLength);
        }

        record = new CaptureRecord(
            block.Slice(SimplePacketDataOffset, (int)capturedLength),
            timestampNanoseconds: 0,
            (int)Math.Min(originalLength, int.MaxValue),
            interfaceId: 0,
            description.LinkType);
        return true;
    }

    private static string BlockName(uint type) => type switch
    {
        SectionHeaderBlockType => "section header block",
        InterfaceDescriptionBlockType => "interface description block",
        ObsoletePacketBlockType => "packet block",
        SimplePacketBlockType => "simple packet block",
        EnhancedPacketBlockType => "enhanced packet block",
        _ => "block",
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint ReadUInt32(ReadOnlySpan<byte> source) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(source) : BinaryPrimitives.ReadUInt32LittleEndian(source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ushort ReadUInt16(ReadOnlySpan<byte> source) =>
        _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(source) : BinaryPrimitives.ReadUInt16LittleEndian(source);

    [DoesNotReturn]
    private void ThrowBadBlockLength(uint type, uint length, int minLength) =>
        CaptureThrow.Invalid(
            Name,
            Input.Offset,
            $"{BlockName(type)} (type 0x{type:X8}) has length {length}; it must be a multiple of 4 between {minLength} and {CaptureLimits.MaxBlockLength}");

    [DoesNotReturn]
    private void ThrowBlockTooShort(uint type, int length, int minLength) =>
        CaptureThrow.Invalid(Name, Input.Offset, $"{BlockName(type)} length {length} is below its minimum of {minLength}");

    [DoesNotReturn]
    private void ThrowUndefinedInterface(uint type, uint interfaceId) =>
        CaptureThrow.Invalid(
            Name,
            Input.Offset,
            $"{BlockName(type)} refers to interface {interfaceId}, but the section defines {_interfaceCount} interface(s)");

    [DoesNotReturn]
    private void ThrowCapturedLengthTooLarge(uint type, uint capturedLength, in PcapngInterface description) =>
        CaptureThrow.Invalid(
            Name,
            Input.Offset,
            $"{BlockName(type)} captured length {capturedLength} exceeds the limit {description.MaxCapturedLength} (interface snaplen {description.SnapLength})");
}
