namespace Colo.Differential.Tests.Scenarios;

/// <summary>
/// A reproducible input for both comparators: flows and the frames of both sides in one interleaving.
/// <see cref="Seed"/> regenerates a generated scenario (<see cref="ScenarioGenerator.Generate"/>); named ones have none.
/// </summary>
internal sealed class Scenario(string name, int? seed, ushort number)
{
    public string Name { get; } = name;

    public int? Seed { get; } = seed;

    /// <summary>Distinct per scenario of one run: it is part of every address, so flows never repeat.</summary>
    public ushort Number { get; } = number;

    public List<FlowInfo> Flows { get; } = [];

    public List<Step> Steps { get; } = [];

    /// <summary>Wait for the comparator after every step (checkpoint requests attributed to a step).</summary>
    public bool BarrierEveryStep { get; init; } = true;

    public override string ToString() => Seed is int s ? $"{Name} (seed {s})" : Name;
}
