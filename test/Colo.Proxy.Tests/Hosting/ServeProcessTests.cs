using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Colo.Proxy.Tests.EndToEnd;
using Colo.TestSupport.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Proxy.Tests.Hosting;

/// <summary>The built <c>colo-proxy serve</c> binary, run as a user would.</summary>
public class ServeProcessTests
{
    private static string CliPath()
    {
        // artifacts/bin/Colo.Proxy.Tests/<config>/ -> artifacts/bin/colo-proxy/<config>/colo-proxy.dll
        string testDir = AppContext.BaseDirectory.TrimEnd('/');
        string config = Path.GetFileName(testDir);
        string path = Path.GetFullPath(Path.Combine(testDir, "..", "..", "colo-proxy", config, "colo-proxy.dll"));
        Assert.True(File.Exists(path), "colo-proxy not built at " + path);
        return path;
    }

    private static Process Start(string arguments, StringBuilder stderr, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("dotnet", $"\"{CliPath()}\" {arguments}")
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
            info.Environment[name] = value;
        var process = Process.Start(info)!;
        process.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
                stderr.AppendLine(e.Data);
        };
        process.OutputDataReceived += (_, e) =>
        {
            lock (stderr)
                stderr.AppendLine(e.Data);
        };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return process;
    }

    [Fact]
    public async Task Serve_Sigterm_ReleasesQueuedFramesAndExitsZero()
    {
        string dir = ProxyHarness.NewDirectory();
        string P(string name) => Path.Combine(dir, name);
        var output = new StringBuilder();
        using Process process = Start(
            $"serve --primary-in unix:{P("p.sock")},server --secondary-in unix:{P("s.sock")},server " +
            $"--outdev unix:{P("o.sock")},server --control unix:{P("c.sock")} --log-level information", output);
        try
        {
            await Wait.UntilAsync(() => File.Exists(P("c.sock")) || process.HasExited, "the control socket");
            Assert.False(process.HasExited, output.ToString());
            await using var primary = await FramedPeer.ConnectAsync(new UnixDomainSocketEndPoint(P("p.sock")));
            await using var outdev = await FramedPeer.ConnectAsync(new UnixDomainSocketEndPoint(P("o.sock")));
            await using var control = await ControlClient.ConnectAsync(new UnixDomainSocketEndPoint(P("c.sock")));
            var datagrams = Enumerable.Range(0, 5).Select(i => Udp(Ascii("q" + i), 53, 3333, FlowAddress.Between("10.0.0.2", "10.0.0.1"))).ToArray();
            foreach (byte[] d in datagrams)
                await primary.SendAsync(d);
            await Wait.UntilAsync(async () =>
                (await control.ReturnAsync("query-stats")).GetProperty("primary").GetProperty("queued").GetInt64() == 5,
                "5 queued primary frames");

            using (Process kill = Process.Start("kill", $"-TERM {process.Id}"))
                await kill.WaitForExitAsync(TestContext.Current.CancellationToken);

            foreach (byte[] d in datagrams)
            {
                byte[] frame;
                try
                {
                    frame = await outdev.ReceiveAsync();
                }
                catch (Exception ex) when (ex is TimeoutException or EndOfStreamException)
                {
                    throw new InvalidOperationException(ex.Message + " Log:\n" + output, ex);
                }
                Assert.Equal(d, frame);
            }
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);
            string log = output.ToString();
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}; log:\n{log}");
            Assert.True(log.Contains("released 5 queued primary frames", StringComparison.Ordinal), log);
            Assert.True(log.Contains("accounting balanced: True", StringComparison.Ordinal), log);
            Assert.False(File.Exists(P("p.sock")), "unix sockets are removed on exit");
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    [Fact]
    public async Task Serve_SigtermWithReleasedFramesAndNoOutdev_CountsThemUndeliveredAndExitsThree()
    {
        string dir = ProxyHarness.NewDirectory();
        string P(string name) => Path.Combine(dir, name);
        var output = new StringBuilder();
        using Process process = Start(
            $"serve --primary-in unix:{P("p.sock")},server --secondary-in unix:{P("s.sock")},server " +
            $"--outdev unix:{P("o.sock")},server --control unix:{P("c.sock")} --shutdown-timeout 300 --log-level information", output);
        try
        {
            await Wait.UntilAsync(() => File.Exists(P("c.sock")) || process.HasExited, "the control socket");
            Assert.False(process.HasExited, output.ToString());
            await using var primary = await FramedPeer.ConnectAsync(new UnixDomainSocketEndPoint(P("p.sock")));
            await using var control = await ControlClient.ConnectAsync(new UnixDomainSocketEndPoint(P("c.sock")));
            // Non-IP frames are released at once, uncompared; nobody is connected to outdev.
            for (int i = 0; i < 5; i++)
                await primary.SendAsync(NonIp(Filled(100, (byte)i), EtherTypeLocalExperimental));
            await Wait.UntilAsync(async () =>
                (await control.ReturnAsync("query-stats")).GetProperty("primary").GetProperty("received").GetInt64() == 5,
                "5 primary frames received");

            using (Process kill = Process.Start("kill", $"-TERM {process.Id}"))
                await kill.WaitForExitAsync(TestContext.Current.CancellationToken);

            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);
            string log = output.ToString();
            Assert.True(process.ExitCode == 3, $"exit code {process.ExitCode}; log:\n{log}");
            Assert.True(log.Contains("released 0, queued 0, dropped 5 (undelivered 5); accounting balanced: True", StringComparison.Ordinal), log);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    [Fact]
    public async Task Serve_SamePathTwice_ExitsTwoNamingTheOption()
    {
        var output = new StringBuilder();
        using Process process = Start("serve --primary-in unix:/tmp/same.sock,server --secondary-in unix:/tmp/same.sock,server --outdev unix:/tmp/o9.sock,server", output);

        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("--secondary-in uses the same socket as --primary-in", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_ConfigFileWithPropertyNames_StartsAndQuitsCleanly()
    {
        string dir = ProxyHarness.NewDirectory();
        string P(string name) => Path.Combine(dir, name);
        string config = P("colo.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              "primary_in": "unix:{{P("p.sock")}},server",
              "secondary_in": "unix:{{P("s.sock")}},server",
              "outdev": "unix:{{P("o.sock")}},server",
              "control": "unix:{{P("c.sock")}}",
              "compare_timeout": 500,
              "vnet_hdr_support": false
            }
            """, TestContext.Current.CancellationToken);
        var output = new StringBuilder();
        using Process process = Start($"serve --config {config} --max-queue-size 16", output);
        try
        {
            await Wait.UntilAsync(() => File.Exists(P("c.sock")) || process.HasExited, "the control socket");
            Assert.False(process.HasExited, output.ToString());
            await using var control = await ControlClient.ConnectAsync(new UnixDomainSocketEndPoint(P("c.sock")));

            Assert.Equal("running", (await control.ReturnAsync("query-status")).GetProperty("state").GetString());
            await control.ReturnAsync("quit");

            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);
            Assert.Equal(0, process.ExitCode);
            Assert.Contains("compare_timeout 500 ms", output.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    [Fact]
    public async Task Serve_UnknownConfigKey_ExitsTwoNamingTheKey()
    {
        string config = Path.Combine(ProxyHarness.NewDirectory(), "bad.json");
        await File.WriteAllTextAsync(config, """{"primary_inn": "unix:/tmp/x,server"}""", TestContext.Current.CancellationToken);
        var output = new StringBuilder();
        using Process process = Start($"serve --config {config}", output);

        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);

        Assert.Equal(2, process.ExitCode);
        Assert.Contains("unknown option 'primary_inn'", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_QemuSpellingsOnCommandLine_ReadyToSystemdWithSettingsAndWarning()
    {
        string dir = ProxyHarness.NewDirectory();
        string P(string name) => Path.Combine(dir, name);
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(P("notify")));
        var output = new StringBuilder();
        using Process process = Start(
            $"serve --primary_in unix:{P("p.sock")},server=on,wait=off --secondary_in unix:{P("s.sock")},server=on,wait=off " +
            $"--outdev unix:{P("o.sock")},server=on,wait=off --control unix:{P("c.sock")} --compare_timeout 700",
            output, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = P("notify") });
        try
        {
            byte[] datagram = new byte[256];
            int length = await notify.ReceiveAsync(datagram, SocketFlags.None, TestContext.Current.CancellationToken)
                .AsTask().WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);
            await using var control = await ControlClient.ConnectAsync(new UnixDomainSocketEndPoint(P("c.sock")));
            await control.ReturnAsync("quit");
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);

            string log = output.ToString();
            Assert.StartsWith("READY=1\n", Encoding.UTF8.GetString(datagram, 0, length), StringComparison.Ordinal);
            Assert.Equal(0, process.ExitCode);
            Assert.Contains($"Settings: primary-in=unix:{P("p.sock")},server, ", log, StringComparison.Ordinal);
            Assert.Contains("compare-timeout=700, ", log, StringComparison.Ordinal);
            Assert.Contains("checkpoint channels: none", log, StringComparison.Ordinal);
            Assert.Contains("NO CHECKPOINT CHANNEL", log, StringComparison.Ordinal);
            Assert.Contains("control: client disconnected", log, StringComparison.Ordinal);
            // Text lines carry UTC timestamps with their zone.
            Assert.Matches(@"(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info: ", log);
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }

    [Fact]
    public async Task Serve_LogFormatJson_EveryLineIsAnObjectWithPriorityAndUtcTimestamp()
    {
        string dir = ProxyHarness.NewDirectory();
        string P(string name) => Path.Combine(dir, name);
        var output = new StringBuilder();
        using Process process = Start(
            $"serve --primary-in unix:{P("p.sock")},server --secondary-in unix:{P("s.sock")},server " +
            $"--outdev unix:{P("o.sock")},server --control unix:{P("c.sock")} --notify-dev unix:{P("n.sock")},server --log-format json",
            output);
        try
        {
            await Wait.UntilAsync(() => File.Exists(P("c.sock")) || process.HasExited, "the control socket");
            await using var control = await ControlClient.ConnectAsync(new UnixDomainSocketEndPoint(P("c.sock")));
            await control.ReturnAsync("quit");
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(Wait.Timeout, TestContext.Current.CancellationToken);

            string[] lines;
            lock (output)
                lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.NotEmpty(lines);
            foreach (string line in lines)
            {
                using var entry = System.Text.Json.JsonDocument.Parse(line);
                Assert.EndsWith("Z", entry.RootElement.GetProperty("timestamp").GetString(), StringComparison.Ordinal);
                Assert.InRange(entry.RootElement.GetProperty("priority").GetInt32(), 0, 7);
            }
            Assert.Contains(lines, l => l.Contains("\"checkpoint channels: xen-notify\"", StringComparison.Ordinal) || l.Contains("\"channels\":\"xen-notify\"", StringComparison.Ordinal));
            Assert.DoesNotContain(lines, l => l.Contains("NO CHECKPOINT CHANNEL", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
        }
    }
}
