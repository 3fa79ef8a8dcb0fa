using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Colo.LoadGen;

/// <summary>
/// <c>colo-loadgen report FILE</c>: one Markdown table from the JSON result lines of a compare run, with ratios
/// against the rows labelled <c>qemu</c> and <c>null</c> of the same scenario. A line
/// <c>{"label": ..., "scenario": ..., "pending": "why"}</c> prints as a pending row.
/// </summary>
internal static class Report
{
    public const string Usage = """
        colo-loadgen report RESULTS.jsonl [--qemu-label qemu] [--null-label null]
          Prints a Markdown table: per scenario and comparator, frames/s, MB/s, CPU-s per M frames, latency p50/p99,
          peak RSS, and ratios to QEMU and to the null forwarder measured in the same run. A cell measured several
          times is shown by its run with the median frames/s (median p99 latency for paced runs). Free-running and
          lagged runs (--skew none, time:D, bytes:B) get a second table: ratios to QEMU and to the same load in
          lock-step, how far apart the writers ran, bytes held, memory_cap checkpoints, bytes allocated per frame, GCs.
        """;

    private sealed record Row(string Label, string Scenario, JsonElement? Data, string? Pending);

    public static int Run(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
            throw new UsageException("report needs the results file.");
        var reader = new ArgReader(args.Skip(1).ToArray(), new HashSet<string>(StringComparer.Ordinal));
        string qemuLabel = reader.String("--qemu-label") ?? "qemu";
        string nullLabel = reader.String("--null-label") ?? "null";
        reader.RejectUnknown();

        var rows = new List<Row>();
        foreach (string line in File.ReadLines(args[0]))
        {
            if (string.IsNullOrWhiteSpace(line))
                continue;
            using JsonDocument document = JsonDocument.Parse(line);
            JsonElement root = document.RootElement.Clone();
            string label = root.TryGetProperty("label", out JsonElement l) ? l.GetString() ?? "" : "";
            string scenario = root.TryGetProperty("scenario", out JsonElement s) ? s.GetString() ?? "" : "";
            string? pending = root.TryGetProperty("pending", out JsonElement p) ? p.GetString() : null;
            rows.Add(new Row(label, scenario, pending is null ? root : null, pending));
        }

        List<Row> medians = Medians(rows);
        List<Row> lockStep = medians.Where(r => !IsLag(r)).ToList();
        List<Row> lagged = medians.Where(IsLag).ToList();
        if (lockStep.Count > 0)
            Console.Out.Write(Format(lockStep, qemuLabel, nullLabel));
        if (lagged.Count > 0)
        {
            if (lockStep.Count > 0)
                Console.Out.WriteLine();
            Console.Out.Write(FormatLag(lagged, lockStep, qemuLabel));
        }
        return 0;
    }

    /// <summary>
    /// Repeated cells (same scenario and label): the run with the median frames/s, or for paced runs (fixed rate) the
    /// median p99 latency; pending only if all runs were.
    /// </summary>
    private static List<Row> Medians(List<Row> rows)
    {
        var result = new List<Row>();
        foreach (IGrouping<(string, string), Row> cell in rows.GroupBy(r => (r.Scenario, r.Label)))
        {
            List<Row> measured = cell.Where(r => r.Data is not null).OrderBy(MedianKey).ToList();
            result.Add(measured.Count > 0 ? measured[(measured.Count - 1) / 2] : cell.First());
        }

        return result;
    }

    private static double MedianKey(Row row)
    {
        JsonElement d = row.Data!.Value;
        if (Number(d, "rate") > 0 && d.TryGetProperty("latency_us", out JsonElement latency))
        {
            double p99 = Number(latency, "p99");
            return double.IsNaN(p99) ? double.MaxValue : p99;
        }

        return Number(d, "frames_per_s");
    }

    private static string Format(List<Row> rows, string qemuLabel, string nullLabel)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("| scenario | comparator | frames/s | MB/s | CPU-s / M frames | p50 us | p99 us | peak RSS MiB | GCs 0/1/2 | ok | fps / QEMU | fps / null | CPU / QEMU |");
        text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|:-:|--:|--:|--:|");
        foreach (IGrouping<string, Row> scenario in rows.GroupBy(r => r.Scenario))
        {
            Row? qemu = scenario.FirstOrDefault(r => r.Label == qemuLabel && r.Data is not null);
            Row? nul = scenario.FirstOrDefault(r => r.Label == nullLabel && r.Data is not null);
            foreach (Row row in scenario)
            {
                if (row.Data is not JsonElement d)
                {
                    text.AppendLine(c, $"| {row.Scenario} | {row.Label} | pending: {row.Pending} | | | | | | | | | | |");
                    continue;
                }

                double fps = Number(d, "frames_per_s");
                double cpu = Number(d, "cpu_s_per_mframes");
                JsonElement latency = d.GetProperty("latency_us");
                bool ok = d.TryGetProperty("ok", out JsonElement okElement) && okElement.GetBoolean();
                string gc = d.TryGetProperty("gc", out JsonElement g)
                    ? $"{g.GetProperty("gen0").GetInt64()}/{g.GetProperty("gen1").GetInt64()}/{g.GetProperty("gen2").GetInt64()}"
                    : "";
                string okCell = ok ? "yes" : "**no**" + Problems(d);
                string fpsQemu = qemu is null || row == qemu ? "" : Ratio(fps, Number(qemu.Data!.Value, "frames_per_s"));
                string fpsNull = nul is null || row == nul ? "" : Ratio(fps, Number(nul.Data!.Value, "frames_per_s"));
                string cpuQemu = qemu is null || row == qemu ? "" : Ratio(cpu, Number(qemu.Data!.Value, "cpu_s_per_mframes"));
                text.AppendLine(c,
                    $"| {row.Scenario} | {row.Label} | {fps:N0} | {Number(d, "mb_per_s"):N1} | {Cell(cpu, "0.00")} | {Cell(Number(latency, "p50"), "0.0")} | {Cell(Number(latency, "p99"), "0.0")} | {Cell(Number(d, "rss_peak_kb") / 1024, "0.0")} | {gc} | {okCell} | {fpsQemu} | {fpsNull} | {cpuQemu} |");
            }
        }

        return text.ToString();
    }

    /// <summary>A free-running or lagged run (<c>skew</c> other than <c>frames:N</c>); older results have no skew.</summary>
    private static bool IsLag(Row row) =>
        row.Data is JsonElement d ? Text(d, "skew") is { } skew && !skew.StartsWith("frames:", StringComparison.Ordinal)
            : row.Scenario.EndsWith(" free", StringComparison.Ordinal) || row.Scenario.Contains(" lag ", StringComparison.Ordinal);

    /// <summary>
    /// The lag table: per free-running or lagged scenario and comparator, frames/s and CPU against QEMU in the same
    /// scenario and against the same comparator on the same load in lock-step (flows, frame size, re-segmentation),
    /// how far apart the writers ran, what ColoProxy held, memory-cap checkpoints, bytes allocated per frame and GCs.
    /// </summary>
    private static string FormatLag(List<Row> rows, List<Row> lockStep, string qemuLabel)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("| scenario | comparator | frames/s | CPU-s / M frames | fps / QEMU | CPU / QEMU | fps / lock-step | lead MB (P / S) | held MB | memory_cap / all checkpoints | B / frame (new chunks) | GCs 0/1/2 | peak RSS MiB | ok |");
        text.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|:-:|");
        foreach (IGrouping<string, Row> scenario in rows.GroupBy(r => r.Scenario))
        {
            Row? qemu = scenario.FirstOrDefault(r => r.Label == qemuLabel && r.Data is not null);
            foreach (Row row in scenario)
            {
                if (row.Data is not JsonElement d)
                {
                    text.AppendLine(c, $"| {row.Scenario} | {row.Label} | pending: {row.Pending} | | | | | | | | | | | |");
                    continue;
                }

                double fps = Number(d, "frames_per_s");
                double cpu = Number(d, "cpu_s_per_mframes");
                Row? step = lockStep.FirstOrDefault(r => r.Label == row.Label && r.Data is JsonElement l && SameLoad(l, d));
                bool ok = d.TryGetProperty("ok", out JsonElement okElement) && okElement.GetBoolean();
                string gc = d.TryGetProperty("gc", out JsonElement g)
                    ? $"{g.GetProperty("gen0").GetInt64()}/{g.GetProperty("gen1").GetInt64()}/{g.GetProperty("gen2").GetInt64()}"
                    : "";
                JsonElement checkpoints = d.GetProperty("checkpoints");
                double memoryCap = Number(checkpoints, "memory_cap");
                string checkpointCell = (double.IsFinite(memoryCap) ? memoryCap.ToString("0", c) + " / " : "") + Number(checkpoints, "requested").ToString("0", c);
                string held = d.TryGetProperty("max_buffered_bytes", out JsonElement h) ? (h.GetDouble() / 1e6).ToString("0.0", c) : "";
                string perFrame = Number(d, "allocated_bytes_per_frame") is var b && double.IsFinite(b) ? b.ToString("0.00", c) : "";
                if (perFrame.Length > 0 && Number(d, "storage_allocations") is var chunks && double.IsFinite(chunks))
                    perFrame += " (" + chunks.ToString("0", c) + ")";
                string fpsQemu = qemu is null || row == qemu ? "" : Ratio(fps, Number(qemu.Data!.Value, "frames_per_s"));
                string cpuQemu = qemu is null || row == qemu ? "" : Ratio(cpu, Number(qemu.Data!.Value, "cpu_s_per_mframes"));
                string fpsStep = step is null ? "" : Ratio(fps, Number(step.Data!.Value, "frames_per_s"));
                text.AppendLine(c,
                    $"| {row.Scenario} | {row.Label} | {fps:N0} | {Cell(cpu, "0.00")} | {fpsQemu} | {cpuQemu} | {fpsStep} | {Cell(Number(d, "max_primary_lead_mb"), "0")} / {Cell(Number(d, "max_secondary_lead_mb"), "0")} | {held} | {checkpointCell} | {perFrame} | {gc} | {Cell(Number(d, "rss_peak_kb") / 1024, "0.0")} | {(ok ? "yes" : "**no**" + Problems(d))} |");
            }
        }

        return text.ToString();
    }

    private static bool SameLoad(JsonElement a, JsonElement b) =>
        Number(a, "flows") == Number(b, "flows") && Number(a, "frame_size") == Number(b, "frame_size")
        && Number(a, "resegment") == Number(b, "resegment") && Number(a, "rate") == Number(b, "rate")
        && Number(a, "divergence") == Number(b, "divergence");

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>" (N reordered, N lost)": what made a run fail.</summary>
    private static string Problems(JsonElement d)
    {
        var parts = new List<string>();
        foreach ((string field, string word) in (ReadOnlySpan<(string, string)>)[("out_of_order", "reordered"), ("lost", "lost"),
            ("mismatched", "altered"), ("duplicates", "duplicated"), ("unknown", "unknown")])
        {
            double value = Number(d, field);
            if (value > 0)
                parts.Add(value.ToString("N0", CultureInfo.InvariantCulture) + " " + word);
        }

        if (d.TryGetProperty("failure", out JsonElement failure))
            parts.Add(failure.GetString() ?? "failed");
        return parts.Count == 0 ? "" : " (" + string.Join(", ", parts) + ")";
    }

    private static double Number(JsonElement element, string name) =>
        element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : double.NaN;

    private static string Cell(double value, string format) =>
        double.IsFinite(value) && value >= 0 ? value.ToString(format, CultureInfo.InvariantCulture) : "n/a";

    private static string Ratio(double value, double baseline) =>
        double.IsFinite(value) && double.IsFinite(baseline) && baseline > 0
            ? (value / baseline).ToString("0.00", CultureInfo.InvariantCulture) + "x"
            : "n/a";
}
