using System.Globalization;
using System.Text;
using Colo.Differential.Tests.Classification;
using Colo.Differential.Tests.Harness;
using Colo.Differential.Tests.Scenarios;

namespace Colo.Differential.Tests;

/// <summary>
/// Runs the same scenarios through QEMU's colo-compare and <c>colo-proxy serve</c>. Each scenario's outcome is
/// identical, or every difference is explained by exactly one entry of <c>docs/compatibility.md</c>.
/// </summary>
public sealed class DifferentialTests(ComparatorPairFixture fixture, ITestOutputHelper output) : IClassFixture<ComparatorPairFixture>
{
    /// <summary>Scenario numbers (part of every address) are unique within a run; the ranges below never overlap.</summary>
    private const ushort NamedBase = 100;
    private const ushort TimingBase = 200;
    private const ushort GeneratedBase = 1000;
    private const int DefaultSeed = 20261125;
    private const int DefaultCount = 600;

    public static TheoryData<string> ComparisonCases => [.. NamedScenarios.Comparison];

    public static TheoryData<string> TimingCases => [.. NamedScenarios.Timing];

    public static TheoryData<string> VnetCases => ["seed-example-resegmented", "seed-example-content-diff", "udp-order", "ack-gate-lagging-secondary"];

    private const ushort VnetBase = 300;

    [Theory]
    [MemberData(nameof(ComparisonCases))]
    public async Task NamedScenario_QemuAndColoProxy_DifferencesAreDocumented(string name)
    {
        var number = (ushort)(NamedBase + NamedScenarios.Comparison.ToList().IndexOf(name));
        var scenario = NamedScenarios.Create(name, number);
        var (qemu, ours) = await fixture.Comparison.RunAsync(scenario);

        AssertDifferencesDocumented(name, scenario, qemu, ours);
    }

    [Theory]
    [MemberData(nameof(TimingCases))]
    public async Task TimingScenario_QemuAndColoProxy_DifferencesAreDocumented(string name)
    {
        var number = (ushort)(TimingBase + NamedScenarios.Timing.ToList().IndexOf(name));
        var scenario = NamedScenarios.Create(name, number);
        var pair = await fixture.TimingAsync();
        var (qemu, ours) = await pair.RunAsync(scenario, settle: TimeSpan.FromMilliseconds(1500));

        AssertDifferencesDocumented(name, scenario, qemu, ours);
    }

    /// <summary>Every difference matches one table entry, and the entries this named case is listed under do show.</summary>
    private void AssertDifferencesDocumented(string name, Scenario scenario, Outcome qemu, Outcome ours)
    {
        var comparison = new ScenarioComparison(scenario, qemu, ours);
        output.WriteLine(comparison.SideBySide());
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        var problems = Check(comparison, used);
        Assert.True(problems.Length == 0, problems);
        AssertShowsDocumentedEntries(name, used);
    }

    /// <summary>With vnet_hdr_support on (12-byte virtio-net headers) the comparators behave as without it.</summary>
    [Theory]
    [MemberData(nameof(VnetCases))]
    public async Task VnetScenario_QemuAndColoProxy_DifferencesAreDocumented(string name)
    {
        var number = (ushort)(VnetBase + NamedScenarios.Comparison.ToList().IndexOf(name));
        var scenario = NamedScenarios.Create(name, number);
        var pair = await fixture.VnetAsync();
        var (qemu, ours) = await pair.RunAsync(scenario);

        var comparison = new ScenarioComparison(scenario, qemu, ours);
        output.WriteLine(comparison.SideBySide());
        var problems = Check(comparison);
        Assert.True(problems.Length == 0, problems);
    }

    [Fact]
    public async Task GeneratedScenarios_QemuAndColoProxy_DifferencesAreDocumented()
    {
        var seed = EnvironmentInt("COLO_DIFF_SEED") ?? DefaultSeed;
        var count = EnvironmentInt("COLO_DIFF_COUNT") ?? DefaultCount;
        var failures = new StringBuilder();
        var failed = 0;
        var identical = 0;
        var explained = new Dictionary<string, int>(StringComparer.Ordinal);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var scenarioSeed = unchecked(seed + (i * 7919));
            var scenario = ScenarioGenerator.Generate(scenarioSeed, (ushort)(GeneratedBase + i));
            var (qemu, ours) = await fixture.Comparison.RunAsync(scenario);
            var comparison = new ScenarioComparison(scenario, qemu, ours);
            var problems = Check(comparison, explained);
            if (comparison.Identical)
                identical++;
            if (problems.Length == 0)
                continue;
            failed++;
            output.WriteLine($"FAILED {scenario}: {problems[..problems.IndexOf('\n', StringComparison.Ordinal)]}");
            if (failed <= 5)
                failures.Append(problems).Append("\n\n");
        }

        output.WriteLine($"{count} scenarios from seed {seed} in {clock.Elapsed.TotalSeconds:F1} s: {identical} identical, " +
                         $"{count - identical - failed} explained, {failed} unexplained");
        foreach (var (id, n) in explained.OrderBy(e => e.Key, StringComparer.Ordinal))
            output.WriteLine($"  {id}: {n} differences");
        foreach (var restart in fixture.Comparison.Restarts)
            output.WriteLine($"restart: {restart}");
        Assert.True(failed == 0,
            $"{failed} of {count} generated scenarios (seed {seed}; rerun with COLO_DIFF_SEED={seed}) differ without a documented reason:\n{failures}");
    }

    /// <summary>A named case listed in a row of docs/compatibility.md must show a difference that row explains.</summary>
    private static void AssertShowsDocumentedEntries(string name, Dictionary<string, int> used)
    {
        foreach (var (id, tests) in CompatibilityTableTests.TableRows())
        {
            if (tests.Contains(name))
                Assert.True(used.ContainsKey(id), $"docs/compatibility.md lists '{name}' for {id}, but it showed [{string.Join(", ", used.Keys)}]");
        }
    }

    /// <summary>Returns an empty string when the comparison passes, else what is wrong and both outcomes.</summary>
    private static string Check(ScenarioComparison comparison, Dictionary<string, int>? explained = null)
    {
        var problems = new List<string>();
        problems.AddRange(ScenarioComparison.IntegrityProblems(comparison.Scenario, comparison.Ours));
        foreach (var difference in comparison.Differences)
        {
            var entries = Compatibility.Explain(difference, comparison);
            if (entries.Count == 1)
            {
                if (explained is not null)
                    explained[entries[0].Id] = explained.GetValueOrDefault(entries[0].Id) + 1;
                continue;
            }

            problems.Add(entries.Count == 0
                ? $"unexplained: {difference}"
                : $"explained by {entries.Count} entries ({string.Join(", ", entries)}): {difference}");
        }

        if (problems.Count == 0)
            return "";
        return string.Join('\n', problems) + "\n" + comparison.SideBySide();
    }

    private static int? EnvironmentInt(string name) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : null;
}
