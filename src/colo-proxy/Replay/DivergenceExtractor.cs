using System.Globalization;
using Colo.Compare;
using Colo.Packets.Capture;
using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>
/// <c>--extract DIR</c>: per divergent flow, a pcapng pair holding just that flow's frames of each capture, as
/// recorded (same bytes, link type and time), the frame with the first differing byte carrying a comment that says
/// so and names its number in the original file. Small enough to attach to a bug report; replays to the same
/// divergence.
/// </summary>
internal static class DivergenceExtractor
{
    public static IReadOnlyList<string> Write(ReplayResult result, string directory)
    {
        // Owner only, like the files: they hold the guests' traffic.
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(directory);
        else
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var written = new List<string>();
        for (int i = 0; i < result.Divergences.Count; i++)
        {
            Divergence divergence = result.Divergences[i];
            DivergenceFrames frames = result.DivergenceFrames[i];
            string stem = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"divergence-{i + 1}"));
            string comment = string.Create(CultureInfo.InvariantCulture,
                $"colo-proxy replay: divergence {i + 1}, {divergence.Flow}: {divergence.Describe()} at stream offset {divergence.StreamOffset}");
            written.Add(WriteFlow(result.Primary.Path, stem + "-primary.pcapng", divergence.Flow, frames.Primary, comment));
            written.Add(WriteFlow(result.Secondary.Path, stem + "-secondary.pcapng", divergence.Flow, frames.Secondary, comment));
        }
        return written;
    }

    private static string WriteFlow(string source, string destination, FlowKey flow, CapturedFrame? marked, string comment)
    {
        using CaptureReader reader = CaptureReader.Open(source);
        PcapngWriter? output = null;
        byte[] buffer = new byte[2048];
        try
        {
            while (reader.TryReadNext(out CaptureRecord record))
            {
                if (buffer.Length < record.Data.Length + LinkLayer.MaxHeaderGrowth)
                    buffer = new byte[record.Data.Length + LinkLayer.MaxHeaderGrowth];
                if (!LinkLayer.TryToEthernet(record.LinkType, record.Data, buffer, out int length)
                    || ReplaySession.KeyOf(buffer.AsSpan(0, length), out _) is not { } key || key != flow)
                    continue;
                output ??= PcapngWriter.CreateFile(destination, record.LinkType);
                string? note = marked is { } frame && frame.Number == record.FrameNumber
                    ? string.Create(CultureInfo.InvariantCulture, $"{comment} (frame {record.FrameNumber} of {Path.GetFileName(source)})")
                    : null;
                output.Write(record.Data, record.TimestampNanoseconds, record.LinkType, note, Math.Max(record.OriginalLength, record.Data.Length));
            }
            output ??= PcapngWriter.CreateFile(destination, LinkType.Ethernet); // The flow is absent from this capture.
        }
        finally
        {
            output?.Dispose();
        }
        return destination;
    }
}
