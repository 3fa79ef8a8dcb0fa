using System.Globalization;
using System.Net;
using System.Text;
using Colo.Compare;
using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>
/// <c>--html FILE</c>: the replay report as one self-contained page (inline CSS and SVG, no script, nothing fetched):
/// the verdict, the hints, the per-flow table, each divergence with both sides' bytes side by side and the differing
/// byte marked, the protocol line that differs when it is text (an HTTP header such as <c>Date</c>), and a timeline of
/// both captures with the divergences, timeouts and queue depth. The colours are fixed (<see cref="Colors"/>) so a
/// test can find each part in a screenshot.
/// </summary>
internal static class HtmlReportWriter
{
    /// <summary>The colours that carry meaning.</summary>
    internal static class Colors
    {
        public const string Same = "#2e7d32";
        public const string Divergent = "#c62828";
        public const string Incomplete = "#ef6c00";
        public const string DifferingByte = "#ffd600";
        public const string PrimaryFrames = "#1565c0";
        public const string SecondaryFrames = "#00897b";
        public const string Timeout = "#fb8c00";
        public const string QueueDepth = "#7b1fa2";
    }

    private const int TimelineWidth = 1100;
    private const int MaxTicksPerLane = 3000;

    public static void Write(ReplayResult result, string path)
    {
        var html = new StringBuilder();
        Render(result, html);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.Read };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var stream = new FileStream(path, options);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(stream.SafeFileHandle, UnixFileMode.UserRead | UnixFileMode.UserWrite); // also when overwritten
        using var writer = new StreamWriter(stream, new UTF8Encoding(false));
        writer.Write(html);
    }

    internal static void Render(ReplayResult result, StringBuilder html)
    {
        string verdictColor = result.Verdict switch
        {
            ReplayVerdict.Same => Colors.Same,
            ReplayVerdict.Divergent => Colors.Divergent,
            _ => Colors.Incomplete,
        };
        html.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>colo-proxy replay: ")
            .Append(E(result.Verdict)).Append("</title>\n<style>")
            .Append("body{margin:0;font:14px/1.4 sans-serif;color:#222;background:#fff}")
            .Append("main{padding:0 24px 24px 24px}")
            .Append("#verdict{display:flex;align-items:center;height:72px;padding:0 24px;color:#fff;font-size:28px;font-weight:bold}")
            .Append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}")
            .Append("td.n{text-align:right}.mono,pre{font-family:monospace}")
            .Append(".sides{display:flex;gap:16px}.side{flex:1;border:1px solid #ccc;padding:8px;min-width:0}")
            .Append(".side pre{margin:4px 0;white-space:pre-wrap;word-break:break-all}")
            .Append(".diff{background:").Append(Colors.DifferingByte).Append(";font-weight:bold}")
            .Append(".hint{background:#fff3e0;border-left:6px solid ").Append(Colors.Incomplete).Append(";padding:6px 10px;margin:6px 0}")
            .Append("</style></head><body>\n");
        html.Append("<div id=\"verdict\" style=\"background:").Append(verdictColor).Append("\">verdict: ").Append(E(result.Verdict)).Append("</div>\n<main>\n");
        html.Append("<p class=\"mono\">primary: ").Append(E(result.Primary.Path)).Append(" &middot; secondary: ").Append(E(result.Secondary.Path))
            .Append(" &middot; start ").Append(E(FrameTimeText.Iso(result.OriginNanoseconds))).Append("</p>\n");
        foreach (string hint in result.Hints)
            html.Append("<div class=\"hint\">").Append(E(hint)).Append("</div>\n");
        EngineCounters c = result.Counters;
        html.Append("<p>").Append(Invariant($"primary: {c.PrimaryReceived} frames, {c.PrimaryReleased} released, {c.PrimaryQueued} queued, {c.PrimaryDropped} dropped; "))
            .Append(Invariant($"secondary: {c.SecondaryReceived} frames, {c.SecondaryMatched} matched, {c.SecondaryQueued} queued, {c.SecondaryDropped} dropped; "))
            .Append(Invariant($"{result.Timeouts.Count} timeouts")).Append("</p>\n");

        RenderTimeline(result, html);
        RenderFlows(result, html);
        RenderDivergences(result, html);
        html.Append("</main></body></html>\n");
    }

    private static void RenderFlows(ReplayResult result, StringBuilder html)
    {
        html.Append("<h2>Flows</h2>\n<table id=\"flows\"><tr><th>result</th><th>flow</th><th>community id</th><th>primary frames</th><th>secondary frames</th><th>bytes compared</th><th>primary queued</th></tr>\n");
        foreach (FlowSummary flow in result.Flows)
        {
            string color = flow.Result switch
            {
                FlowResult.Same => Colors.Same,
                FlowResult.Divergent => Colors.Divergent,
                FlowResult.Incomplete => Colors.Incomplete,
                _ => "#757575",
            };
            html.Append("<tr><td style=\"color:#fff;background:").Append(color).Append("\">").Append(E(flow.Result)).Append("</td><td class=\"mono\">")
                .Append(E(flow.Flow.ToString())).Append("</td><td class=\"mono\">").Append(E(flow.CommunityId ?? "-")).Append("</td>")
                .Append(Invariant($"<td class=\"n\">{flow.PrimaryFrames}</td><td class=\"n\">{flow.SecondaryFrames}</td><td class=\"n\">{flow.BytesCompared}</td><td class=\"n\">{flow.PrimaryQueued}</td></tr>\n"));
        }
        html.Append("</table>\n");
    }

    private static void RenderDivergences(ReplayResult result, StringBuilder html)
    {
        if (result.Divergences.Count == 0)
            return;
        var primaryWanted = result.DivergenceFrames.Where(f => f.Primary is not null).Select(f => f.Primary!.Value.Number).ToHashSet();
        var secondaryWanted = result.DivergenceFrames.Where(f => f.Secondary is not null).Select(f => f.Secondary!.Value.Number).ToHashSet();
        var primaryPayloads = FramePayloads.Read(result.Primary.Path, primaryWanted);
        var secondaryPayloads = FramePayloads.Read(result.Secondary.Path, secondaryWanted);
        html.Append("<h2>Divergences</h2>\n");
        for (int i = 0; i < result.Divergences.Count; i++)
        {
            Divergence d = result.Divergences[i];
            DivergenceFrames frames = result.DivergenceFrames[i];
            string where = d.Sequence is { } seq
                ? Invariant($"stream offset {d.StreamOffset} (seq {seq})")
                : Invariant($"stream offset {d.StreamOffset} (datagram {d.DatagramIndex}, byte {d.DatagramByteOffset})");
            html.Append(Invariant($"<section class=\"divergence\" id=\"divergence-{i + 1}\"><h3>divergence {i + 1}: "))
                .Append(E(d.Flow.ToString())).Append(" at ").Append(E(where)).Append(": ").Append(E(d.Describe())).Append("</h3>\n")
                .Append(Invariant($"<p>found {d.Time.TotalSeconds:0.000000} s into the replay</p>\n"));
            DifferingLine? primaryLine = LineOf(d, frames.Primary, primaryPayloads);
            DifferingLine? secondaryLine = LineOf(d, frames.Secondary, secondaryPayloads);
            if ((primaryLine ?? secondaryLine) is { } meaning)
                html.Append("<p class=\"decoded\"><b>").Append(E(meaning.Meaning)).Append("</b></p>\n");
            html.Append("<div class=\"sides\">\n");
            RenderSide(html, "primary", frames.Primary, result.Primary, d.PrimaryContext, d.ContextOffset, primaryLine);
            RenderSide(html, "secondary", frames.Secondary, result.Secondary, d.SecondaryContext, d.ContextOffset, secondaryLine);
            html.Append("</div></section>\n");
        }
    }

    private static DifferingLine? LineOf(Divergence d, CapturedFrame? frame, Dictionary<long, (byte[] Payload, uint Sequence)> payloads)
    {
        if (frame is not { } f || !payloads.TryGetValue(f.Number, out var found))
            return null;
        long offset = d.Sequence is { } seq ? unchecked(seq - found.Sequence) : d.DatagramByteOffset ?? -1;
        return offset is < 0 or > int.MaxValue ? null : DifferingLine.Find(found.Payload, (int)offset);
    }

    private static void RenderSide(StringBuilder html, string side, CapturedFrame? frame, CaptureSummary capture, byte[] context, int mark, DifferingLine? line)
    {
        html.Append("<div class=\"side\"><h4>").Append(side).Append("</h4>");
        if (frame is { } f)
        {
            html.Append(Invariant($"<p class=\"mono\">frame {f.Number} &middot; ")).Append(E(FrameTimeText.Iso(f.TimestampNanoseconds)))
                .Append(Invariant($" &middot; {f.SecondsSince(capture.FirstTimestampNanoseconds ?? f.TimestampNanoseconds):0.000000} s into ")).Append(E(Path.GetFileName(capture.Path))).Append("</p>");
        }
        else
        {
            html.Append("<p>no frame holds this byte</p>");
        }
        html.Append("<pre>");
        for (int i = 0; i < context.Length; i++)
            html.Append(i == mark ? "<span class=\"diff\">" : "").Append(context[i].ToString("x2", CultureInfo.InvariantCulture)).Append(i == mark ? "</span>" : "").Append(' ');
        if (mark >= context.Length)
            html.Append("<span class=\"diff\">--</span>");
        html.Append("\n");
        for (int i = 0; i < context.Length; i++)
        {
            char ch = context[i] is >= 0x20 and < 0x7F ? (char)context[i] : '.';
            html.Append(i == mark ? "<span class=\"diff\">" : "").Append(E(ch.ToString())).Append(i == mark ? "</span>" : "");
        }
        html.Append("</pre>");
        if (line is not null)
            html.Append("<pre class=\"line\">").Append(E(line.Line)).Append("</pre>");
        html.Append("</div>\n");
    }

    private static void RenderTimeline(ReplayResult result, StringBuilder html)
    {
        double end = Math.Max(1e-6, new[]
        {
            result.PrimaryFrameTimes.Count > 0 ? result.PrimaryFrameTimes[^1].TotalSeconds : 0,
            result.SecondaryFrameTimes.Count > 0 ? result.SecondaryFrameTimes[^1].TotalSeconds : 0,
            result.QueueSamples.Count > 0 ? result.QueueSamples[^1].At.TotalSeconds : 0,
        }.Max());
        const int left = 90, laneHeight = 28, queueTop = 84, queueHeight = 80;
        int plot = TimelineWidth - left - 10;
        double X(TimeSpan t) => left + (t.TotalSeconds / end * plot);
        html.Append(Invariant($"<h2>Timeline</h2>\n<svg id=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{TimelineWidth}\" height=\"{queueTop + queueHeight + 30}\" font-size=\"12\">\n"));
        html.Append(Invariant($"<text x=\"4\" y=\"28\">primary</text><text x=\"4\" y=\"62\">secondary</text><text x=\"4\" y=\"{queueTop + 40}\">queued</text>\n"));
        Lane(html, result.PrimaryFrameTimes, 12, laneHeight, Colors.PrimaryFrames, X);
        Lane(html, result.SecondaryFrameTimes, 46, laneHeight, Colors.SecondaryFrames, X);

        long maxQueue = Math.Max(1, result.QueueSamples.Count == 0 ? 1 : result.QueueSamples.Max(s => s.PrimaryQueued));
        var points = new StringBuilder(Invariant($"{left},{queueTop + queueHeight} "));
        foreach (QueueSample sample in result.QueueSamples)
            points.Append(Invariant($"{X(sample.At):0.0},{queueTop + queueHeight - (sample.PrimaryQueued * (double)queueHeight / maxQueue):0.0} "));
        points.Append(Invariant($"{left + plot},{queueTop + queueHeight}"));
        html.Append(Invariant($"<polygon points=\"{points}\" fill=\"{Colors.QueueDepth}\"/>\n"));
        html.Append(Invariant($"<text x=\"{left + plot - 4}\" y=\"{queueTop + 12}\" text-anchor=\"end\">max {maxQueue} primary frames queued</text>\n"));
        foreach (TimeoutRecord timeout in result.Timeouts)
            html.Append(Invariant($"<rect x=\"{X(timeout.At) - 2:0.0}\" y=\"4\" width=\"5\" height=\"{queueTop + queueHeight - 4}\" fill=\"{Colors.Timeout}\"><title>timeout: {E(timeout.Flow.ToString())}, waited {timeout.Waited.TotalMilliseconds:0} ms</title></rect>\n"));
        foreach (Divergence d in result.Divergences)
            html.Append(Invariant($"<rect x=\"{X(d.Time) - 3:0.0}\" y=\"0\" width=\"7\" height=\"{queueTop + queueHeight + 4}\" fill=\"{Colors.Divergent}\"><title>divergence: {E(d.Flow.ToString())}</title></rect>\n"));
        html.Append(Invariant($"<text x=\"{left}\" y=\"{queueTop + queueHeight + 20}\">0 s</text><text x=\"{left + plot}\" y=\"{queueTop + queueHeight + 20}\" text-anchor=\"end\">{end:0.000} s</text>\n"));
        html.Append("</svg>\n<p>Frames of each capture on the replay clock; ")
            .Append("<span style=\"color:").Append(Colors.Divergent).Append("\">divergences</span>, ")
            .Append("<span style=\"color:").Append(Colors.Timeout).Append("\">timeouts</span> and ")
            .Append("<span style=\"color:").Append(Colors.QueueDepth).Append("\">primary queue depth</span>.</p>\n");
    }

    private static void Lane(StringBuilder html, IReadOnlyList<TimeSpan> times, int top, int height, string color, Func<TimeSpan, double> x)
    {
        int step = Math.Max(1, times.Count / MaxTicksPerLane);
        html.Append(Invariant($"<g fill=\"{color}\">"));
        for (int i = 0; i < times.Count; i += step)
            html.Append(Invariant($"<rect x=\"{x(times[i]):0.0}\" y=\"{top}\" width=\"2\" height=\"{height}\"/>"));
        html.Append("</g>\n");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
