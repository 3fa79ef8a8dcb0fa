using System.Globalization;

namespace Colo.Cli.Replay;

/// <summary>Capture times as the report prints them, to the nanosecond so they match Wireshark exactly.</summary>
internal static class FrameTimeText
{
    private const long NanosecondsPerSecond = 1_000_000_000;

    /// <summary>ISO 8601 UTC with nine fractional digits: <c>2026-12-04T01:59:00.031900000Z</c>.</summary>
    public static string Iso(long unixNanoseconds)
    {
        long seconds = Math.DivRem(unixNanoseconds, NanosecondsPerSecond, out long fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += NanosecondsPerSecond;
        }
        DateTimeOffset time = DateTimeOffset.FromUnixTimeSeconds(seconds);
        return time.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture) + "."
            + fraction.ToString("D9", CultureInfo.InvariantCulture) + "Z";
    }

    /// <summary>Seconds since the epoch as tshark prints <c>frame.time_epoch</c>: <c>1796349540.031900000</c>.</summary>
    public static string Epoch(long unixNanoseconds)
    {
        long seconds = Math.DivRem(unixNanoseconds, NanosecondsPerSecond, out long fraction);
        return seconds.ToString(CultureInfo.InvariantCulture) + "." + Math.Abs(fraction).ToString("D9", CultureInfo.InvariantCulture);
    }
}
