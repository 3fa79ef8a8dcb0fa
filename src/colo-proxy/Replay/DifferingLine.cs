using System.Text;
using System.Text.RegularExpressions;

namespace Colo.Cli.Replay;

/// <summary>
/// The text line of a payload that holds a differing byte, and what it is when the protocol is known: an HTTP header
/// (<c>Date</c> differs, as when two replicas answer in different seconds), an HTTP start line, or just a line of text.
/// Null when the bytes around the difference are not text.
/// </summary>
internal sealed partial record DifferingLine(string Line, string Meaning)
{
    private const int MaxLineLength = 400;

    public static DifferingLine? Find(byte[] payload, int offset)
    {
        if ((uint)offset >= (uint)payload.Length || !IsText(payload[offset]))
            return null;
        int start = offset;
        while (start > 0 && payload[start - 1] != (byte)'\n' && offset - start < MaxLineLength)
            start--;
        int end = offset;
        while (end < payload.Length && payload[end] is not ((byte)'\r' or (byte)'\n') && end - offset < MaxLineLength)
            end++;
        for (int i = start; i < end; i++)
        {
            if (!IsText(payload[i]))
                return null;
        }
        string line = Encoding.ASCII.GetString(payload, start, end - start);
        bool http = LooksLikeHttp(payload);
        if (http && HeaderPattern().Match(line) is { Success: true } header)
            return new DifferingLine(line, $"HTTP header {header.Groups[1].Value} differs");
        if (http && StartLinePattern().IsMatch(line))
            return new DifferingLine(line, "HTTP start line differs");
        return new DifferingLine(line, "text line differs");
    }

    private static bool IsText(byte value) => value is >= 0x20 and < 0x7F or (byte)'\t';

    private static bool LooksLikeHttp(byte[] payload)
    {
        // A segment may start anywhere in a message: CRLF-terminated lines are enough, with the header's "Name: " shape.
        string head = Encoding.ASCII.GetString(payload, 0, Math.Min(payload.Length, 16));
        return head.StartsWith("HTTP/", StringComparison.Ordinal) || StartLinePattern().IsMatch(head)
            || payload.AsSpan().IndexOf("\r\n"u8) >= 0;
    }

    [GeneratedRegex(@"^([A-Za-z0-9-]+):\s")]
    private static partial Regex HeaderPattern();

    [GeneratedRegex(@"^(HTTP/\d\.\d \d{3}|(GET|POST|PUT|DELETE|HEAD|OPTIONS|PATCH) \S+ HTTP/)")]
    private static partial Regex StartLinePattern();
}
