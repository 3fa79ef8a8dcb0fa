using System.Text.Json;
using Colo.Compare;
using Colo.Packets.Frames;
using Colo.Proxy.Hosting;
using Colo.Proxy.Metrics;

namespace Colo.Proxy.Control;

/// <summary>JSON shapes shared by replies and events (written with <see cref="Utf8JsonWriter"/>, no reflection).</summary>
internal static class ControlJson
{
    /// <summary>Readable output ("->", "+" unescaped): the control socket is local, not HTML.</summary>
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static void WriteFlow(Utf8JsonWriter writer, in FlowKey flow)
    {
        writer.WriteString("flow", flow.ToString());
        writer.WriteString("protocol", IpProtocol.Name(flow.Protocol));
        writer.WriteString("src", flow.SourceAddress.ToString());
        writer.WriteNumber("src-port", flow.SourcePort);
        writer.WriteString("dst", flow.DestinationAddress.ToString());
        writer.WriteNumber("dst-port", flow.DestinationPort);
        if (flow.VlanCount > 0)
        {
            writer.WriteNumber("vlan", flow.OuterVlanId);
            if (flow.VlanCount > 1)
                writer.WriteNumber("inner-vlan", flow.InnerVlanId);
        }
    }

    public static void WriteDivergence(Utf8JsonWriter writer, Divergence divergence)
    {
        WriteFlow(writer, divergence.Flow);
        writer.WriteString("kind", ColoMetrics.Tag(divergence.Kind));
        writer.WriteString("description", divergence.Describe());
        writer.WriteNumber("offset", divergence.StreamOffset);
        if (divergence.Sequence is { } seq)
            writer.WriteNumber("seq", seq);
        if (divergence.DatagramIndex is { } index)
            writer.WriteNumber("datagram", index);
        writer.WriteBoolean("isn-known", divergence.IsnKnown);
        writer.WriteString("primary", Convert.ToHexString(divergence.PrimaryContext));
        writer.WriteString("secondary", Convert.ToHexString(divergence.SecondaryContext));
        writer.WriteNumber("context-offset", divergence.ContextOffset);
    }

    public static void WriteRecordedFiles(Utf8JsonWriter writer, Recording.RecordedFiles files)
    {
        writer.WriteString("kind", files.Kind);
        writer.WriteString("flow", files.Flow);
        writer.WriteString("primary-file", files.Primary);
        writer.WriteString("secondary-file", files.Secondary);
        writer.WriteString("report-file", files.Report);
        writer.WriteNumber("primary-frames", files.PrimaryFrames);
        writer.WriteNumber("secondary-frames", files.SecondaryFrames);
    }

    public static void WriteCheckpointRequest(Utf8JsonWriter writer, CheckpointRequest request)
    {
        writer.WriteString("reason", ColoMetrics.Tag(request.Reason));
        writer.WriteBoolean("repeat", request.Repeat);
        if (request.Flow is { } flow)
            writer.WriteString("flow", flow);
        if (request.Reason is CheckpointReason.Timeout or CheckpointReason.QueueFull && !request.Repeat)
            writer.WriteString("side", request.Side == Side.Primary ? "primary" : "secondary");
        if (request.Reason == CheckpointReason.Timeout && !request.Repeat)
            writer.WriteNumber("waited-ms", (long)request.Waited.TotalMilliseconds);
    }

    public static void WriteCounters(Utf8JsonWriter writer, EngineCounters c)
    {
        writer.WriteStartObject("primary");
        writer.WriteNumber("received", c.PrimaryReceived);
        writer.WriteNumber("bytes", c.PrimaryBytesReceived);
        writer.WriteNumber("queued", c.PrimaryQueued);
        writer.WriteStartObject("released");
        writer.WriteNumber("total", c.PrimaryReleased);
        foreach (ReleaseReason reason in Enum.GetValues<ReleaseReason>())
            writer.WriteNumber(ColoMetrics.Tag(reason), c.Released(reason));
        writer.WriteEndObject();
        WriteDropped(writer, c, Side.Primary, c.PrimaryDropped);
        writer.WriteEndObject();

        writer.WriteStartObject("secondary");
        writer.WriteNumber("received", c.SecondaryReceived);
        writer.WriteNumber("bytes", c.SecondaryBytesReceived);
        writer.WriteNumber("matched", c.SecondaryMatched);
        writer.WriteNumber("queued", c.SecondaryQueued);
        WriteDropped(writer, c, Side.Secondary, c.SecondaryDropped);
        writer.WriteEndObject();

        writer.WriteNumber("divergences", c.Divergences);
        writer.WriteNumber("malformed", c.MalformedFrames);
        writer.WriteStartObject("triggers");
        foreach (CheckpointReason reason in Enum.GetValues<CheckpointReason>())
            writer.WriteNumber(ColoMetrics.Tag(reason), c.Triggers(reason));
        writer.WriteEndObject();
        writer.WriteBoolean("balanced", c.IsBalanced);
    }

    private static void WriteDropped(Utf8JsonWriter writer, EngineCounters c, Side side, long total)
    {
        writer.WriteStartObject("dropped");
        writer.WriteNumber("total", total);
        foreach (DropReason reason in Enum.GetValues<DropReason>())
            writer.WriteNumber(ColoMetrics.Tag(reason), c.Dropped(side, reason));
        writer.WriteEndObject();
    }
}
