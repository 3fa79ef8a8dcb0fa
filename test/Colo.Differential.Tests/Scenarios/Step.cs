namespace Colo.Differential.Tests.Scenarios;

/// <summary>One frame sent to one comparator input; <see cref="Flow"/> indexes <see cref="Scenario.Flows"/>.</summary>
internal sealed record Step(Side Side, int Flow, byte[] Frame, string Note);
