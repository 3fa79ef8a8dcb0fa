using Colo.RealColo.Tests.Pair;
using Colo.RealColo.Tests.Workload;

namespace Colo.RealColo.Tests;

/// <summary>Everything one mode measured and every check of it that failed.</summary>
internal sealed class ModeMeasurement(PairMode mode)
{
    public PairMode Mode { get; } = mode;

    public WorkloadResult Workload { get; set; } = new();

    /// <summary>Primary STOP events (checkpoints) between the workload's start and end, summed over runs.</summary>
    public int Checkpoints { get; set; }

    /// <summary>The checkpoints of each run, in run order.</summary>
    public List<int> CheckpointsPerRun { get; } = [];

    public double CheckpointsPerWorkload => CheckpointsPerRun.Count == 0 ? Checkpoints : (double)Checkpoints / CheckpointsPerRun.Count;

    /// <summary>Why the comparator asked for checkpoints during the workload, by reason.</summary>
    public SortedDictionary<string, int> Reasons { get; } = new(StringComparer.Ordinal);

    /// <summary>Divergences ColoProxy reported that are not an explained real difference.</summary>
    public int FalseDivergences { get; set; }

    public int RealDivergences { get; set; }

    public string? FailoverReason { get; set; }

    public double? FailoverSeconds { get; set; }

    public List<string> Problems { get; } = [];

    public double DownloadMedian => Median(Workload.DownloadSeconds);

    public double PageMedian => Median(Workload.PageSeconds);

    public double EchoMedian => Median(Workload.EchoRoundTripSeconds);

    public string Name => Mode switch
    {
        PairMode.Native => "native",
        PairMode.Reference => "colo-compare",
        _ => "ColoProxy",
    };

    public string DescribeReasons() =>
        Reasons.Count == 0 ? "none" : string.Join(", ", Reasons.Select(r => $"{r.Key} {r.Value}"));

    /// <summary>The runs of one mode as one: samples pooled, checkpoints and reasons summed, problems kept with their run.</summary>
    public static ModeMeasurement Pool(IReadOnlyList<ModeMeasurement> runs)
    {
        var pooled = new ModeMeasurement(runs[0].Mode);
        for (var i = 0; i < runs.Count; i++)
        {
            var run = runs[i];
            pooled.Workload.DownloadSeconds.AddRange(run.Workload.DownloadSeconds);
            pooled.Workload.PageSeconds.AddRange(run.Workload.PageSeconds);
            pooled.Workload.EchoRoundTripSeconds.AddRange(run.Workload.EchoRoundTripSeconds);
            pooled.Workload.Transfers += run.Workload.Transfers;
            pooled.Workload.IntactTransfers += run.Workload.IntactTransfers;
            pooled.Checkpoints += run.Checkpoints;
            pooled.CheckpointsPerRun.Add(run.Checkpoints);
            foreach (var (reason, count) in run.Reasons)
                pooled.Reasons[reason] = pooled.Reasons.GetValueOrDefault(reason) + count;
            pooled.FalseDivergences += run.FalseDivergences;
            pooled.RealDivergences += run.RealDivergences;
            pooled.FailoverReason ??= run.FailoverReason;
            pooled.FailoverSeconds ??= run.FailoverSeconds;
            pooled.Problems.AddRange(run.Problems.Select(p => $"run {i + 1}: {p}"));
        }
        return pooled;
    }

    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
            return double.NaN;
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
