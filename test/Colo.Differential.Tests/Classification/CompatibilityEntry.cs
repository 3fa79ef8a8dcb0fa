namespace Colo.Differential.Tests.Classification;

/// <summary>One row of the compatibility table: an id, a title, and the predicate that recognises its difference.</summary>
internal sealed record CompatibilityEntry(string Id, string Title, Func<Difference, ScenarioComparison, bool> Explains)
{
    public override string ToString() => $"{Id} ({Title})";
}
