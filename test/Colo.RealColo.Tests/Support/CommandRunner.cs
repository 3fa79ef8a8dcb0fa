using System.Diagnostics;
using System.Text;

namespace Colo.RealColo.Tests.Support;

/// <summary>Runs short external commands (apt-get, dpkg-deb, ip, qemu-img) to completion and reports failures with their output.</summary>
internal static class CommandRunner
{
    /// <summary>Runs the command and returns its standard output; throws with the command line and stderr when it fails.</summary>
    public static string Run(string file, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var result = TryRun(file, args, workingDirectory, timeout);
        if (result.ExitCode != 0)
            throw new InvalidOperationException(
                $"'{result.CommandLine}' failed with exit code {result.ExitCode}: {result.StandardError.Trim()} {result.StandardOutput.Trim()}");
        return result.StandardOutput;
    }

    /// <summary>Runs the command; a command that cannot start has exit code -1 and the reason in stderr.</summary>
    public static CommandResult TryRun(string file, IEnumerable<string> args, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        var commandLine = file + " " + string.Join(' ', info.ArgumentList);
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"'{commandLine}' did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return new CommandResult(commandLine, -1, "", e.Message);
        }
        using (process)
        {
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(5)))
            {
                process.Kill(entireProcessTree: true);
                return new CommandResult(commandLine, -1, stdout.ToString(), $"timed out after {timeout ?? TimeSpan.FromMinutes(5)}");
            }
            process.WaitForExit();
            return new CommandResult(commandLine, process.ExitCode, stdout.ToString(), stderr.ToString());
        }
    }
}
