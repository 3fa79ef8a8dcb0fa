using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Colo.LoadGen;

/// <summary>One run's numbers, as a JSON line and a human line.</summary>
internal sealed class RunResult
{
    public required LoadOptions Options { get; init; }

    public required TrafficPlan Plan { get; init; }

    public required long SentPrimary { get; init; }

    public required long SentSecondary { get; init; }

    public required long Released { get; init; }

    public required ReleaseReader Reader { get; init; }

    public required double SendSeconds { get; init; }

    public required double MeasuredSeconds { get; init; }

    public required double CpuSeconds { get; init; }

    public required double CpuWindowSeconds { get; init; }

    public required long PeakRssKilobytes { get; init; }

    /// <summary>Collections of generation 0, 1 and 2 in the comparator over the measured window (ColoProxy only).</summary>
    public long[]? GcCollections { get; init; }

    public required long Lost { get; init; }

    public required long Requests { get; init; }

    public required long Checkpoints { get; init; }

    public string? Failure { get; init; }

    public bool Ok => Failure is null && Lost == 0 && Reader.Mismatched == 0 && Reader.OutOfOrder == 0
        && Reader.Duplicates == 0 && Reader.Unknown == 0;

    public double FramesPerSecond => MeasuredSeconds > 0 ? Reader.MeasuredFrames / MeasuredSeconds : 0;

    public double MegabytesPerSecond => MeasuredSeconds > 0 ? Reader.MeasuredBytes / MeasuredSeconds / 1e6 : 0;

    /// <summary>Comparator CPU seconds per million released frames, over the measured window.</summary>
    public double CpuPerMillion
    {
        get
        {
            if (double.IsNaN(CpuSeconds) || CpuWindowSeconds <= 0 || Reader.MeasuredFrames == 0)
                return double.NaN;
            return CpuSeconds / Reader.MeasuredFrames * 1e6;
        }
    }

    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteString("label", Options.Label);
            json.WriteString("scenario", Options.Scenario);
            json.WriteNumber("flows", Plan.Flows);
            json.WriteNumber("frame_size", TrafficPlan.HeadersLength + Plan.Payload);
            json.WriteNumber("payload", Plan.Payload);
            json.WriteNumber("resegment", Options.Resegment);
            json.WriteNumber("divergence", Options.Divergence);
            json.WriteNumber("rate", Options.Rate);
            json.WriteNumber("vnet_hdr", Plan.VnetHeaderLength);
            json.WriteNumber("send_s", Round(SendSeconds, 3));
            json.WriteNumber("measured_s", Round(MeasuredSeconds, 3));
            json.WriteNumber("sent_primary", SentPrimary);
            json.WriteNumber("sent_secondary", SentSecondary);
            json.WriteNumber("released", Released);
            json.WriteNumber("frames_per_s", Round(FramesPerSecond, 0));
            json.WriteNumber("mb_per_s", Round(MegabytesPerSecond, 1));
            json.WriteStartObject("latency_us");
            WriteNumberOrNull(json, "p50", Reader.Latency.PercentileMicroseconds(0.50));
            WriteNumberOrNull(json, "p99", Reader.Latency.PercentileMicroseconds(0.99));
            WriteNumberOrNull(json, "p999", Reader.Latency.PercentileMicroseconds(0.999));
            WriteNumberOrNull(json, "max", Reader.Latency.Count > 0 ? Reader.Latency.MaxMicroseconds : double.NaN);
            json.WriteNumber("samples", Reader.Latency.Count);
            json.WriteEndObject();
            WriteNumberOrNull(json, "cpu_s", CpuSeconds);
            WriteNumberOrNull(json, "cpu_s_per_mframes", CpuPerMillion);
            json.WriteNumber("rss_peak_kb", PeakRssKilobytes);
            if (GcCollections is { } gc)
            {
                json.WriteStartObject("gc");
                json.WriteNumber("gen0", gc[0]);
                json.WriteNumber("gen1", gc[1]);
                json.WriteNumber("gen2", gc[2]);
                json.WriteEndObject();
            }
            json.WriteStartObject("checkpoints");
            json.WriteNumber("requested", Requests);
            json.WriteNumber("answered", Checkpoints);
            json.WriteEndObject();
            json.WriteNumber("lost", Lost);
            json.WriteNumber("mismatched", Reader.Mismatched);
            json.WriteNumber("out_of_order", Reader.OutOfOrder);
            json.WriteNumber("duplicates", Reader.Duplicates);
            json.WriteNumber("unknown", Reader.Unknown);
            json.WriteStartArray("problems");
            foreach (string example in Reader.Examples)
                json.WriteStringValue(example);
            json.WriteEndArray();
            if (Failure is not null)
                json.WriteString("failure", Failure);
            json.WriteBoolean("ok", Ok);
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public string ToHuman()
    {
        var text = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        text.Append(c, $"{(Options.Label.Length > 0 ? Options.Label + ": " : "")}");
        text.Append(c, $"{Plan.Flows} flow(s), {TrafficPlan.HeadersLength + Plan.Payload} B frames, resegment {Options.Resegment}");
        if (Options.Rate > 0)
            text.Append(c, $", {Options.Rate:0} fps offered");
        text.Append(c, $": {FramesPerSecond:N0} frames/s, {MegabytesPerSecond:N1} MB/s");
        text.Append(c, $", latency p50 {Reader.Latency.PercentileMicroseconds(0.5):0.0} us p99 {Reader.Latency.PercentileMicroseconds(0.99):0.0} us p99.9 {Reader.Latency.PercentileMicroseconds(0.999):0.0} us");
        if (!double.IsNaN(CpuSeconds))
            text.Append(c, $", CPU {CpuSeconds:0.00} s ({CpuPerMillion:0.00} s per M frames), peak RSS {PeakRssKilobytes / 1024.0:0.0} MiB");
        if (GcCollections is { } gc)
            text.Append(c, $", GCs {gc[0]}/{gc[1]}/{gc[2]} (gen0/1/2)");
        text.Append(c, $"; sent {SentPrimary} P / {SentSecondary} S, released {Released}");
        if (Requests > 0)
            text.Append(c, $", {Requests} checkpoint requests, {Checkpoints} answered");
        text.Append(Ok ? "; OK" : $"; PROBLEM: lost {Lost}, altered {Reader.Mismatched}, out of order {Reader.OutOfOrder}, duplicates {Reader.Duplicates}, unknown {Reader.Unknown}");
        if (Failure is not null)
            text.Append(c, $" ({Failure})");
        foreach (string example in Reader.Examples)
            text.Append(c, $"\n  {example}");
        return text.ToString();
    }

    private static double Round(double value, int digits) => double.IsFinite(value) ? Math.Round(value, digits) : 0;

    private static void WriteNumberOrNull(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
            json.WriteNumber(name, Math.Round(value, 3));
        else
            json.WriteNull(name);
    }
}
