namespace Colo.Differential.Tests.Scenarios;

/// <summary>Features that depend on the interleaving, added once the steps are fixed.</summary>
internal static class ScenarioAnalysis
{
    public static Scenario Annotate(Scenario scenario)
    {
        foreach (var flow in scenario.Flows)
        {
            if (flow.Kind == FlowKind.Tcp)
                continue;
            // Primary datagrams queued at once before the secondary caught up: QEMU's LIFO queue compares the newest.
            var ahead = 0;
            foreach (var step in scenario.Steps.Where(s => s.Flow == flow.Id))
            {
                ahead += step.Side == Side.Primary ? 1 : -1;
                if (ahead >= 2)
                    flow.Features.Add(Feature.DatagramBurst);
            }
        }

        return scenario;
    }
}
