using Colo.Packets.Capture;

namespace Colo.Cli.Replay;

/// <summary>One capture of a replay as a whole.</summary>
/// <param name="Path">The file.</param>
/// <param name="Frames">Packets in the file, of any link type (Wireshark's frame count).</param>
/// <param name="FirstTimestampNanoseconds">Time of its first packet (null when empty).</param>
/// <param name="LastTimestampNanoseconds">Time of its last packet.</param>
/// <param name="SkippedByLinkType">Packets not compared because of their link type.</param>
/// <param name="FilteredOut">Frames left out by <c>--flow</c>.</param>
internal sealed record CaptureSummary(
    string Path, long Frames, long? FirstTimestampNanoseconds, long? LastTimestampNanoseconds,
    IReadOnlyDictionary<LinkType, long> SkippedByLinkType, long FilteredOut)
{
    public long Skipped => SkippedByLinkType.Values.Sum();
}
