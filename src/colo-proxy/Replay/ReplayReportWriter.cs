using System.Globalization;
using System.Text;
using System.Text.Json;
using Colo.Compare;
using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>Prints a <see cref="ReplayResult"/> for people (default) or as one JSON object (<c>--json</c>).</summary>
internal static class ReplayReportWriter
{
    public static void WriteHuman(ReplayResult result, TextWriter output)
    {
        EngineCounters c = result.Counters;
        output.WriteLine($"verdict: {result.Verdict}");
        output.WriteLine(Invariant($"primary:   {c.PrimaryReceived} frames, {c.PrimaryReleased} released, {c.PrimaryQueued} queued, {c.PrimaryDropped} dropped"));
        output.WriteLine(Invariant($"secondary: {c.SecondaryReceived} frames, {c.SecondaryMatched} matched, {c.SecondaryQueued} queued, {c.SecondaryDropped} dropped{DropDetail(c)}"));
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
            output.WriteLine();
            string where = d.Sequence is { } seq
                ? Invariant($"stream offset {d.StreamOffset} (seq {seq})")
                : Invariant($"stream offset {d.StreamOffset} (datagram {d.DatagramIndex}, byte {d.DatagramByteOffset})");
            output.WriteLine(Invariant($"divergence {i + 1}: {d.Flow} at {where}: {d.Describe()}"));
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
    }

    public static void WriteJson(ReplayResult result, Stream output)
    {
        using var json = new Utf8JsonWriter(output, new JsonWriterOptions { Indented = true });
        EngineCounters c = result.Counters;
        json.WriteStartObject();
        json.WriteString("verdict", result.Verdict);
        json.WriteStartArray("divergences");
        foreach (Divergence d in result.Divergences)
        {
            json.WriteStartObject();
            json.WriteString("protocol", IpProtocol.Name(d.Protocol));
            json.WriteString("kind", KindName(d.Kind));
            json.WriteStartObject("flow");
            json.WriteString("src", d.Flow.SourceText);
            json.WriteNumber("sport", d.Flow.SourcePort);
            json.WriteString("dst", d.Flow.DestinationText);
            json.WriteNumber("dport", d.Flow.DestinationPort);
            if (d.Flow.VlanCount > 0)
            {
                json.WriteStartArray("vlan");
                json.WriteNumberValue(d.Flow.OuterVlanId);
                if (d.Flow.VlanCount > 1)
                    json.WriteNumberValue(d.Flow.InnerVlanId);
                json.WriteEndArray();
            }
            json.WriteEndObject();
            json.WriteNumber("stream_offset", d.StreamOffset);
            if (d.Sequence is { } seq)
            {
                json.WriteNumber("seq", seq);
                json.WriteBoolean("isn_known", d.IsnKnown);
            }
            if (d.DatagramIndex is { } index)
                json.WriteNumber("datagram_index", index);
            if (d.DatagramByteOffset is { } byteOffset)
                json.WriteNumber("payload_offset", byteOffset);
            json.WriteString("primary_hex", Convert.ToHexStringLower(d.PrimaryContext));
            json.WriteString("secondary_hex", Convert.ToHexStringLower(d.SecondaryContext));
            json.WriteNumber("context_offset", d.ContextOffset);
            if (d.ContextOffset < d.PrimaryContext.Length)
                json.WriteNumber("primary_byte", d.PrimaryContext[d.ContextOffset]);
            if (d.ContextOffset < d.SecondaryContext.Length)
                json.WriteNumber("secondary_byte", d.SecondaryContext[d.ContextOffset]);
            json.WriteNumber("time_s", d.Time.TotalSeconds);
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
            json.WriteNumber("waited_ms", Math.Round(t.Waited.TotalMilliseconds, 3));
            json.WriteNumber("at_s", t.At.TotalSeconds);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteStartObject("primary");
        json.WriteNumber("frames", c.PrimaryReceived);
        json.WriteNumber("released", c.PrimaryReleased);
        json.WriteNumber("queued", c.PrimaryQueued);
        json.WriteNumber("dropped", c.PrimaryDropped);
        json.WriteEndObject();
        json.WriteStartObject("secondary");
        json.WriteNumber("frames", c.SecondaryReceived);
        json.WriteNumber("matched", c.SecondaryMatched);
        json.WriteNumber("queued", c.SecondaryQueued);
        json.WriteNumber("dropped", c.SecondaryDropped);
        json.WriteStartObject("dropped_by");
        foreach (DropReason reason in Enum.GetValues<DropReason>())
            json.WriteNumber(DropName(reason), c.Dropped(Side.Secondary, reason));
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteNumber("malformed_frames", c.MalformedFrames);
        json.WriteEndObject();
        json.Flush();
        output.WriteByte((byte)'\n');
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
