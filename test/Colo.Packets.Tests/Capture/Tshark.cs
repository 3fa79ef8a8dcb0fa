using System.ComponentModel;
using System.Diagnostics;

namespace Colo.Packets.Tests.Capture;

/// <summary>Runs tshark (Debian package <c>tshark</c>), the independent reader our capture files must satisfy.</summary>
internal static class Tshark
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(120);

    public static (int ExitCode, string Output, string Error) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("tshark")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("tshark did not start");
        }
        catch (Win32Exception exception)
        {
            Assert.Fail(
                $"tshark is required by this test and was not found ({exception.Message}); install the Debian package " +
                "'tshark' (DEBIAN_FRONTEND=noninteractive apt-get install -y tshark).");
            throw;
        }

        using (process)
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            Task<string> error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            if (!process.WaitForExit(ToolTimeout))
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"tshark did not finish within {ToolTimeout}");
            }

            return (process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
        }
    }
}
