using System.Text;
using System.Text.Json;
using Colo.RealColo.Tests.Pair;
using Colo.RealColo.Tests.Qmp;
using Colo.RealColo.Tests.Workload;

namespace Colo.RealColo.Tests;

/// <summary>
/// Runs one mode from boot to shutdown: start the pair, warm up, run the workload, then the checks that do not need
/// the other modes (transfers intact, console clean, no hung checkpoint, ColoProxy's accounting and divergences) and,
/// for ColoProxy, the failover. Checks are collected as problems rather than thrown, so one run reports all of them.
/// </summary>
internal static class ModeRunner
{
    private static readonly TimeSpan CheckpointHangLimit = TimeSpan.FromSeconds(10);

    public static async Task<ModeMeasurement> RunAsync(PairMode mode, PairSettings settings, WorkloadRunner workload, string runDirectory, bool failover)
    {
        var log = settings.Log;
        var measurement = new ModeMeasurement(mode);
        await using var pair = await ColoPair.StartAsync(mode, settings, runDirectory).ConfigureAwait(false);

        var warmUp = new WorkloadResult();
        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false); // the guests' boot-time IPv6 chatter
        await workload.WarmUpAsync(warmUp).ConfigureAwait(false);
        measurement.Problems.AddRange(warmUp.Failures);

        var proxyEventsBefore = pair.ProxyControl?.Events.Count ?? 0;
        var referenceTraceBefore = TraceLength(pair);
        var primaryEventsBefore = pair.Primary.Events.Count;
        measurement.Workload = await workload.RunAsync(measurement.Name).ConfigureAwait(false);
        measurement.Problems.AddRange(measurement.Workload.Failures);
        log($"{measurement.Name}: downloads {Seconds(measurement.Workload.DownloadSeconds, 3)}");
        log($"{measurement.Name}: GETs {Seconds(measurement.Workload.PageSeconds, 4)}");
        if (mode == PairMode.Native)
            return measurement;

        var window = (measurement.Workload.StartedAt, measurement.Workload.EndedAt);
        measurement.Checkpoints = pair.Primary.Events.Skip(primaryEventsBefore)
            .Count(e => e.Name == "STOP" && e.ReceivedAt >= window.StartedAt && e.ReceivedAt <= window.EndedAt);
        await CheckNoHungCheckpointAsync(pair, measurement).ConfigureAwait(false);
        if (mode == PairMode.Reference)
            CountReferenceReasons(pair, referenceTraceBefore, measurement);
        else
            await CheckProxyAsync(pair, proxyEventsBefore, window, measurement).ConfigureAwait(false);
        measurement.Problems.AddRange(pair.ConsoleProblems());

        if (failover)
            await FailoverAsync(pair, workload, settings, measurement).ConfigureAwait(false);
        log($"{measurement.Name}: {measurement.Checkpoints} checkpoints during the workload ({measurement.DescribeReasons()}); " +
            $"problems: {(measurement.Problems.Count == 0 ? "none" : string.Join("; ", measurement.Problems.Take(10)))}");
        return measurement;
    }

    private static string Seconds(IEnumerable<double> values, int decimals) =>
        string.Join(' ', values.Order().Select(v => v.ToString("F" + decimals, System.Globalization.CultureInfo.InvariantCulture))) + " s";

    /// <summary>Every STOP of the run is followed by a RESUME within the limit, and the primary is running at the end.</summary>
    private static async Task CheckNoHungCheckpointAsync(ColoPair pair, ModeMeasurement measurement)
    {
        var events = pair.Primary.Events;
        var lastStop = events.Select((e, i) => (e, i)).LastOrDefault(x => x.e.Name == "STOP");
        if (lastStop.e is not null
            && await pair.Primary.WaitForEventAsync(e => e.Name == "RESUME", CheckpointHangLimit, lastStop.i).ConfigureAwait(false) is null)
        {
            measurement.Problems.Add($"hung checkpoint: STOP at {lastStop.e.ReceivedAt:F1} s has no RESUME within {CheckpointHangLimit.TotalSeconds:F0} s");
        }
        events = pair.Primary.Events;
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i].Name != "STOP")
                continue;
            var resume = events.Skip(i + 1).FirstOrDefault(e => e.Name == "RESUME");
            if (resume is null || resume.ReceivedAt - events[i].ReceivedAt > CheckpointHangLimit.TotalSeconds)
                measurement.Problems.Add($"slow or hung checkpoint: STOP at {events[i].ReceivedAt:F1} s, RESUME at {resume?.ReceivedAt.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) ?? "never"}");
        }
        var status = await pair.Primary.ExecuteAsync("query-status").ConfigureAwait(false);
        if (!status.GetProperty("running").GetBoolean())
            measurement.Problems.Add($"the primary is not running after the workload: {status.GetRawText()}");
    }

    /// <summary>
    /// colo-compare's trace lines written during the workload: timeouts and UDP/ICMP miscompares. A TCP miscompare has
    /// no trace point of its own that is not also hit per packet, so checkpoints not explained here count as "other".
    /// </summary>
    private static void CountReferenceReasons(ColoPair pair, long traceBefore, ModeMeasurement measurement)
    {
        if (!File.Exists(pair.ReferenceTrace))
            return;
        var text = ColoPair.ReadShared(pair.ReferenceTrace);
        var during = traceBefore < text.Length ? text[(int)traceBefore..] : "";
        foreach (var line in during.Split('\n'))
        {
            var reason =
                line.Contains("colo_old_packet_check_found", StringComparison.Ordinal) ? "timeout" :
                line.Contains("miscompare", StringComparison.Ordinal) && line.Contains("primary", StringComparison.Ordinal) ? "miscompare" :
                null;
            if (reason is not null)
                measurement.Reasons[reason] = measurement.Reasons.GetValueOrDefault(reason) + 1;
        }
        var other = measurement.Checkpoints - measurement.Reasons.Values.Sum();
        if (other > 0)
            measurement.Reasons["other"] = other;
    }

    private static long TraceLength(ColoPair pair) =>
        pair.Mode == PairMode.Reference && File.Exists(pair.ReferenceTrace) ? ColoPair.ReadShared(pair.ReferenceTrace).Length : 0;

    /// <summary>ColoProxy's reasons, divergences (a real difference such as a Date header is counted apart) and accounting.</summary>
    private static async Task CheckProxyAsync(ColoPair pair, int eventsBefore, (double StartedAt, double EndedAt) window, ModeMeasurement measurement)
    {
        var control = pair.ProxyControl!;
        foreach (var e in control.Events.Skip(eventsBefore))
        {
            var inWindow = e.ReceivedAt >= window.StartedAt && e.ReceivedAt <= window.EndedAt;
            if (e.Name == "COLO_CHECKPOINT_REQUEST" && inWindow
                && !(e.Data.TryGetProperty("repeat", out var repeat) && repeat.GetBoolean()))
            {
                var reason = e.DataString("reason") ?? "?";
                measurement.Reasons[reason] = measurement.Reasons.GetValueOrDefault(reason) + 1;
            }
            if (e.Name == "COLO_DIVERGENCE")
            {
                if (IsRealDifference(e))
                {
                    measurement.RealDivergences++;
                }
                else
                {
                    measurement.FalseDivergences++;
                    measurement.Problems.Add($"false divergence: {e.Data.GetRawText()}");
                }
            }
        }
        CheckBalanced(await pair.ProxyStatsAsync().ConfigureAwait(false), "after the workload", measurement);
        var log = ColoPair.ReadShared(pair.ProxyLog);
        if (log.Contains("has not resumed the primary", StringComparison.Ordinal))
            measurement.Problems.Add("ColoProxy reported a checkpoint that did not resume the primary (see colo-proxy.log)");
    }

    // A difference in what the guests really sent, e.g. an HTTP Date header that crossed a second boundary between
    // the replicas: the contexts of both sides are text that differs only there.
    private static bool IsRealDifference(QmpEvent divergence)
    {
        var primary = HexText(divergence.DataString("primary-hex"));
        var secondary = HexText(divergence.DataString("secondary-hex"));
        return (primary + secondary).Contains("GMT", StringComparison.Ordinal)
            || (primary + secondary).Contains("Date", StringComparison.Ordinal);
    }

    private static string HexText(string? hex)
    {
        if (string.IsNullOrEmpty(hex))
            return "";
        try
        {
            return Encoding.ASCII.GetString(Convert.FromHexString(hex));
        }
        catch (FormatException)
        {
            return "";
        }
    }

    private static void CheckBalanced(JsonElement stats, string when, ModeMeasurement measurement)
    {
        if (!stats.TryGetProperty("balanced", out var balanced) || !balanced.GetBoolean())
            measurement.Problems.Add($"ColoProxy accounting not balanced {when}: {stats.GetRawText()}");
    }

    /// <summary>
    /// Kills the secondary by pid: the primary's next checkpoint fails, QEMU sends COLO_EXIT (reason "error"), ColoProxy
    /// must switch to failover, and the client must keep working on the primary alone.
    /// </summary>
    private static async Task FailoverAsync(ColoPair pair, WorkloadRunner workload, PairSettings settings, ModeMeasurement measurement)
    {
        var from = pair.Primary.Events.Count;
        var killedAt = settings.Clock.Elapsed.TotalSeconds;
        pair.SecondaryProcess!.Kill();
        var across = new WorkloadResult();
        var inFlight = workload.PageAsync(across, "GET across the failover", record: false);
        var exit = await pair.Primary.WaitForEventAsync(e => e.Name == "COLO_EXIT", TimeSpan.FromSeconds(60), from).ConfigureAwait(false);
        await inFlight.ConfigureAwait(false);
        measurement.Problems.AddRange(across.Failures);
        if (exit is null)
        {
            measurement.Problems.Add("failover: no COLO_EXIT on the primary within 60 s of killing the secondary");
            return;
        }
        measurement.FailoverReason = exit.DataString("reason");
        measurement.FailoverSeconds = exit.ReceivedAt - killedAt;

        string? state = null;
        for (var i = 0; i < 50 && state != "failover"; i++)
        {
            state = (await pair.ProxyControl!.ExecuteAsync("query-status").ConfigureAwait(false)).GetProperty("state").GetString();
            if (state != "failover")
                await Task.Delay(200).ConfigureAwait(false);
        }
        if (state != "failover")
            measurement.Problems.Add($"failover: ColoProxy is '{state}' 10 s after COLO_EXIT, not 'failover'");

        var after = await workload.RunAfterFailoverAsync().ConfigureAwait(false);
        measurement.Problems.AddRange(after.Failures);
        CheckBalanced(await pair.ProxyStatsAsync().ConfigureAwait(false), "after the failover", measurement);
        settings.Log($"failover: COLO_EXIT reason {measurement.FailoverReason} {measurement.FailoverSeconds:F1} s after the kill; " +
            $"ColoProxy {state}; {after.IntactTransfers}/{after.Transfers} transfers intact after it");
    }
}
