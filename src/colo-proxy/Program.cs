using System.CommandLine;

namespace Colo.Cli;

/// <summary>Entry point: <c>colo-proxy replay | serve | bench</c>.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("ColoProxy: a standalone COLO network comparator (drop-in for QEMU's colo-compare).");
        root.Subcommands.Add(ReplayCommand.Create());
        return await root.Parse(args).InvokeAsync().ConfigureAwait(false);
    }
}
