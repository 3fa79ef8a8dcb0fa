namespace Colo.Proxy.Recording;

/// <summary>The files one <see cref="FlightRecord"/> became.</summary>
public sealed record RecordedFiles(
    string Kind, string Flow, string Primary, string Secondary, string Report, int PrimaryFrames, int SecondaryFrames);
