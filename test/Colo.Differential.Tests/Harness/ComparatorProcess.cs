using System.ComponentModel;
using System.Diagnostics;
using System.Reflection;

namespace Colo.Differential.Tests.Harness;

/// <summary>
/// A comparator running as a child process whose four endpoints are unix sockets it listens on:
/// QEMU's colo-compare (<see cref="StartQemu"/>) or <c>colo-proxy serve</c> (<see cref="StartColoProxy"/>).
/// </summary>
internal sealed class ComparatorProcess : IAsyncDisposable
{
    private const int OutputLinesKept = 200;

    private readonly Process _process;
    private readonly DirectoryInfo _directory;
    private readonly Queue<string> _output = new();

    private ComparatorProcess(string name, Process process, DirectoryInfo directory, string commandLine, string? control)
    {
        Name = name;
        _process = process;
        _directory = directory;
        CommandLine = commandLine;
        Control = control;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Name { get; }

    public string CommandLine { get; }

    public string PrimaryIn => Path.Combine(_directory.FullName, "pri.sock");

    public string SecondaryIn => Path.Combine(_directory.FullName, "sec.sock");

    public string Outdev => Path.Combine(_directory.FullName, "out.sock");

    public string Notify => Path.Combine(_directory.FullName, "notify.sock");

    /// <summary>QEMU with vnet_hdr_support: frames sent to notify_dev need a <c>vnet_hdr_len</c> word.</summary>
    public bool NotifyTakesVnetWord { get; private set; }

    /// <summary>0 when vnet_hdr_support is off.</summary>
    public int VnetHeaderLength { get; private set; }

    /// <summary>ColoProxy's control socket; null for QEMU.</summary>
    public string? Control { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The command line, the exit status and the last lines the process printed.</summary>
    public string Diagnostics
    {
        get
        {
            string[] lines;
            lock (_output)
                lines = [.. _output];
            var status = _process.HasExited ? $"exited with {_process.ExitCode}" : "running";
            return $"{Name} ({status}): {CommandLine}\n  " + string.Join("\n  ", lines);
        }
    }

    /// <summary>QEMU's colo-compare, standalone: <c>qemu-system-x86_64 -M none</c> with server-mode socket chardevs.</summary>
    public static ComparatorProcess StartQemu(ComparatorSettings settings)
    {
        var directory = Directory.CreateTempSubdirectory("colo-diff-q");
        var dir = directory.FullName;
        string[] args =
        [
            "-M", "none", "-nodefaults", "-nographic", "-monitor", "none",
            "-chardev", $"socket,id=pri,path={dir}/pri.sock,server=on,wait=off",
            "-chardev", $"socket,id=sec,path={dir}/sec.sock,server=on,wait=off",
            "-chardev", $"socket,id=out,path={dir}/out.sock,server=on,wait=off",
            "-chardev", $"socket,id=ntf,path={dir}/notify.sock,server=on,wait=off",
            "-object", "iothread,id=io1",
            "-object", $"colo-compare,id=c0,primary_in=pri,secondary_in=sec,outdev=out,notify_dev=ntf,iothread=io1," +
                       $"compare_timeout={settings.CompareTimeoutMs},expired_scan_cycle={settings.ExpiredScanCycleMs}," +
                       $"max_queue_size={settings.MaxQueueSize}" + (settings.VnetHeaderLength > 0 ? ",vnet_hdr_support=on" : ""),
        ];
        var executable = Environment.GetEnvironmentVariable("COLO_DIFF_QEMU") ?? "qemu-system-x86_64";
        var process = Start("qemu", executable, args, directory,
            "QEMU's colo-compare is the reference of these tests: install the Debian/Ubuntu package qemu-system-x86 " +
            "(or set COLO_DIFF_QEMU to a qemu-system-x86_64 binary).");
        // QEMU parses incoming notify frames like data frames: with vnet_hdr_support it expects a vnet word there too.
        process.NotifyTakesVnetWord = settings.VnetHeaderLength > 0;
        process.VnetHeaderLength = settings.VnetHeaderLength;
        return process;
    }

    /// <summary><c>colo-proxy serve</c> from this build, listening on the same four kinds of sockets.</summary>
    public static ComparatorProcess StartColoProxy(ComparatorSettings settings)
    {
        var directory = Directory.CreateTempSubdirectory("colo-diff-c");
        var dir = directory.FullName;
        var app = ColoProxyAppPath();
        List<string> args =
        [
            "serve",
            "--primary-in", $"unix:{dir}/pri.sock,server",
            "--secondary-in", $"unix:{dir}/sec.sock,server",
            "--outdev", $"unix:{dir}/out.sock,server",
            "--notify-dev", $"unix:{dir}/notify.sock,server",
            "--compare-timeout", settings.CompareTimeoutMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--expired-scan-cycle", settings.ExpiredScanCycleMs.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--max-queue-size", settings.MaxQueueSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--control", $"unix:{dir}/control.sock",
            "--vnet-hdr-support", settings.VnetHeaderLength > 0 ? "on" : "off",
        ];
        // Run the app through the dotnet host that runs these tests: an apphost needs DOTNET_ROOT or a registered
        // install location, which CI machines with a user-local SDK lack.
        var executable = DotnetHost();
        args.Insert(0, app);

        var process = Start("colo-proxy", executable, args, directory, "colo-proxy is built by this test project's build.",
            $"{dir}/control.sock");
        process.VnetHeaderLength = settings.VnetHeaderLength;
        return process;
    }

    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk))
            return fromSdk;
        // <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet
        var root = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(host) ? host : "dotnet";
    }

    private static string ColoProxyAppPath()
    {
        var path = typeof(ComparatorProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "ColoProxyAppPath")?.Value;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
            throw new InvalidOperationException($"colo-proxy was not found at '{path}'; build test/Colo.Differential.Tests, which builds it.");
        return path;
    }

    private static ComparatorProcess Start(
        string name, string executable, IEnumerable<string> args, DirectoryInfo directory, string hint, string? control = null)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        var commandLine = executable + " " + string.Join(' ', info.ArgumentList);
        Process? process;
        try
        {
            process = Process.Start(info);
        }
        catch (Win32Exception ex)
        {
            directory.Delete(recursive: true);
            throw new InvalidOperationException($"{name} could not start ({ex.Message}): {commandLine}. {hint}", ex);
        }

        if (process is null)
            throw new InvalidOperationException($"{name} could not start: {commandLine}. {hint}");
        return new ComparatorProcess(name, process, directory, commandLine, control);
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > OutputLinesKept)
                _output.Dequeue();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _process.Dispose();
        try
        {
            _directory.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
