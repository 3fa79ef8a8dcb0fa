using Colo.Packets.Capture;
using Colo.TestSupport;
using Colo.TestSupport.Capture;

namespace Colo.Packets.Tests.Capture;

public sealed class CaptureWriterTests : IDisposable
{
    private const string PcapHeader = "4D3CB2A1 0200 0400 00000000 00000000 00000400 01000000";

    private const string PcapngHeader =
        "0A0D0D0A 1C000000 4D3C2B1A 0100 0000 FFFFFFFFFFFFFFFF 1C000000" +
        "01000000 20000000 0100 0000 00000400 0900 0100 09 000000 0000 0000 20000000";

    private readonly string _directory = Directory.CreateTempSubdirectory("capture-writer-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(CaptureFileFormat.Pcap, PcapHeader)]
    [InlineData(CaptureFileFormat.Pcapng, PcapngHeader)]
    public void Create_Stream_WritesFileHeader(CaptureFileFormat format, string expectedHeader)
    {
        // Arrange
        using var stream = new MemoryStream();

        // Act
        using (CaptureWriter.Create(stream, format, LinkType.Ethernet, leaveOpen: true))
        {
        }

        // Assert
        Assert.Equal(HexBytes.Parse(expectedHeader), stream.ToArray());
    }

    [Theory]
    [InlineData("new.pcap", false)]
    [InlineData("new.pcapng", false)]
    [InlineData("existing.pcap", true)]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void Create_Path_FileIsOwnerReadWriteOnly(string name, bool exists)
    {
        // Arrange: a file left world-readable (as under umask 000).
        string path = Path.Combine(_directory, name);
        if (exists)
        {
            File.WriteAllBytes(path, [1, 2, 3]);
            File.SetUnixFileMode(path, (UnixFileMode)0b110_110_110);
        }

        // Act
        using (CaptureWriter.Create(path))
        {
        }

        // Assert
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Write_Pcap_WritesNanosecondRecord()
    {
        // Arrange
        using var stream = new MemoryStream();

        // Act
        using (CaptureWriter writer = CaptureWriter.Create(stream, CaptureFileFormat.Pcap, LinkType.Ethernet, leaveOpen: true))
        {
            writer.Write(HexBytes.Parse("ABCDEF"), 1_700_000_000_123_456_789, originalLength: 60);
        }

        // Assert
        Assert.Equal(HexBytes.Parse(PcapHeader, "00F15365 15CD5B07 03000000 3C000000 ABCDEF"), stream.ToArray());
    }

    [Fact]
    public void Write_Pcapng_WritesPaddedEnhancedPacketBlock()
    {
        // Arrange
        using var stream = new MemoryStream();

        // Act
        using (CaptureWriter writer = CaptureWriter.Create(stream, CaptureFileFormat.Pcapng, LinkType.Ethernet, leaveOpen: true))
        {
            writer.Write(HexBytes.Parse("ABCDEF"), 1_700_000_000_000_000_001);
        }

        // Assert
        Assert.Equal(
            HexBytes.Parse(PcapngHeader, "06000000 24000000 00000000 FE9C9717 01002A36 03000000 03000000 ABCDEF 00 24000000"),
            stream.ToArray());
    }

    [Theory]
    [InlineData(CaptureFileFormat.Pcap, LinkType.Ethernet)]
    [InlineData(CaptureFileFormat.Pcapng, LinkType.Ethernet)]
    [InlineData(CaptureFileFormat.Pcap, LinkType.Raw)]
    [InlineData(CaptureFileFormat.Pcapng, LinkType.Raw)]
    public void Write_RoundTrip_ReadsBackIdenticalRecords(CaptureFileFormat format, LinkType linkType)
    {
        // Arrange
        int[] lengths = [0, 1, 2, 3, 4, 5, 60, 1514, 65_535, CaptureWriter.MaxDataLength];
        long[] timestamps = [0, 1, 999_999_999, 1_000_000_000, 1_700_000_000_123_456_789, 4_294_967_295_999_999_999, 7, 8, 9, 10];
        var random = new Random(1234);
        var frames = new byte[lengths.Length][];
        using var stream = new MemoryStream();

        // Act
        using (CaptureWriter writer = CaptureWriter.Create(stream, format, linkType, leaveOpen: true))
        {
            for (int i = 0; i < lengths.Length; i++)
            {
                frames[i] = new byte[lengths[i]];
                random.NextBytes(frames[i]);
                writer.Write(frames[i], timestamps[i], originalLength: lengths[i] + i);
            }
        }

        stream.Position = 0;
        using CaptureReader reader = CaptureReader.Open(stream, "round-trip");
        var records = CaptureFiles.ReadAll(reader);

        // Assert
        Assert.Equal(lengths.Length, records.Count);
        for (int i = 0; i < lengths.Length; i++)
        {
            Assert.Equal(frames[i], records[i].Data);
            Assert.Equal(timestamps[i], records[i].Timestamp);
            Assert.Equal(lengths[i] + i, records[i].OriginalLength);
            Assert.Equal(linkType, records[i].LinkType);
            Assert.Equal(0, records[i].InterfaceId);
        }
    }

    [Theory]
    [InlineData("copy.pcapng")]
    [InlineData("copy.PCAPNG")]
    [InlineData("copy.pcap")]
    [InlineData("copy.cap")]
    public void Create_Path_RoundTripsRealCaptureInFormatChosenByExtension(string fileName)
    {
        // Arrange
        string source = CaptureFiles.SampleCapture("bulk_baseline_same", "primary.pcap");
        string target = Path.Combine(_directory, fileName);
        List<(byte[] Data, long Timestamp, int OriginalLength, int InterfaceId, LinkType LinkType)> expected;
        using (CaptureReader reader = CaptureReader.Open(source))
        {
            expected = CaptureFiles.ReadAll(reader);
        }

        // Act
        using (CaptureWriter writer = CaptureWriter.Create(target))
        {
            foreach (var record in expected)
            {
                writer.Write(record.Data, record.Timestamp, record.OriginalLength);
            }
        }

        using CaptureReader copy = CaptureReader.Open(target);
        var actual = CaptureFiles.ReadAll(copy);

        // Assert
        bool pcapng = fileName.EndsWith(".pcapng", StringComparison.OrdinalIgnoreCase);
        uint magic = BitConverter.ToUInt32(File.ReadAllBytes(target), 0);
        Assert.Equal(pcapng ? 0x0A0D0D0Au : 0xA1B23C4Du, magic);
        Assert.Equal(expected.Count, actual.Count);
        Assert.True(expected.SequenceEqual(actual, RecordComparer.Instance));
    }

    [Fact]
    public void Write_NegativeTimestamp_Throws()
    {
        // Arrange
        using CaptureWriter writer = CaptureWriter.Create(new MemoryStream(), CaptureFileFormat.Pcap, LinkType.Ethernet);

        // Act + Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write([1, 2, 3], -1));
    }

    [Fact]
    public void Write_OriginalLengthBelowDataLength_Throws()
    {
        // Arrange
        using CaptureWriter writer = CaptureWriter.Create(new MemoryStream(), CaptureFileFormat.Pcapng, LinkType.Ethernet);

        // Act + Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write([1, 2, 3], 0, originalLength: 2));
    }

    [Fact]
    public void Write_DataLongerThanSnapLength_Throws()
    {
        // Arrange
        using CaptureWriter writer = CaptureWriter.Create(new MemoryStream(), CaptureFileFormat.Pcap, LinkType.Ethernet);
        byte[] data = new byte[CaptureWriter.MaxDataLength + 1];

        // Act + Assert
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Write(data, 0));
    }

    [Theory]
    [InlineData("tshark.pcap")]
    [InlineData("tshark.pcapng")]
    public void Create_WrittenFile_IsReadByTshark(string fileName)
    {
        // Arrange
        string path = Path.Combine(_directory, fileName);
        int[] lengths = [60, 1514, 42, 65_226, 98];
        using (CaptureWriter writer = CaptureWriter.Create(path))
        {
            for (int i = 0; i < lengths.Length; i++)
            {
                writer.Write(new byte[lengths[i]], 1_700_000_000_000_000_000 + (i * 1_000_123L));
            }
        }

        // Act
        (int exitCode, string output, string error) = Tshark.Run("-r", path, "-T", "fields", "-e", "frame.len");

        // Assert
        Assert.True(exitCode == 0, $"tshark exited with {exitCode}: {error}");
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(Array.ConvertAll(lengths, length => length.ToString(System.Globalization.CultureInfo.InvariantCulture)), lines);
    }

    private sealed class RecordComparer
        : IEqualityComparer<(byte[] Data, long Timestamp, int OriginalLength, int InterfaceId, LinkType LinkType)>
    {
        public static readonly RecordComparer Instance = new();

        public bool Equals(
            (byte[] Data, long Timestamp, int OriginalLength, int InterfaceId, LinkType LinkType) x,
            (byte[] Data, long Timestamp, int OriginalLength, int InterfaceId, LinkType LinkType) y) =>
            x.Data.AsSpan().SequenceEqual(y.Data) && x.Timestamp == y.Timestamp && x.OriginalLength == y.OriginalLength
            && x.InterfaceId == y.InterfaceId && x.LinkType == y.LinkType;

        public int GetHashCode((byte[] Data, long Timestamp, int OriginalLength, int InterfaceId, LinkType LinkType) obj) =>
            HashCode.Combine(obj.Data.Length, obj.Timestamp);
    }
}
