using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Colo.Proxy.Tests.Qemu;

/// <summary>
/// A real <c>qemu-system-x86_64 -M none</c> (no guest) with two QMP unix sockets: <see cref="ProxySocket"/> for
/// ColoProxy, <see cref="OtherSocket"/> for the test acting as the operator. Fails the test, never skips it, when QEMU
/// cannot start: CI installs Debian's qemu-system-x86. Killed on dispose.
/// </summary>
internal sealed class QemuProcess : IAsyncDisposable
{
    public const string Binary = "qemu-system-x86_64";

    private readonly Process _process;
    private readonly StringBuilder _output;
    private readonly string _directory;

    private QemuProcess(Process process, StringBuilder output, string directory)
    {
        _process = process;
        _output = output;
        _directory = directory;
    }

    public string ProxySocket => Path.Combine(_directory, "proxy.sock");

    public string OtherSocket => Path.Combine(_directory, "other.sock");

    public static async Task<QemuProcess> StartAsync()
    {
        string directory = Directory.CreateTempSubdirectory("qemu-").FullName;
        var start = new ProcessStartInfo(Binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[]
        {
            "-M", "none", "-nodefaults", "-nographic", "-monitor", "none",
            "-qmp", $"unix:{Path.Combine(directory, "proxy.sock")},server=on,wait=off",
            "-qmp", $"unix:{Path.Combine(directory, "other.sock")},server=on,wait=off",
        })
            start.ArgumentList.Add(arg);

        var output = new StringBuilder();
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{Binary} did not start.");
        }
        catch (Win32Exception ex)
        {
            Directory.Delete(directory, recursive: true);
            Assert.Fail($"{Binary} could not be started ({ex.Message}). These tests need a real QEMU: install Debian's " +
                        "qemu-system-x86 (apt-get install qemu-system-x86), as CI does.");
            throw;
        }

        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var qemu = new QemuProcess(process, output, directory);

        // QEMU creates the listening sockets before it starts its main loop; wait for both (or its death).
        var deadline = Stopwatch.StartNew();
        while (!File.Exists(qemu.ProxySocket) || !File.Exists(qemu.OtherSocket))
        {
            if (process.HasExited)
            {
                await qemu.DisposeAsync();
                Assert.Fail($"{Binary} exited with code {process.ExitCode} before creating its QMP sockets: {qemu.Output}");
            }

            if (deadline.Elapsed > TimeSpan.FromSeconds(30))
            {
                await qemu.DisposeAsync();
                Assert.Fail($"{Binary} did not create its QMP sockets within 30 s: {qemu.Output}");
            }

            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        return qemu;
    }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        finally
        {
            _process.Dispose();
            if (Directory.Exists(_directory))
                Directory.Delete(_directory, recursive: true);
        }
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
            return;
        lock (output)
            output.AppendLine(line);
    }
}
