using System.Text.RegularExpressions;
using Colo.Differential.Tests.Classification;
using Colo.Differential.Tests.Scenarios;

namespace Colo.Differential.Tests;

/// <summary>docs/compatibility.md and the classifiers in code describe the same entries.</summary>
public sealed partial class CompatibilityTableTests
{
    [Fact]
    public void Table_Ids_MatchClassifiers()
    {
        var rows = TableRows();

        Assert.Equal(Compatibility.Entries.Select(e => e.Id), rows.Select(r => r.Id));
    }

    [Fact]
    public void Table_TestColumn_NamesExistingNamedScenarios()
    {
        var known = NamedScenarios.Comparison.Concat(NamedScenarios.Timing).ToHashSet(StringComparer.Ordinal);
        var methods = typeof(DifferentialTests).GetMethods().Select(m => m.Name).ToHashSet(StringComparer.Ordinal);

        foreach (var (id, tests) in TableRows())
        {
            Assert.NotEmpty(tests);
            foreach (var test in tests)
            {
                Assert.True(known.Contains(test) || methods.Contains(test),
                    $"{id} names '{test}', which is neither a named scenario nor a test of {nameof(DifferentialTests)}");
            }
        }
    }

    internal static List<(string Id, List<string> Tests)> TableRows()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "compatibility.md");
        var rows = new List<(string, List<string>)>();
        foreach (var line in File.ReadLines(path))
        {
            var match = RowPattern().Match(line);
            if (!match.Success)
                continue;
            var cells = line.Split('|');
            var tests = TestNamePattern().Matches(cells[^2]).Select(m => m.Groups[1].Value).ToList();
            rows.Add((match.Groups[1].Value, tests));
        }

        return rows;
    }

    [GeneratedRegex(@"^\| (C\d+) \|")]
    private static partial Regex RowPattern();

    [GeneratedRegex(@"`([A-Za-z0-9_-]+)`")]
    private static partial Regex TestNamePattern();
}
