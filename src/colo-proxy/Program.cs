using System.CommandLine;

namespace Colo.Cli;

/// <summary>Entry point: <c>colo-proxy replay | align | serve | ctl</c>.</summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        var root = new RootCommand("ColoProxy: a standalone COLO network comparator (drop-in for QEMU's colo-compare).");
        root.Subcommands.Add(ReplayCommand.Create());
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(AlignCommand.Create());
        root.Subcommands.Add(CtlCommand.Create());
        ParseResult parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            // Usage errors exit 2 (replay's "bad input or usage"), not the library's default 1, which means "divergent".
            foreach (var error in parse.Errors)
                await Console.Error.WriteLineAsync($"colo-proxy: {error.Message}").ConfigureAwait(false);
            await Console.Error.WriteLineAsync("Run 'colo-proxy --help' for usage.").ConfigureAwait(false);
            return 2;
        }
        // serve handles SIGTERM/SIGINT itself and may need longer than the library's default 2 s to hand queued
        // frames to outdev, so the library must not cut it short.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
    }
}
