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

    /// <summary>Bytes the comparator allocated over the measured window (ColoProxy only).</summary>
    public long? AllocatedBytes { get; init; }

    /// <summary>Memory-cap checkpoints the comparator asked for over the whole run (ColoProxy only).</summary>
    public long? MemoryCapTriggers { get; init; }

    /// <summary>Chunks and queue blocks the comparator's engine allocated over the measured window (ColoProxy only).</summary>
    public long? StorageAllocations { get; init; }

    /// <summary>Most bytes the comparator held for comparison at any sample (ColoProxy only).</summary>
    public long? MaxBufferedBytes { get; init; }

    /// <summary>Most primary frames written ahead of the secondary at any sample (and the other way round).</summary>
    public long MaxPrimaryLeadFrames { get; init; }

    public long MaxSecondaryLeadFrames { get; init; }

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
            json.WriteString("skew", Options.Skew.ToString());
            json.WriteNumber("window", Options.Window);
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
            if (AllocatedBytes is { } allocated)
            {
                json.WriteNumber("allocated_bytes", allocated);
                json.WriteNumber("allocated_bytes_per_frame", Reader.MeasuredFrames > 0 ? Round((double)allocated / Reader.MeasuredFrames, 2) : 0);
            }
            if (StorageAllocations is { } storage)
                json.WriteNumber("storage_allocations", storage);
            if (MaxBufferedBytes is { } buffered)
                json.WriteNumber("max_buffered_bytes", buffered);
            long frameBytes = Plan.PrimaryFrameLength;
            json.WriteNumber("max_primary_lead_mb", Round(MaxPrimaryLeadFrames * frameBytes / 1e6, 1));
            json.WriteNumber("max_secondary_lead_mb", Round(MaxSecondaryLeadFrames * frameBytes / 1e6, 1));
            json.WriteStartObject("checkpoints");
            json.WriteNumber("requested", Requests);
            if (MemoryCapTriggers is { } memoryCap)
                json.WriteNumber("memory_cap", memoryCap);
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
        if (AllocatedBytes is { } allocated && Reader.MeasuredFrames > 0)
            text.Append(c, $", {(double)allocated / Reader.MeasuredFrames:0.##} B allocated per frame");
        if (StorageAllocations is { } storage)
            text.Append(c, $" ({storage} new storage chunks/blocks)");
        if (Options.Skew.Kind != SkewKind.Frames || MaxPrimaryLeadFrames > Options.Skew.Frames)
            text.Append(c, $", skew {Options.Skew}: primary up to {MaxPrimaryLeadFrames * Plan.PrimaryFrameLength / 1e6:0.#} MB ahead, secondary up to {MaxSecondaryLeadFrames * Plan.PrimaryFrameLength / 1e6:0.#} MB");
        if (MaxBufferedBytes is { } buffered)
            text.Append(c, $", held up to {buffered / 1e6:0.#} MB");
        if (MemoryCapTriggers is { } memoryCap)
            text.Append(c, $", {memoryCap} memory_cap checkpoints");
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
