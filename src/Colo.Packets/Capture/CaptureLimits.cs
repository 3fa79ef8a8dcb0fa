namespace Colo.Packets.Capture;

/// <summary>Sanity caps applied to lengths read from capture files, so a corrupt length fails fast and cheaply.</summary>
internal static class CaptureLimits
{
    /// <summary>Largest pcapng block accepted (256 MiB).</summary>
    public const int MaxBlockLength = 256 * 1024 * 1024;

    /// <summary>Snapshot length written by <see cref="CaptureWriter"/>, and the floor of the captured-length cap.</summary>
    public const int DefaultSnapLength = 262144;

    /// <summary>
    /// Largest captured length accepted for a record given the file's or interface's snapshot length: the snapshot
    /// length, but at least <see cref="DefaultSnapLength"/> (writers that put a small snaplen in the header and longer
    /// records after it exist) and at most <see cref="MaxBlockLength"/>. Snaplen 0 means "no limit".
    /// </summary>
    public static int MaxCapturedLength(uint snapLength) =>
        snapLength == 0 || snapLength >= MaxBlockLength ? MaxBlockLength : Math.Max((int)snapLength, DefaultSnapLength);
}
