using Colo.Packets.Capture;

namespace Colo.TestSupport.Capture;

/// <summary>Opening and reading capture files in tests: in-memory readers, the sample captures, every record copied.</summary>
public static class CaptureFiles
{
    /// <summary>A reader over capture-file <paramref name="bytes"/>; <paramref name="name"/> appears in its errors.</summary>
    public static CaptureReader Open(byte[] bytes, string name) => CaptureReader.Open(new MemoryStream(bytes), name);

    /// <summary>
    /// A sample capture copied next to the test assembly (test/data/captures in the repository; the test project
    /// copies them).
    /// </summary>
    public static string SampleCapture(string folder, string file) =>
        Path.Combine(AppContext.BaseDirectory, "data", "captures", folder, file);

    /// <summary>Reads every record, copying what the reader only lends.</summary>
    public static List<(byte[] Data, long Timestamp, int OriginalLength, int InterfaceId, LinkType LinkType)> ReadAll(
        CaptureReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var records = new List<(byte[], long, int, int, LinkType)>();
        while (reader.TryReadNext(out CaptureRecord record))
        {
            records.Add((record.Data.ToArray(), record.TimestampNanoseconds, record.OriginalLength, record.InterfaceId,
                record.LinkType));
        }

        return records;
    }
}
