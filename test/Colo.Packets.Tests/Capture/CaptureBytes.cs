using Colo.Packets.Capture;

namespace Colo.Packets.Tests.Capture;

/// <summary>Helpers shared by the capture tests: hex literals, in-memory readers and the sample captures.</summary>
internal static class CaptureBytes
{
    /// <summary>Bytes from hex digits; spaces and line breaks are ignored.</summary>
    public static byte[] Hex(string hex) =>
        Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal)
            .Replace("\n", string.Empty, StringComparison.Ordinal));

    /// <summary>Concatenates hex fragments (one per field or block) into bytes.</summary>
    public static byte[] Hex(params string[] parts) => Hex(string.Concat(parts));

    public static CaptureReader Open(byte[] bytes, string name) => CaptureReader.Open(new MemoryStream(bytes), name);

    /// <summary>A sample capture copied next to the test assembly (test/data/captures in the repository).</summary>
    public static string SampleCapture(string folder, string file) =>
        Path.Combine(AppContext.BaseDirectory, "data", "captures", folder, file);

    /// <summary>Reads every record, copying what the reader only lends.</summary>
    public static List<(byte[] Data, long Timestamp, int OriginalLength, int InterfaceId, LinkType LinkType)> ReadAll(
        CaptureReader reader)
    {
        var records = new List<(byte[], long, int, int, LinkType)>();
        while (reader.TryReadNext(out CaptureRecord record))
        {
            records.Add((record.Data.ToArray(), record.TimestampNanoseconds, record.OriginalLength, record.InterfaceId,
                record.LinkType));
        }

        return records;
    }
}
