using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Colo.Compare;
using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>Prints a <see cref="ReplayResult"/> for people (default) or as one JSON object (<c>--json</c>).</summary>
internal static class ReplayReportWriter
{
    /// <summary>Flows listed in the human report; the JSON lists all.</summary>
    private const int HumanFlowRows = 50;

    public static void WriteHuman(ReplayResult result, TextWriter output)
    {
        EngineCounters c = result.Counters;
        output.WriteLine($"verdict: {result.Verdict}");
        foreach (string hint in result.Hints)
            output.WriteLine("hint: " + hint);
        output.WriteLine(Invariant($"primary:   {c.PrimaryReceived} frames, {c.PrimaryReleased} released, {c.PrimaryQueued} queued, {c.PrimaryDropped} dropped{CaptureDetail(result.Primary)}"));
        output.WriteLine(Invariant($"secondary: {c.SecondaryReceived} frames, {c.SecondaryMatched} matched, {c.SecondaryQueued} queued, {c.SecondaryDropped} dropped{DropDetail(c)}{CaptureDetail(result.Secondary)}"));
        output.WriteLine("checkpoint requests: " + string.Join(", ", result.Checkpoints
            .Where(kv => kv.Value > 0)
            .Select(kv => Invariant($"{ReasonName(kv.Key)} {kv.Value}")).DefaultIfEmpty("none")));
        if (c.PrimaryQueued > 0)
            output.WriteLine(Invariant($"note: {c.PrimaryQueued} primary frames were still waiting at the end of the captures (bytes or ACKs the secondary never sent)"));
        if (c.SecondaryQueued > 0)
            output.WriteLine(Invariant($"note: {c.SecondaryQueued} secondary frames were still waiting at the end of the captures (bytes the primary never sent)"));
        foreach (FlowStatus flow in result.StillQueued)
        {
            output.WriteLine(Invariant($"  still queued: {flow.Flow}: primary {flow.PrimaryQueuedFrames} frames, secondary {flow.SecondaryQueuedFrames} frames ({flow.SecondaryQueuedBytes} bytes), oldest waited {flow.OldestQueuedAge.TotalMilliseconds:0} ms"));
        }

        for (int i = 0; i < result.Divergences.Count; i++)
        {
            Divergence d = result.Divergences[i];
            DivergenceFrames frames = result.DivergenceFrames[i];
            output.WriteLine();
            string where = d.Sequence is { } seq
                ? Invariant($"stream offset {d.StreamOffset} (seq {seq})")
                : Invariant($"stream offset {d.StreamOffset} (datagram {d.DatagramIndex}, byte {d.DatagramByteOffset})");
            output.WriteLine(Invariant($"divergence {i + 1}: {d.Flow} at {where}: {d.Describe()}"));
            output.WriteLine("  primary   " + FrameText(frames.Primary, result.Primary));
            output.WriteLine("  secondary " + FrameText(frames.Secondary, result.Secondary));
            output.WriteLine(Invariant($"  found     {d.Time.TotalSeconds:0.000000} s into the replay, at {FrameTimeText.Iso(result.OriginNanoseconds + (d.Time.Ticks * 100))}"));
            output.WriteLine("  primary   " + HexLine(d.PrimaryContext, d.ContextOffset));
            output.WriteLine("  secondary " + HexLine(d.SecondaryContext, d.ContextOffset));
            output.WriteLine("  primary   " + AsciiLine(d.PrimaryContext, d.ContextOffset));
            output.WriteLine("  secondary " + AsciiLine(d.SecondaryContext, d.ContextOffset));
        }

        if (result.Timeouts.Count > 0)
        {
            output.WriteLine();
            output.WriteLine(Invariant($"timeouts ({result.Timeouts.Count}; a live comparator would checkpoint, but content was equal so far, so they are not divergences):"));
            foreach (TimeoutRecord t in result.Timeouts.Take(20))
                output.WriteLine(Invariant($"  {t.Flow}: a {SideName(t.Side)} frame waited {t.Waited.TotalMilliseconds:0} ms (at {t.At.TotalSeconds:0.000} s)"));
            if (result.Timeouts.Count > 20)
                output.WriteLine(Invariant($"  ... {result.Timeouts.Count - 20} more"));
        }

        output.WriteLine();
        output.WriteLine(Invariant($"flows ({result.Flows.Count}):"));
        output.WriteLine(Invariant($"  {"result",-14} {"primary",8} {"secondary",9} {"compared bytes",14}  {"community id",-30}  flow"));
        foreach (FlowSummary flow in result.Flows.Take(HumanFlowRows))
            output.WriteLine(Invariant($"  {flow.Result,-14} {flow.PrimaryFrames,8} {flow.SecondaryFrames,9} {flow.BytesCompared,14}  {flow.CommunityId ?? "-",-30}  {flow.Flow}"));
        if (result.Flows.Count > HumanFlowRows)
            output.WriteLine(Invariant($"  ... {result.Flows.Count - HumanFlowRows} more (--json lists every flow)"));

        foreach (string file in result.ExtractedFiles)
            output.WriteLine("extracted: " + file);
    }

    /// <summary>"frame 1117 at 2026-...Z (0.031900000 s into primary.pcap)", or why there is none.</summary>
    private static string FrameText(CapturedFrame? frame, CaptureSummary capture)
    {
        if (frame is not { } f)
            return "frame: none holds this byte (the capture has nothing there)";
        double relative = f.SecondsSince(capture.FirstTimestampNanoseconds ?? f.TimestampNanoseconds);
        return Invariant($"frame {f.Number} at {FrameTimeText.Iso(f.TimestampNanoseconds)} ({relative:0.000000} s into {Path.GetFileName(capture.Path)})");
    }

    private static string CaptureDetail(CaptureSummary capture)
    {
        var parts = new List<string>();
        if (capture.Skipped > 0)
            parts.Add(Invariant($"{capture.Skipped} skipped (link type)"));
        if (capture.FilteredOut > 0)
            parts.Add(Invariant($"{capture.FilteredOut} other flows left out (--flow)"));
        return parts.Count == 0 ? "" : "; " + string.Join(", ", parts);
    }

    // Member names are kebab-case, as on the control socket (docs/control-protocol.md); reason names, also as keys of
    // a count map, are snake_case there and here.
    public static void WriteJson(ReplayResult result, Stream output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        EngineCounters c = result.Counters;
        json.WriteStartObject();
        json.WriteString("verdict", result.Verdict);
        json.WriteStartArray("hints");
        foreach (string hint in result.Hints)
            json.WriteStringValue(hint);
        json.WriteEndArray();
        json.WriteStartArray("divergences");
        for (int i = 0; i < result.Divergences.Count; i++)
        {
            Divergence d = result.Divergences[i];
            DivergenceFrames frames = result.DivergenceFrames[i];
            json.WriteStartObject();
            json.WriteString("protocol", IpProtocol.Name(d.Protocol));
            json.WriteString("kind", KindName(d.Kind));
            json.WriteStartObject("flow");
            WriteFlowFields(json, d.Flow);
            json.WriteEndObject();
            json.WriteNumber("stream-offset", d.StreamOffset);
            if (d.Sequence is { } seq)
            {
                json.WriteNumber("seq", seq);
                json.WriteBoolean("isn-known", d.IsnKnown);
            }
            if (d.DatagramIndex is { } index)
                json.WriteNumber("datagram-index", index);
            if (d.DatagramByteOffset is { } byteOffset)
                json.WriteNumber("payload-offset", byteOffset);
            json.WriteString("primary-hex", Convert.ToHexStringLower(d.PrimaryContext));
            json.WriteString("secondary-hex", Convert.ToHexStringLower(d.SecondaryContext));
            json.WriteNumber("context-offset", d.ContextOffset);
            if (d.ContextOffset < d.PrimaryContext.Length)
                json.WriteNumber("primary-byte", d.PrimaryContext[d.ContextOffset]);
            if (d.ContextOffset < d.SecondaryContext.Length)
                json.WriteNumber("secondary-byte", d.SecondaryContext[d.ContextOffset]);
            json.WriteNumber("time-s", d.Time.TotalSeconds);
            WriteFrame(json, "primary-frame", frames.Primary, result.Primary);
            WriteFrame(json, "secondary-frame", frames.Secondary, result.Secondary);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartArray("flows");
        foreach (FlowSummary flow in result.Flows)
        {
            json.WriteStartObject();
            json.WriteString("flow", flow.Flow.ToString());
            json.WriteString("protocol", flow.Flow.IpVersion == 0 ? "non-ip" : IpProtocol.Name(flow.Flow.Protocol));
            WriteFlowFields(json, flow.Flow);
            if (flow.CommunityId is { } id)
                json.WriteString("community-id", id);
            else
                json.WriteNull("community-id");
            json.WriteNumber("primary-frames", flow.PrimaryFrames);
            json.WriteNumber("secondary-frames", flow.SecondaryFrames);
            json.WriteNumber("bytes-compared", flow.BytesCompared);
            json.WriteNumber("primary-queued", flow.PrimaryQueued);
            json.WriteString("result", flow.Result);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartObject("checkpoints");
        foreach ((CheckpointReason reason, long count) in result.Checkpoints)
            json.WriteNumber(ReasonName(reason), count);
        json.WriteEndObject();

        json.WriteStartArray("timeouts");
        foreach (TimeoutRecord t in result.Timeouts)
        {
            json.WriteStartObject();
            json.WriteString("flow", t.Flow.ToString());
            json.WriteString("side", SideName(t.Side));
            json.WriteNumber("waited-ms", Math.Round(t.Waited.TotalMilliseconds, 3));
            json.WriteNumber("at-s", t.At.TotalSeconds);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartObject("primary");
        WriteCapture(json, result.Primary);
        json.WriteNumber("frames", c.PrimaryReceived);
        json.WriteNumber("released", c.PrimaryReleased);
        json.WriteNumber("queued", c.PrimaryQueued);
        json.WriteNumber("dropped", c.PrimaryDropped);
        json.WriteEndObject();
        json.WriteStartObject("secondary");
        WriteCapture(json, result.Secondary);
        json.WriteNumber("frames", c.SecondaryReceived);
        json.WriteNumber("matched", c.SecondaryMatched);
        json.WriteNumber("queued", c.SecondaryQueued);
        json.WriteNumber("dropped", c.SecondaryDropped);
        json.WriteStartObject("dropped-by");
        foreach (DropReason reason in Enum.GetValues<DropReason>())
            json.WriteNumber(DropName(reason), c.Dropped(Side.Secondary, reason));
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteNumber("secondary-time-offset-s", result.SecondaryTimeOffset.TotalSeconds);
        json.WriteString("start", FrameTimeText.Iso(result.OriginNanoseconds));
        json.WriteNumber("malformed-frames", c.MalformedFrames);
        json.WriteStartArray("extracted");
        foreach (string file in result.ExtractedFiles)
            json.WriteStringValue(file);
        json.WriteEndArray();
        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
    }

    private static void WriteFlowFields(Utf8JsonWriter json, FlowKey flow)
    {
        json.WriteString("src", flow.SourceText);
        json.WriteNumber("src-port", flow.SourcePort);
        json.WriteString("dst", flow.DestinationText);
        json.WriteNumber("dst-port", flow.DestinationPort);
        if (flow.VlanCount > 0)
        {
            json.WriteStartArray("vlan");
            json.WriteNumberValue(flow.OuterVlanId);
            if (flow.VlanCount > 1)
                json.WriteNumberValue(flow.InnerVlanId);
            json.WriteEndArray();
        }
    }

    private static void WriteFrame(Utf8JsonWriter json, string name, CapturedFrame? frame, CaptureSummary capture)
    {
        if (frame is not { } f)
        {
            json.WriteNull(name);
            return;
        }
        json.WriteStartObject(name);
        json.WriteNumber("number", f.Number);
        json.WriteString("time", FrameTimeText.Iso(f.TimestampNanoseconds));
        json.WriteString("time-epoch", FrameTimeText.Epoch(f.TimestampNanoseconds));
        json.WriteNumber("relative-s", f.SecondsSince(capture.FirstTimestampNanoseconds ?? f.TimestampNanoseconds));
        json.WriteEndObject();
    }

    private static void WriteCapture(Utf8JsonWriter json, CaptureSummary capture)
    {
        json.WriteString("file", capture.Path);
        json.WriteNumber("frames-in-file", capture.Frames);
        json.WriteNumber("skipped-frames", capture.Skipped);
        json.WriteNumber("filtered-out", capture.FilteredOut);
    }

    private static string DropDetail(EngineCounters c)
    {
        var parts = Enum.GetValues<DropReason>()
            .Where(r => c.Dropped(Side.Secondary, r) > 0)
            .Select(r => Invariant($"{DropName(r)} {c.Dropped(Side.Secondary, r)}"))
            .ToList();
        return parts.Count == 0 ? "" : " (" + string.Join(", ", parts) + ")";
    }

    /// <summary>Hex bytes with the differing one in brackets: <c>61 62 [63] 64</c>.</summary>
    private static string HexLine(byte[] bytes, int mark)
    {
        var line = new StringBuilder();
        for (int i = 0; i < bytes.Length; i++)
        {
            if (i > 0)
                line.Append(' ');
            line.Append(i == mark ? $"[{bytes[i]:x2}]" : bytes[i].ToString("x2", CultureInfo.InvariantCulture));
        }
        if (mark >= bytes.Length)
            line.Append(bytes.Length > 0 ? " [--]" : "[--]");
        return line.ToString();
    }

    private static string AsciiLine(byte[] bytes, int mark)
    {
        var line = new StringBuilder();
        for (int i = 0; i < bytes.Length; i++)
        {
            char ch = bytes[i] is >= 0x20 and < 0x7F ? (char)bytes[i] : '.';
            line.Append(i == mark ? $"[{ch}]" : ch.ToString());
        }
        if (mark >= bytes.Length)
            line.Append("[end]");
        return line.ToString();
    }

    public static string ReasonName(CheckpointReason reason) => ReasonNames.Of(reason);

    public static string DropName(DropReason reason) => ReasonNames.Of(reason);

    /// <summary>As everywhere, except that replay's JSON has always spelled a reset divergence "rst" (docs/replay.md).</summary>
    private static string KindName(DivergenceKind kind) => kind == DivergenceKind.Reset ? "rst" : ReasonNames.Of(kind);

    private static string SideName(Side side) => side == Side.Primary ? "primary" : "secondary";

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
