namespace Colo.Differential.Tests.Scenarios;

/// <summary>Which replica a frame comes from.</summary>
internal enum Side
{
    Primary,
    Secondary,
}
