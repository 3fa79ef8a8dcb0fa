using Colo.Packets.Capture;
using Colo.TestSupport.Capture;

namespace Colo.Packets.Tests.Capture;

public sealed class PcapngReaderTests
{
    private const string Name = "capture.pcapng";

    // Section 1, little-endian. SHB (28 bytes) at 0.
    private const string LittleEndianSectionHeader =
        "0A0D0D0A 1C000000 4D3C2B1A 0100 0000 FFFFFFFFFFFFFFFF 1C000000";

    // IDB 0 at 28 (20 bytes): Ethernet, snaplen 262144, no options (if_tsresol defaults to 10^-6).
    private const string LittleEndianEthernetInterface =
        "01000000 14000000 0100 0000 00000400 14000000";

    // IDB 1 at 48 (44 bytes): Raw, snaplen 65535, if_tsresol 2^-20, if_tsoffset 10 s, opt_endofopt.
    private const string LittleEndianRawBinaryInterface =
        "01000000 2C000000 6500 0000 FFFF0000" +
        "0900 0100 94 000000" +
        "0E00 0800 0A00000000000000" +
        "0000 0000" +
        "2C000000";

    // Unknown block type 0x0BAD at 92 (16 bytes): skipped.
    private const string LittleEndianUnknownBlock = "AD0B0000 10000000 01020304 10000000";

    // EPB at 108 (52 bytes) on interface 0: 1700000000.123456 s in microseconds, 5 bytes, opt_comment "abc".
    private const string LittleEndianEnhancedPacketWithOptions =
        "06000000 34000000 00000000 240A0600 40222018 05000000 05000000 0102030405 000000" +
        "0100 0300 616263 00" +
        "0000 0000" +
        "34000000";

    // EPB at 160 (36 bytes) on interface 1: 1700000000.5 s in 2^-20 s units, plus the 10 s offset.
    private const string LittleEndianEnhancedPacketBinary =
        "06000000 24000000 01000000 3F550600 00000810 04000000 04000000 AABBCCDD 24000000";

    // SPB at 196 (24 bytes): implicitly interface 0, original length 6.
    private const string LittleEndianSimplePacket = "03000000 18000000 06000000 111213141516 0000 18000000";

    // Section 2, big-endian. SHB (28 bytes) at 220.
    private const string BigEndianSectionHeader =
        "0A0D0D0A 0000001C 1A2B3C4D 0001 0000 FFFFFFFFFFFFFFFF 0000001C";

    // IDB 0 of section 2 at 248 (32 bytes): Ethernet, if_tsresol 10^-9.
    private const string BigEndianNanosecondInterface =
        "00000001 00000020 0001 0000 00040000 0009 0001 09 000000 0000 0000 00000020";

    // EPB at 280 (36 bytes) on interface 0: 1700000000.000000001 s, 2 of 100 bytes.
    private const string BigEndianEnhancedPacket =
        "00000006 00000024 00000000 17979CFE 362A0001 00000002 00000064 CAFE 0000 00000024";

    // EPB on interface 1, which section 2 does not define (interfaces reset per section).
    private const string BigEndianEnhancedPacketOnInterfaceOne =
        "00000006 00000024 00000001 17979CFE 362A0001 00000002 00000064 CAFE 0000 00000024";

    private static byte[] TwoSectionFile() => HexBytes.Parse(
        LittleEndianSectionHeader,
        LittleEndianEthernetInterface,
        LittleEndianRawBinaryInterface,
        LittleEndianUnknownBlock,
        LittleEndianEnhancedPacketWithOptions,
        LittleEndianEnhancedPacketBinary,
        LittleEndianSimplePacket,
        BigEndianSectionHeader,
        BigEndianNanosecondInterface,
        BigEndianEnhancedPacket);

    [Fact]
    public void TryReadNext_TwoSectionsBothByteOrders_ReturnsEveryPacket()
    {
        // Arrange
        using CaptureReader reader = CaptureFiles.Open(TwoSectionFile(), Name);

        // Act
        var records = CaptureFiles.ReadAll(reader);

        // Assert
        Assert.Equal(4, records.Count);
        Assert.Equal(316, reader.Position);
    }

    [Fact]
    public void TryReadNext_EnhancedPacketWithOptions_ReturnsDataWithoutPaddingOrOptions()
    {
        // Arrange
        using CaptureReader reader = CaptureFiles.Open(TwoSectionFile(), Name);

        // Act
        var first = CaptureFiles.ReadAll(reader)[0];

        // Assert
        Assert.Equal(HexBytes.Parse("0102030405"), first.Data);
        Assert.Equal(1_700_000_000_123_456_000, first.Timestamp);
        Assert.Equal(5, first.OriginalLength);
        Assert.Equal(0, first.InterfaceId);
        Assert.Equal(LinkType.Ethernet, first.LinkType);
    }

    [Fact]
    public void TryReadNext_SecondInterfaceBinaryResolutionAndOffset_ConvertsTimestamp()
    {
        // Arrange
        using CaptureReader reader = CaptureFiles.Open(TwoSectionFile(), Name);

        // Act
        var second = CaptureFiles.ReadAll(reader)[1];

        // Assert
        Assert.Equal(HexBytes.Parse("AABBCCDD"), second.Data);
        Assert.Equal(1_700_000_010_500_000_000, second.Timestamp);
        Assert.Equal(1, second.InterfaceId);
        Assert.Equal(LinkType.Raw, second.LinkType);
    }

    [Fact]
    public void TryReadNext_SimplePacketBlock_UsesInterfaceZero()
    {
        // Arrange
        using CaptureReader reader = CaptureFiles.Open(TwoSectionFile(), Name);

        // Act
        var third = CaptureFiles.ReadAll(reader)[2];

        // Assert
        Assert.Equal(HexBytes.Parse("111213141516"), third.Data);
        Assert.Equal(6, third.OriginalLength);
        Assert.Equal(0, third.InterfaceId);
        Assert.Equal(LinkType.Ethernet, third.LinkType);
    }

    [Fact]
    public void TryReadNext_BigEndianSecondSection_UsesItsOwnInterfaceAndResolution()
    {
        // Arrange
        using CaptureReader reader = CaptureFiles.Open(TwoSectionFile(), Name);

        // Act
        var fourth = CaptureFiles.ReadAll(reader)[3];

        // Assert
        Assert.Equal(HexBytes.Parse("CAFE"), fourth.Data);
        Assert.Equal(1_700_000_000_000_000_001, fourth.Timestamp);
        Assert.Equal(100, fourth.OriginalLength);
        Assert.Equal(0, fourth.InterfaceId);
        Assert.Equal(LinkType.Ethernet, fourth.LinkType);
    }

    [Theory]
    [InlineData("04000000", "06000000", 4)] // original length 6, IDB snaplen 4.
    [InlineData("00000000", "64000000", 8)] // original length 100, 8 bytes of room in the block, no snaplen.
    [InlineData("00000000", "06000000", 6)] // original length 6: the rest of the room is padding.
    public void TryReadNext_SimplePacket_CapturedLengthIsMinOfOriginalSnapLengthAndRoom(
        string snapLength, string originalLength, int expected)
    {
        // Arrange: IDB with the given snaplen, then an SPB with 8 bytes of packet data.
        byte[] bytes = HexBytes.Parse(
            LittleEndianSectionHeader,
            "01000000 14000000 0100 0000", snapLength, "14000000",
            "03000000 18000000", originalLength, "1112131415161718 18000000");
        using CaptureReader reader = CaptureFiles.Open(bytes, Name);

        // Act
        reader.TryReadNext(out CaptureRecord record);

        // Assert
        Assert.Equal(HexBytes.Parse("1112131415161718")[..expected], record.Data.ToArray());
    }

    [Fact]
    public void TryReadNext_ObsoletePacketBlock_ReturnsPacket()
    {
        // Arrange: Packet Block (type 2) on interface 0 with drops count 7.
        byte[] bytes = HexBytes.Parse(
            LittleEndianSectionHeader,
            LittleEndianEthernetInterface,
            "02000000 24000000 0000 0700 240A0600 40222018 03000000 3C000000 ABCDEF 00 24000000");
        using CaptureReader reader = CaptureFiles.Open(bytes, Name);

        // Act
        var records = CaptureFiles.ReadAll(reader);

        // Assert
        var only = Assert.Single(records);
        Assert.Equal(HexBytes.Parse("ABCDEF"), only.Data);
        Assert.Equal(1_700_000_000_123_456_000, only.Timestamp);
        Assert.Equal(60, only.OriginalLength);
    }

    [Fact]
    public void TryReadNext_EnhancedPacketOnUndefinedInterface_Throws()
    {
        // Arrange: section 2 defines only interface 0; interface 1 existed only in section 1.
        byte[] bytes = HexBytes.Parse(
            LittleEndianSectionHeader,
            LittleEndianEthernetInterface,
            LittleEndianRawBinaryInterface,
            BigEndianSectionHeader,
            BigEndianNanosecondInterface,
            BigEndianEnhancedPacketOnInterfaceOne);
        using CaptureReader reader = CaptureFiles.Open(bytes, Name);

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => reader.TryReadNext(out _));

        // Assert
        Assert.Equal(Name, error.FileName);
        Assert.Equal(152, error.Offset);
        Assert.Contains("refers to interface 1, but the section defines 1 interface(s)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_TruncatedSectionHeader_ThrowsAtByteZero()
    {
        // Arrange
        byte[] bytes = HexBytes.Parse(LittleEndianSectionHeader)[..20];

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => CaptureFiles.Open(bytes, Name));

        // Assert
        Assert.Equal(0, error.Offset);
        Assert.Equal(
            "capture.pcapng: truncated section header block at byte 0 (need 28 bytes, file ends at 20)", error.Message);
    }

    [Fact]
    public void Open_BadByteOrderMagic_Throws()
    {
        // Arrange
        byte[] bytes = HexBytes.Parse("0A0D0D0A 1C000000 11223344 0100 0000 FFFFFFFFFFFFFFFF 1C000000");

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => CaptureFiles.Open(bytes, Name));

        // Assert
        Assert.Equal(0, error.Offset);
        Assert.Contains("bad byte-order magic 0x44332211", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadNext_TruncatedBlockHeader_ThrowsWithBlockOffset()
    {
        // Arrange
        byte[] bytes = HexBytes.Parse(LittleEndianSectionHeader, "01000000 14")[..33];
        using CaptureReader reader = CaptureFiles.Open(bytes, Name);

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => reader.TryReadNext(out _));

        // Assert
        Assert.Equal(28, error.Offset);
        Assert.Equal("capture.pcapng: truncated block header at byte 28 (need 8 bytes, file ends at 33)", error.Message);
    }

    [Fact]
    public void TryReadNext_TruncatedEnhancedPacketBlock_ThrowsWithBlockOffset()
    {
        // Arrange: the EPB at 48 declares 36 bytes but the file stops 20 bytes into it.
        byte[] bytes = HexBytes.Parse(
            LittleEndianSectionHeader,
            LittleEndianEthernetInterface,
            "06000000 24000000 00000000 240A0600 40222018 04000000 04000000 AABBCCDD 24000000")[..68];
        using CaptureReader reader = CaptureFiles.Open(bytes, Name);

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => reader.TryReadNext(out _));

        // Assert
        Assert.Equal(Name, error.FileName);
        Assert.Equal(48, error.Offset);
        Assert.Equal(
            "capture.pcapng: truncated enhanced packet block at byte 48 (need 36 bytes, file ends at 68)", error.Message);
    }

    [Theory]
    [InlineData("15000000")] // 21: not a multiple of 4.
    [InlineData("08000000")] // 8: smaller than header plus trailer.
    [InlineData("00000020")] // 512 MiB: above the cap, and never allocated.
    public void TryReadNext_BadBlockLength_ThrowsWithBlockOffset(string length)
    {
        // Arrange
        byte[] bytes = HexBytes.Parse(LittleEndianSectionHeader, "06000000", length, "00000000 00000000 00000000");
        using CaptureReader reader = CaptureFiles.Open(bytes, Name);

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => reader.TryReadNext(out _));

        // Assert
        Assert.Equal(28, error.Offset);
        Assert.Contains("it must be a multiple of 4 between 12 and 268435456", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadNext_HugeBlockLengthInShortFile_ReportsTruncationWithoutHugeAllocation()
    {
        // Arrange: a 255 MiB block declared in a 48-byte file.
        byte[] bytes = HexBytes.Parse(LittleEndianSectionHeader, "06000000 0000F00F 00000000 00000000 00000000");
        using CaptureReader reader = CaptureFiles.Open(bytes, Name);
        long before = GC.GetAllocatedBytesForCurrentThread();

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => reader.TryReadNext(out _));

        // Assert
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 * 1024 * 1024);
        Assert.Equal(28, error.Offset);
        Assert.Contains("truncated enhanced packet block at byte 28 (need 267386880 bytes, file ends at 48)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadNext_CapturedLengthBeyondBlock_Throws()
    {
        // Arrange: captured length 200 in an EPB with 4 bytes of room.
        byte[] bytes = HexBytes.Parse(
            LittleEndianSectionHeader,
            LittleEndianEthernetInterface,
            "06000000 24000000 00000000 240A0600 40222018 C8000000 C8000000 AABBCCDD 24000000");
        using CaptureReader reader = CaptureFiles.Open(bytes, Name);

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => reader.TryReadNext(out _));

        // Assert
        Assert.Equal(48, error.Offset);
        Assert.Contains("captured length 200 exceeds the block's room of 4 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadNext_TrailingLengthMismatch_Throws()
    {
        // Arrange
        byte[] bytes = HexBytes.Parse(LittleEndianSectionHeader, "AD0B0000 10000000 01020304 0C000000");
        using CaptureReader reader = CaptureFiles.Open(bytes, Name);

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => reader.TryReadNext(out _));

        // Assert
        Assert.Equal(28, error.Offset);
        Assert.Contains("trailing length 12 differs from its leading length 16", error.Message, StringComparison.Ordinal);
    }
}
