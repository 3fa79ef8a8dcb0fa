using System.IO.Compression;
using Colo.Packets.Capture;
using Colo.TestSupport.Capture;

namespace Colo.Packets.Tests.Capture;

/// <summary>Compressed captures and frame numbers as Wireshark counts them.</summary>
public sealed class CaptureReaderFormatsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("capture-formats-tests-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData(CaptureFileFormat.Pcap, "capture.pcap.gz")]
    [InlineData(CaptureFileFormat.Pcapng, "capture.pcapng.gz")]
    [InlineData(CaptureFileFormat.Pcap, "no-extension")]
    public void Open_GzipFile_ReadsRecordsAsUncompressed(CaptureFileFormat format, string fileName)
    {
        byte[] plain = Capture(format, ("first"u8.ToArray(), 1_000), ("second"u8.ToArray(), 2_000));
        string path = Path.Combine(_directory, fileName);
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            gzip.Write(plain);

        using CaptureReader reader = CaptureReader.Open(path);
        var records = CaptureFiles.ReadAll(reader);

        Assert.Equal(["first"u8.ToArray(), "second"u8.ToArray()], records.Select(r => r.Data));
        Assert.Equal([1_000L, 2_000L], records.Select(r => r.Timestamp));
    }

    [Fact]
    public void TryReadNext_PcapngOfSeveralInterfaces_NumbersEveryPacketFromOne()
    {
        using var stream = new MemoryStream();
        using (var writer = (PcapngWriter)CaptureWriter.Create(stream, CaptureFileFormat.Pcapng, LinkType.Ethernet, leaveOpen: true))
        {
            writer.Write([1], 10, LinkType.Ethernet, comment: null);
            writer.Write([2], 20, (LinkType)189, comment: null);
            writer.Write([3], 30, LinkType.Ethernet, comment: null);
        }

        stream.Position = 0;
        using CaptureReader reader = CaptureReader.Open(stream, "mixed.pcapng");
        var numbers = new List<long>();
        while (reader.TryReadNext(out CaptureRecord record))
            numbers.Add(record.FrameNumber);

        Assert.Equal([1L, 2L, 3L], numbers);
        Assert.Equal(3, reader.FramesRead);
    }

    private static byte[] Capture(CaptureFileFormat format, params (byte[] Data, long Timestamp)[] records)
    {
        using var stream = new MemoryStream();
        using (CaptureWriter writer = CaptureWriter.Create(stream, format, LinkType.Ethernet, leaveOpen: true))
        {
            foreach ((byte[] data, long timestamp) in records)
                writer.Write(data, timestamp);
        }

        return stream.ToArray();
    }
}
