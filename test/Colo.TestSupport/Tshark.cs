using System.ComponentModel;
using System.Diagnostics;

namespace Colo.TestSupport;

/// <summary>
/// Runs tshark (Debian package <c>tshark</c>), the independent reader our capture files must satisfy and the judge of
/// what a user sees at a frame number in Wireshark. Fails the calling test when tshark is missing or fails.
/// </summary>
public static class Tshark
{
    private static readonly TimeSpan ToolTimeout = TimeSpan.FromSeconds(120);

    /// <summary>Tab-separated <paramref name="fields"/> of the frames of <paramref name="path"/> matching <paramref name="filter"/>.</summary>
    public static string[][] Fields(string path, string filter, params string[] fields)
    {
        var arguments = new List<string> { "-r", path, "--enable-protocol", "communityid", "-Y", filter, "-T", "fields" };
        foreach (string field in fields)
        {
            arguments.Add("-e");
            arguments.Add(field);
        }
        (int exit, string output, string error) = Run([.. arguments]);
        Assert.True(exit == 0, $"tshark exited with {exit}: {error}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.TrimEnd('\r').Split('\t')).ToArray();
    }

    /// <summary>Runs tshark with <paramref name="arguments"/> and returns its exit code, standard output and standard error.</summary>
    public static (int ExitCode, string Output, string Error) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("tshark did not start");
        }
        catch (Win32Exception exception)
        {
            Assert.Fail($"tshark is required by this test and was not found ({exception.Message}); install the Debian package " +
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
