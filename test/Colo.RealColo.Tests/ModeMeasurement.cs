using Colo.RealColo.Tests.Pair;
using Colo.RealColo.Tests.Workload;

namespace Colo.RealColo.Tests;

/// <summary>Everything one mode measured and every check of it that failed.</summary>
internal sealed class ModeMeasurement(PairMode mode)
{
    public PairMode Mode { get; } = mode;

    public WorkloadResult Workload { get; set; } = new();

    /// <summary>Primary STOP events (checkpoints) between the workload's start and end.</summary>
    public int Checkpoints { get; set; }

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

    public static double Median(IReadOnlyCollection<double> values)
    {
        if (values.Count == 0)
            return double.NaN;
        var sorted = values.Order().ToArray();
        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
