using System.Globalization;

namespace Colo.LoadGen;

/// <summary>How far apart the two replicas may run (<c>--skew</c>).</summary>
internal enum SkewKind
{
    /// <summary>Lock-step: the primary is at most N frames ahead of the secondary, which never leads.</summary>
    Frames,

    /// <summary>Free-running: no bound between the sides; each writes as fast as its socket takes it (within --window).</summary>
    None,

    /// <summary>The secondary writes a segment no earlier than a fixed time after the primary wrote it.</summary>
    Time,

    /// <summary>The secondary stays a fixed number of primary frame bytes behind the primary (until the primary stops).</summary>
    Bytes,
}

/// <summary>
/// <c>--skew</c>: <c>N</c> or <c>frames:N</c> (lock-step, default 1024), <c>none</c> (free-running), <c>time:D</c>
/// (<c>10ms</c>, <c>100ms</c>, <c>1s</c>) or <c>bytes:B</c> (<c>10MB</c>, <c>200MB</c>, <c>64KiB</c>).
/// </summary>
internal readonly record struct SkewBound(SkewKind Kind, long Frames, TimeSpan Time, long Bytes)
{
    public static SkewBound LockStep(long frames) => new(SkewKind.Frames, frames, TimeSpan.Zero, 0);

    /// <summary>True when the secondary may write before the primary (free-running).</summary>
    public bool SecondaryMayLead => Kind == SkewKind.None;

    /// <summary>Frames a byte lag holds back: a segment is written by the secondary once this many later primary frames are out.</summary>
    public long LagFrames(int primaryFrameBytes) => Kind == SkewKind.Bytes ? (Bytes + primaryFrameBytes - 1) / primaryFrameBytes : 0;

    /// <summary>Short text for results and tables: <c>lock-step 1024</c>, <c>free</c>, <c>lag 100 ms</c>, <c>lag 200 MB</c>.</summary>
    public override string ToString() => Kind switch
    {
        SkewKind.Frames => string.Create(CultureInfo.InvariantCulture, $"frames:{Frames}"),
        SkewKind.None => "none",
        SkewKind.Time => string.Create(CultureInfo.InvariantCulture, $"time:{Time.TotalMilliseconds:0.###}ms"),
        _ => string.Create(CultureInfo.InvariantCulture, $"bytes:{Bytes}"),
    };

    public static SkewBound Parse(string text, long maxFrames)
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "none")
            return new SkewBound(SkewKind.None, 0, TimeSpan.Zero, 0);
        int colon = t.IndexOf(':', StringComparison.Ordinal);
        string kind = colon < 0 ? "frames" : t[..colon];
        string value = colon < 0 ? t : t[(colon + 1)..];
        switch (kind)
        {
            case "frames":
                if (long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long frames) && frames >= 4 && frames <= maxFrames)
                    return LockStep(frames);
                throw Bad(text, $"frames:N needs N in 4..{maxFrames}");
            case "time":
                if (TryParseScaled(value, [("us", 1e-6), ("ms", 1e-3), ("s", 1)], out double seconds) && seconds > 0 && seconds <= 60)
                    return new SkewBound(SkewKind.Time, 0, TimeSpan.FromSeconds(seconds), 0);
                throw Bad(text, "time:D needs a duration up to 60 s with a unit: us, ms or s (time:100ms)");
            case "bytes":
                if (TryParseScaled(value, [("kib", 1024), ("mib", 1024 * 1024), ("gib", 1 << 30), ("kb", 1e3), ("mb", 1e6), ("gb", 1e9), ("b", 1)], out double bytes)
                    && bytes >= 1 && bytes <= 64e9)
                    return new SkewBound(SkewKind.Bytes, 0, TimeSpan.Zero, (long)bytes);
                throw Bad(text, "bytes:B needs a size with a unit: B, KB, MB, GB, KiB, MiB or GiB (bytes:100MB)");
            default:
                throw Bad(text, "use N, frames:N, none, time:D or bytes:B");
        }
    }

    private static bool TryParseScaled(string text, (string Unit, double Scale)[] units, out double value)
    {
        foreach ((string unit, double scale) in units)
        {
            if (text.EndsWith(unit, StringComparison.Ordinal)
                && double.TryParse(text[..^unit.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out double number))
            {
                value = number * scale;
                return true;
            }
        }

        value = 0;
        return false;
    }

    private static UsageException Bad(string text, string why) => new($"--skew '{text}': {why}.");
}
