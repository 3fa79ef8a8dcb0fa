namespace Colo.Benchmarks;

/// <summary>BenchmarkDotNet categories (<c>--anyCategories parse</c> etc.).</summary>
public static class Categories
{
    public const string Parse = "parse";
    public const string Compare = "compare";
    public const string Resegment = "resegment";
    public const string Backlog = "backlog";
    public const string Recorder = "recorder";
}
