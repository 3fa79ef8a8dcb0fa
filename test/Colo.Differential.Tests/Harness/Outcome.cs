using System.Text;
using Colo.Differential.Tests.Scenarios;

namespace Colo.Differential.Tests.Harness;

/// <summary>
/// What one comparator did with one scenario: frames released while steps were sent, the first checkpoint request
/// (the scenario stops there: the harness answers <c>COLO_CHECKPOINT</c>), and the frames that answer flushed.
/// When no checkpoint was requested the harness still completes one at the end, so held frames show as flushed.
/// </summary>
internal sealed class Outcome(string comparator)
{
    public string Comparator { get; } = comparator;

    public List<Release> Released { get; } = [];

    /// <summary>Step after which the first <c>DO_CHECKPOINT</c> arrived; null when none arrived.</summary>
    public int? CheckpointStep { get; set; }

    public TimeSpan? CheckpointAfter { get; set; }

    /// <summary>All <c>DO_CHECKPOINT</c> messages, including repeats for the same problem.</summary>
    public int CheckpointRequests { get; set; }

    /// <summary>Frames released by the <c>COLO_CHECKPOINT</c> the harness sent (at the request or at the end).</summary>
    public List<Release> Flushed { get; } = [];

    /// <summary>Checkpoint requests that arrived while the harness waited at the end (timeouts).</summary>
    public int LateCheckpointRequests { get; set; }

    public int StepsSent { get; set; }

    public IEnumerable<int> ReleasedPrimarySteps(int flow) =>
        Released.Where(r => r.Flow == flow).Select(r => r.PrimaryStep);

    public IEnumerable<int> FlushedPrimarySteps(int flow) =>
        Flushed.Where(r => r.Flow == flow).Select(r => r.PrimaryStep);

    public string Describe(Scenario scenario)
    {
        var text = new StringBuilder();
        text.Append(Comparator).Append(": checkpoint ")
            .Append(CheckpointStep is int k ? $"after step {k} ({Note(scenario, k)})" : "none")
            .Append($", requests {CheckpointRequests}, late {LateCheckpointRequests}, steps sent {StepsSent}\n");
        foreach (var flow in scenario.Flows)
        {
            text.Append($"  flow {flow.Id}: released [{string.Join(' ', ReleasedPrimarySteps(flow.Id))}]")
                .Append($" flushed [{string.Join(' ', FlushedPrimarySteps(flow.Id))}]\n");
        }

        var strays = Released.Concat(Flushed).Where(r => r.PrimaryStep < 0).ToList();
        if (strays.Count > 0)
            text.Append($"  unknown frames released: {strays.Count}\n");
        return text.ToString();
    }

    private static string Note(Scenario scenario, int step) =>
        step < scenario.Steps.Count ? $"{scenario.Steps[step].Side} flow {scenario.Steps[step].Flow}" : "end";
}
