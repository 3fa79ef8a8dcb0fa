using Colo.Differential.Tests.Scenarios;

namespace Colo.Differential.Tests.Classification;

/// <summary>
/// One difference between QEMU's and ColoProxy's outcome, about one flow (null: not attributable). A checkpoint
/// request seen after a batch of same-side frames may come from any flow of the batch: <see cref="Candidates"/>.
/// </summary>
internal sealed record Difference(DifferenceKind Kind, FlowInfo? Flow, string Detail)
{
    public IReadOnlyList<FlowInfo> Candidates { get; init; } = Flow is null ? [] : [Flow];

    public override string ToString() => $"{Kind} on {(Flow is null ? "no flow" : Flow.ToString())}: {Detail}";
}
