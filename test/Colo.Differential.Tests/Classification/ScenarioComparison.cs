using Colo.Differential.Tests.Harness;
using Colo.Differential.Tests.Scenarios;

namespace Colo.Differential.Tests.Classification;

/// <summary>
/// Lines up QEMU's and ColoProxy's outcomes of one scenario and lists their differences. The comparators are compared
/// up to the first step where either asked for a checkpoint (the harness stops sending there); when both asked at
/// the same step, or neither did, the frames the answering <c>COLO_CHECKPOINT</c> flushed are compared too.
/// </summary>
internal sealed class ScenarioComparison
{
    public ScenarioComparison(Scenario scenario, Outcome qemu, Outcome ours)
    {
        Scenario = scenario;
        Qemu = qemu;
        Ours = ours;
        Differences = Compute();
    }

    public Scenario Scenario { get; }

    public Outcome Qemu { get; }

    public Outcome Ours { get; }

    public IReadOnlyList<Difference> Differences { get; }

    public bool Identical => Differences.Count == 0;

    /// <summary>Both requested their first checkpoint after the same step, or neither did.</summary>
    public bool SameVerdict => Qemu.CheckpointStep == Ours.CheckpointStep;

    public string SideBySide()
    {
        var left = Qemu.Describe(Scenario).Split('\n');
        var right = Ours.Describe(Scenario).Split('\n');
        var width = Math.Max(40, left.Max(l => l.Length) + 2);
        var lines = new List<string>();
        for (var i = 0; i < Math.Max(left.Length, right.Length); i++)
        {
            var l = i < left.Length ? left[i] : "";
            var r = i < right.Length ? right[i] : "";
            lines.Add(l.PadRight(width) + "| " + r);
        }

        var steps = Scenario.Steps.Select((s, i) => $"    {i,3} {s.Side,-9} flow {s.Flow} {Describe(s.Frame)}");
        var timing = $"  first checkpoint request after {Milliseconds(Qemu.CheckpointAfter)} (QEMU), {Milliseconds(Ours.CheckpointAfter)} (ColoProxy)\n";
        return $"{Scenario}\n{timing}  flows:\n    {string.Join("\n    ", Scenario.Flows)}\n  steps:\n{string.Join('\n', steps)}\n" +
               string.Join('\n', lines);
    }

    private static string Milliseconds(TimeSpan? time) =>
        time is { } t ? $"{t.TotalMilliseconds:F1} ms" : "-";

    private static string Describe(byte[] frame) => Convert.ToHexString(frame.AsSpan(0, Math.Min(frame.Length, 96)));

    private List<Difference> Compute()
    {
        var differences = new List<Difference>();
        var horizon = Math.Min(Qemu.CheckpointStep ?? int.MaxValue, Ours.CheckpointStep ?? int.MaxValue);
        if (!SameVerdict)
        {
            var qemuFirst = (Qemu.CheckpointStep ?? int.MaxValue) < (Ours.CheckpointStep ?? int.MaxValue);
            var flow = Scenario.Flows[Scenario.Steps[horizon].Flow];
            var detail = $"QEMU after step {Show(Qemu.CheckpointStep)}, ColoProxy after step {Show(Ours.CheckpointStep)}";
            differences.Add(new Difference(qemuFirst ? DifferenceKind.QemuCheckpointFirst : DifferenceKind.OursCheckpointFirst, flow, detail)
            {
                Candidates = BatchFlows(horizon),
            });
        }
        else if (Qemu.CheckpointStep is null && (Qemu.LateCheckpointRequests > 0) != (Ours.LateCheckpointRequests > 0))
        {
            var kind = Qemu.LateCheckpointRequests > 0 ? DifferenceKind.QemuLateCheckpointOnly : DifferenceKind.OursLateCheckpointOnly;
            differences.Add(new Difference(kind, LastFlow(), $"late requests QEMU {Qemu.LateCheckpointRequests}, ColoProxy {Ours.LateCheckpointRequests}"));
        }

        foreach (var flow in Scenario.Flows)
        {
            if (ReleaseTimingDifference(flow, horizon) is { } timing)
            {
                differences.Add(timing);
                continue;
            }

            List<int> q, o;
            if (SameVerdict)
            {
                q = [.. Qemu.ReleasedPrimarySteps(flow.Id), .. Qemu.FlushedPrimarySteps(flow.Id)];
                o = [.. Ours.ReleasedPrimarySteps(flow.Id), .. Ours.FlushedPrimarySteps(flow.Id)];
            }
            else
            {
                q = [.. Qemu.Released.Where(r => r.Flow == flow.Id && r.AfterStep <= horizon).Select(r => r.PrimaryStep)];
                o = [.. Ours.Released.Where(r => r.Flow == flow.Id && r.AfterStep <= horizon).Select(r => r.PrimaryStep)];
            }

            if (q.SequenceEqual(o))
                continue;
            differences.Add(new Difference(Kind(q.Except(o).Any(), o.Except(q).Any()), flow,
                $"QEMU [{string.Join(' ', q)}] ColoProxy [{string.Join(' ', o)}]"));
        }

        // Every primary frame QEMU received comes out once (released or flushed), except where QEMU drops it.
        var sentPrimary = Enumerable.Range(0, Qemu.StepsSent).Where(i => Scenario.Steps[i].Side == Side.Primary).ToList();
        var qemuOut = Qemu.Released.Concat(Qemu.Flushed).Select(r => r.PrimaryStep).ToHashSet();
        var lost = sentPrimary.Where(i => !qemuOut.Contains(i)).ToList();
        if (lost.Count > 0)
        {
            var flow = Scenario.Flows[Scenario.Steps[lost[0]].Flow];
            differences.Add(new Difference(DifferenceKind.QemuLostFrames, flow, $"steps [{string.Join(' ', lost)}] never came out"));
        }

        return differences;
    }

    /// <summary>
    /// The first step (up to <paramref name="horizon"/>) after which one comparator had released frames of the flow
    /// that the other had not: the ACK gate and "compare before release" are about <em>when</em>, not only order.
    /// </summary>
    private Difference? ReleaseTimingDifference(FlowInfo flow, int horizon)
    {
        var q = Qemu.Released.Where(r => r.Flow == flow.Id && r.AfterStep <= horizon).ToList();
        var o = Ours.Released.Where(r => r.Flow == flow.Id && r.AfterStep <= horizon).ToList();
        foreach (var step in q.Concat(o).Select(r => r.AfterStep).Distinct().Order())
        {
            var qemuSoFar = q.Where(r => r.AfterStep <= step).Select(r => r.PrimaryStep).ToHashSet();
            var oursSoFar = o.Where(r => r.AfterStep <= step).Select(r => r.PrimaryStep).ToHashSet();
            if (qemuSoFar.SetEquals(oursSoFar))
                continue;
            var qemuOnly = qemuSoFar.Except(oursSoFar).Order().ToList();
            var oursOnly = oursSoFar.Except(qemuSoFar).Order().ToList();
            return new Difference(Kind(qemuOnly.Count > 0, oursOnly.Count > 0), flow,
                $"after step {step} only QEMU had released [{string.Join(' ', qemuOnly)}], only ColoProxy [{string.Join(' ', oursOnly)}]");
        }

        return null;
    }

    private static DifferenceKind Kind(bool qemuExtra, bool oursExtra) => (qemuExtra, oursExtra) switch
    {
        (false, false) => DifferenceKind.ReleaseOrder,
        (true, false) => DifferenceKind.ReleasedByQemuOnly,
        (false, true) => DifferenceKind.ReleasedByOursOnly,
        _ => DifferenceKind.ReleaseMixed,
    };

    /// <summary>The flows of the same-side steps sent back to back and ending at <paramref name="step"/>.</summary>
    private List<FlowInfo> BatchFlows(int step)
    {
        var start = step;
        while (!Scenario.BarrierEveryStep && start > 0 && Scenario.Steps[start - 1].Side == Scenario.Steps[step].Side)
            start--;
        return [.. Enumerable.Range(start, step - start + 1).Select(i => Scenario.Steps[i].Flow).Distinct().Select(f => Scenario.Flows[f])];
    }

    private FlowInfo? LastFlow() => Scenario.Steps.Count == 0 ? null : Scenario.Flows[Scenario.Steps[^1].Flow];

    private static string Show(int? step) => step is int s ? s.ToString(System.Globalization.CultureInfo.InvariantCulture) : "never";

    /// <summary>Problems of one comparator by itself: a primary frame lost or duplicated, or an unknown frame.</summary>
    public static IEnumerable<string> IntegrityProblems(Scenario scenario, Outcome outcome)
    {
        var seen = new Dictionary<int, int>();
        foreach (var release in outcome.Released.Concat(outcome.Flushed))
        {
            if (release.PrimaryStep < 0)
            {
                yield return $"{outcome.Comparator} released a frame that no primary step sent";
                continue;
            }

            seen[release.PrimaryStep] = seen.GetValueOrDefault(release.PrimaryStep) + 1;
        }

        for (var i = 0; i < outcome.StepsSent; i++)
        {
            if (scenario.Steps[i].Side != Side.Primary)
                continue;
            var count = seen.GetValueOrDefault(i);
            if (count != 1)
                yield return $"{outcome.Comparator} released primary step {i} {count} times";
        }
    }
}
