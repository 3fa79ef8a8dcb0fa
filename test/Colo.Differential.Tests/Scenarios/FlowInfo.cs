using Colo.TestSupport.Frames;

namespace Colo.Differential.Tests.Scenarios;

/// <summary>
/// One flow of a scenario and the features the generator put into it (<see cref="Feature"/> names). Classifiers of
/// <c>docs/compatibility.md</c> look at these features.
/// </summary>
internal sealed class FlowInfo(int id, FlowKind kind, FlowAddress address, string description)
{
    public int Id { get; } = id;

    public FlowKind Kind { get; } = kind;

    public FlowAddress Address { get; } = address;

    public string Description { get; } = description;

    public HashSet<string> Features { get; } = new(StringComparer.Ordinal);

    public bool Has(string feature) => Features.Contains(feature);

    public bool IsIpv6 => Address.IsIpv6;

    public override string ToString() =>
        $"flow {Id} {Kind} {Description} {Address} [{string.Join(',', Features.Order(StringComparer.Ordinal))}]";
}
