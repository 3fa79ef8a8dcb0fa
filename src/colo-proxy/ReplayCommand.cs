using System.CommandLine;

namespace Colo.Cli;

/// <summary><c>colo-proxy replay PRIMARY SECONDARY</c> (being written).</summary>
internal static class ReplayCommand
{
    public static Command Create() => new("replay", "Compare two captures (pcap or pcapng) and report divergences.");
}
