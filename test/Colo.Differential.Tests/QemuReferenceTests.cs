using Colo.Differential.Tests.Harness;
using Colo.Differential.Tests.Scenarios;

namespace Colo.Differential.Tests;

/// <summary>The harness against QEMU alone: QEMU must start, and its recorded behaviour must be reproducible.</summary>
public sealed class QemuReferenceTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RunAsync_SameScenariosTwice_QemuBehavesTheSame()
    {
        await using var first = await ComparatorHarness.StartAsync(() => ComparatorProcess.StartQemu(ComparatorSettings.ComparisonOnly), TimeSpan.Zero);
        await using var second = await ComparatorHarness.StartAsync(() => ComparatorProcess.StartQemu(ComparatorSettings.ComparisonOnly), TimeSpan.Zero);
        ushort number = 1;
        var scenarios = NamedScenarios.Comparison.Select(n => NamedScenarios.Create(n, number++))
            .Concat(Enumerable.Range(0, 40).Select(i => ScenarioGenerator.Generate(1000 + i, number++)))
            .ToList();
        var mismatches = 0;
        foreach (var scenario in scenarios)
        {
            var a = await first.RunAsync(scenario);
            var b = await second.RunAsync(scenario);
            var textA = a.Describe(scenario);
            var textB = b.Describe(scenario);
            output.WriteLine($"{scenario}\n{textA}");
            if (textA.Replace("qemu", "", StringComparison.Ordinal) != textB.Replace("qemu", "", StringComparison.Ordinal))
            {
                mismatches++;
                output.WriteLine($"NOT REPRODUCIBLE:\n{textB}");
            }
        }

        Assert.Equal(0, mismatches);
    }
}
