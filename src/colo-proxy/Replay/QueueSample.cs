namespace Colo.Cli.Replay;

/// <summary>Frames waiting in the engine at one moment of the replay (for the HTML report's timeline).</summary>
internal readonly record struct QueueSample(TimeSpan At, long PrimaryQueued, long SecondaryQueued);
