namespace Colo.Cli.Replay;

/// <summary>
/// A frame as Wireshark shows it: its 1-based number in its file (<c>frame.number</c>) and its capture time in
/// nanoseconds since the Unix epoch (<c>frame.time_epoch</c>), as recorded in the file (no time offset applied).
/// </summary>
internal readonly record struct CapturedFrame(long Number, long TimestampNanoseconds)
{
    /// <summary>The capture time as UTC, to the microsecond (the resolution of most captures).</summary>
    public DateTimeOffset Time => DateTimeOffset.UnixEpoch.AddTicks(TimestampNanoseconds / 100);

    /// <summary>Seconds since <paramref name="firstFrameNanoseconds"/>: Wireshark's <c>frame.time_relative</c>.</summary>
    public double SecondsSince(long firstFrameNanoseconds) => (TimestampNanoseconds - firstFrameNanoseconds) / 1e9;
}
