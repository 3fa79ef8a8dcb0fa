using Colo.Packets.Capture;
using Colo.TestSupport.Capture;

namespace Colo.Packets.Tests.Capture;

public sealed class PcapReaderTests
{
    private const string Name = "capture.pcap";

    // Two records: 1700000000.123456 s (4 of 60 bytes captured), 1700000001.999999 s (2 bytes).
    private const string LittleEndianMicrosecondHeader =
        "D4C3B2A1 0200 0400 00000000 00000000 FFFF0000 01000000";
    private const string LittleEndianMicrosecondRecords =
        "00F15365 40E20100 04000000 3C000000 DEADBEEF" +
        "01F15365 3F420F00 02000000 02000000 0102";

    private const string BigEndianMicrosecondHeader =
        "A1B2C3D4 0002 0004 00000000 00000000 0000FFFF 00000001";
    private const string BigEndianMicrosecondRecords =
        "6553F100 0001E240 00000004 0000003C DEADBEEF" +
        "6553F101 000F423F 00000002 00000002 0102";

    // One record at 1700000000.123456789 s, LINKTYPE_RAW (101).
    private const string LittleEndianNanosecond =
        "4D3CB2A1 0200 0400 00000000 00000000 00000400 65000000" +
        "00F15365 15CD5B07 02000000 02000000 4500";
    private const string BigEndianNanosecond =
        "A1B23C4D 0002 0004 00000000 00000000 00040000 00000065" +
        "6553F100 075BCD15 00000002 00000002 4500";

    [Theory]
    [InlineData(LittleEndianMicrosecondHeader + LittleEndianMicrosecondRecords)]
    [InlineData(BigEndianMicrosecondHeader + BigEndianMicrosecondRecords)]
    public void TryReadNext_MicrosecondFile_ReturnsRecordsWithNanosecondTimestamps(string hex)
    {
        // Arrange
        using CaptureReader reader = CaptureFiles.Open(HexBytes.Parse(hex), Name);

        // Act
        var records = CaptureFiles.ReadAll(reader);

        // Assert
        Assert.Equal(2, records.Count);
        Assert.Equal(HexBytes.Parse("DEADBEEF"), records[0].Data);
        Assert.Equal(1_700_000_000_123_456_000, records[0].Timestamp);
        Assert.Equal(60, records[0].OriginalLength);
        Assert.Equal(0, records[0].InterfaceId);
        Assert.Equal(LinkType.Ethernet, records[0].LinkType);
        Assert.Equal(HexBytes.Parse("0102"), records[1].Data);
        Assert.Equal(1_700_000_001_999_999_000, records[1].Timestamp);
        Assert.Equal(2, records[1].OriginalLength);
    }

    [Theory]
    [InlineData(LittleEndianNanosecond)]
    [InlineData(BigEndianNanosecond)]
    public void TryReadNext_NanosecondMagic_KeepsNanoseconds(string hex)
    {
        // Arrange
        using CaptureReader reader = CaptureFiles.Open(HexBytes.Parse(hex), Name);

        // Act
        bool read = reader.TryReadNext(out CaptureRecord record);

        // Assert
        Assert.True(read);
        Assert.Equal(1_700_000_000_123_456_789, record.TimestampNanoseconds);
        Assert.Equal(LinkType.Raw, record.LinkType);
        Assert.Equal(HexBytes.Parse("4500"), record.Data.ToArray());
    }

    [Fact]
    public void TryReadNext_HeaderOnly_ReturnsFalse()
    {
        // Arrange
        using CaptureReader reader = CaptureFiles.Open(HexBytes.Parse(LittleEndianMicrosecondHeader), Name);

        // Act
        bool read = reader.TryReadNext(out _);

        // Assert
        Assert.False(read);
        Assert.Equal(24, reader.Position);
    }

    [Fact]
    public void Position_AfterEachRecord_IsOffsetOfNextRecord()
    {
        // Arrange
        using CaptureReader reader = CaptureFiles.Open(
            HexBytes.Parse(LittleEndianMicrosecondHeader + LittleEndianMicrosecondRecords), Name);
        long before = reader.Position;

        // Act
        reader.TryReadNext(out _);
        long afterFirst = reader.Position;
        reader.TryReadNext(out _);
        long afterSecond = reader.Position;

        // Assert
        Assert.Equal([24L, 44L, 62L], new[] { before, afterFirst, afterSecond });
    }

    [Fact]
    public void Open_TruncatedFileHeader_ThrowsAtByteZero()
    {
        // Arrange
        byte[] bytes = HexBytes.Parse(LittleEndianMicrosecondHeader)[..10];

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => CaptureFiles.Open(bytes, Name));

        // Assert
        Assert.Equal(Name, error.FileName);
        Assert.Equal(0, error.Offset);
        Assert.Equal("capture.pcap: truncated file header at byte 0 (need 24 bytes, file ends at 10)", error.Message);
    }

    [Fact]
    public void Open_EmptyFile_ThrowsTruncatedFileHeader()
    {
        // Act
        var error = Assert.Throws<CaptureFormatException>(() => CaptureFiles.Open([], Name));

        // Assert
        Assert.Equal("capture.pcap: truncated file header at byte 0 (need 4 bytes, file ends at 0)", error.Message);
    }

    [Fact]
    public void Open_UnknownMagic_Throws()
    {
        // Arrange
        byte[] bytes = HexBytes.Parse("12345678 0200 0400 00000000 00000000 FFFF0000 01000000");

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => CaptureFiles.Open(bytes, Name));

        // Assert
        Assert.Equal(0, error.Offset);
        Assert.Contains("unknown magic number 0x78563412", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadNext_TruncatedRecordHeader_ThrowsWithRecordOffset()
    {
        // Arrange
        byte[] bytes = HexBytes.Parse(LittleEndianMicrosecondHeader + LittleEndianMicrosecondRecords)[..49];
        using CaptureReader reader = CaptureFiles.Open(bytes, Name);
        reader.TryReadNext(out _);

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => reader.TryReadNext(out _));

        // Assert
        Assert.Equal(Name, error.FileName);
        Assert.Equal(44, error.Offset);
        Assert.Equal("capture.pcap: truncated record header at byte 44 (need 16 bytes, file ends at 49)", error.Message);
    }

    [Fact]
    public void TryReadNext_TruncatedRecordBody_ThrowsWithRecordOffset()
    {
        // Arrange
        byte[] bytes = HexBytes.Parse(LittleEndianMicrosecondHeader + LittleEndianMicrosecondRecords)[..61];
        using CaptureReader reader = CaptureFiles.Open(bytes, Name);
        reader.TryReadNext(out _);

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => reader.TryReadNext(out _));

        // Assert
        Assert.Equal(44, error.Offset);
        Assert.Equal("capture.pcap: truncated record at byte 44 (need 18 bytes, file ends at 61)", error.Message);
    }

    [Fact]
    public void TryReadNext_CapturedLengthAboveSnapLengthCap_ThrowsWithoutAllocating()
    {
        // Arrange: captured length 0x7FFFFFF0 in a 40-byte file.
        byte[] bytes = HexBytes.Parse(LittleEndianMicrosecondHeader, "00F15365 40E20100 F0FFFF7F F0FFFF7F");
        using CaptureReader reader = CaptureFiles.Open(bytes, Name);

        // Act
        var error = Assert.Throws<CaptureFormatException>(() => reader.TryReadNext(out _));

        // Assert
        Assert.Equal(24, error.Offset);
        Assert.Contains("captured length 2147483632 exceeds the limit 262144", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadNext_RealCapture_Reads1563EthernetRecords()
    {
        // Arrange
        string path = CaptureFiles.SampleCapture("bulk_baseline_same", "primary.pcap");
        using CaptureReader reader = CaptureReader.Open(path);
        int count = 0;
        bool allEthernet = true;
        bool timestampsOrdered = true;
        long previous = 0;

        // Act
        while (reader.TryReadNext(out CaptureRecord record))
        {
            count++;
            allEthernet &= record.LinkType == LinkType.Ethernet && record.Data.Length >= 14;
            timestampsOrdered &= record.TimestampNanoseconds >= previous;
            previous = record.TimestampNanoseconds;
        }

        // Assert
        Assert.Equal(1563, count);
        Assert.True(allEthernet);
        Assert.True(timestampsOrdered);
        Assert.Equal(new FileInfo(path).Length, reader.Position);
        Assert.Equal(path, reader.Name);
    }

    [Fact]
    public void TryReadNext_RealCaptureSteadyState_DoesNotAllocate()
    {
        // Arrange
        string path = CaptureFiles.SampleCapture("bulk_baseline_same", "primary.pcap");
        using CaptureReader reader = CaptureReader.Open(path);
        reader.TryReadNext(out _);
        long bytes = 0;

        // Act
        long before = GC.GetAllocatedBytesForCurrentThread();
        while (reader.TryReadNext(out CaptureRecord record))
        {
            bytes += record.Data.Length;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        // Assert
        Assert.True(bytes > 1_000_000);
        Assert.True(allocated < 1024, $"reading allocated {allocated} bytes");
    }
}
