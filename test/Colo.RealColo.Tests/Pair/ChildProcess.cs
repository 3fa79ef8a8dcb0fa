using System.Diagnostics;

namespace Colo.RealColo.Tests.Pair;

/// <summary>A long-running program the test started (QEMU, ColoProxy, dumpcap), its output in a log file; stopped by its own pid.</summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task _copyOutput;
    private readonly Task _copyError;
    private readonly FileStream _log;

    private ChildProcess(string name, Process process, FileStream log)
    {
        Name = name;
        _process = process;
        _log = log;
        _copyOutput = CopyAsync(process.StandardOutput.BaseStream);
        _copyError = CopyAsync(process.StandardError.BaseStream);
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(string name, string file, IEnumerable<string> args, string logPath, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        var log = new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        var header = System.Text.Encoding.UTF8.GetBytes($"# {file} {string.Join(' ', info.ArgumentList)}\n");
        log.Write(header);
        log.Flush();
        var process = Process.Start(info) ?? throw new InvalidOperationException($"{name} ({file}) did not start");
        return new ChildProcess(name, process, log);
    }

    /// <summary>SIGKILL, as a crashed host would die.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
            _process.Kill();
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>.</summary>
    public void Terminate(TimeSpan grace)
    {
        if (_process.HasExited)
            return;
        Support.CommandRunner.TryRun("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        if (!_process.WaitForExit(grace))
            Kill();
    }

    public void Dispose()
    {
        Kill();
        Task.WaitAll([_copyOutput, _copyError], TimeSpan.FromSeconds(5));
        _log.Dispose();
        _process.Dispose();
    }

    private async Task CopyAsync(Stream from)
    {
        var buffer = new byte[8192];
        int read;
        while ((read = await from.ReadAsync(buffer).ConfigureAwait(false)) > 0)
        {
            lock (_log)
            {
                _log.Write(buffer, 0, read);
                _log.Flush();
            }
        }
    }
}
