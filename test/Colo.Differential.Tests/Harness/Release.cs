namespace Colo.Differential.Tests.Harness;

/// <summary>A frame seen on outdev: observed after scenario step <see cref="AfterStep"/>; <see cref="PrimaryStep"/> is
/// the step whose primary frame it is (-1 when it matches no primary frame of the scenario).</summary>
internal sealed record Release(int AfterStep, int PrimaryStep, int Flow);
