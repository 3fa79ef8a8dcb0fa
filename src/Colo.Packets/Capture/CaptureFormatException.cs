namespace Colo.Packets.Capture;

/// <summary>
/// A capture file is malformed or truncated. The message names the file and the byte offset, for example
/// <c>capture.pcap: truncated record header at byte 1234 (need 16 bytes, file ends at 1240)</c>.
/// </summary>
public sealed class CaptureFormatException : Exception
{
    /// <summary>
    /// Creates the exception with the message <c>{fileName}: {problem} at byte {offset} ({detail})</c>.
    /// </summary>
    public CaptureFormatException(string fileName, long offset, string problem, string? detail = null)
        : base(detail is null ? $"{fileName}: {problem} at byte {offset}" : $"{fileName}: {problem} at byte {offset} ({detail})")
    {
        FileName = fileName;
        Offset = offset;
    }

    /// <summary>Name of the capture as given to the reader (a path, or the name passed with a stream).</summary>
    public string FileName { get; }

    /// <summary>Byte offset in the file of the header, block or record that is wrong.</summary>
    public long Offset { get; }
}
