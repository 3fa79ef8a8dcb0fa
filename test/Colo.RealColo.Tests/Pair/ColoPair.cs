using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Colo.RealColo.Tests.Guest;
using Colo.RealColo.Tests.Network;
using Colo.RealColo.Tests.Qmp;
using Colo.RealColo.Tests.Support;

namespace Colo.RealColo.Tests.Pair;

/// <summary>
/// One guest run in one <see cref="PairMode"/>, in its own run directory: the QEMU processes (and ColoProxy), their
/// QMP sessions, consoles and logs, and optionally a capture of the chardev streams on the namespace's loopback.
/// COLO is started with the QMP sequence of docs/qemu-kvm.md section 4 (QEMU 7.2 syntax).
/// </summary>
internal sealed class ColoPair : IAsyncDisposable
{
    /// <summary>x-checkpoint-delay for the whole run: longer than a run, so QEMU's timer never fires and every checkpoint is a comparator's.</summary>
    public const int CheckpointDelayMs = 200_000;

    private const string FirmwareAndModules = "-L /usr/share/qemu -L /usr/share/seabios -L /usr/lib/ipxe/qemu";
    private const string Mac = "52:54:00:12:34:56";
    private const int MirrorPort = 9003;
    private const int SecondaryInPort = 9004;
    private const int ComparePrimaryPort = 9001;
    private const int CompareOutPort = 9005;
    private const string SecondaryHost = "127.0.0.2";
    private const int NbdPort = 9999;
    private const int IncomingPort = 9998;

    // A copied QEMU binary looks for its modules next to itself otherwise.
    private static readonly Dictionary<string, string> QemuEnvironment = new() { ["QEMU_MODULE_DIR"] = "/usr/lib/x86_64-linux-gnu/qemu" };

    // Every method compiled fully optimized at its first call: the measurement is of ColoProxy's steady state, not of
    // the JIT's tiering, whose background compiles starve on a loaded machine and leave the hot path unoptimized for
    // much of a short run. ColoProxy starts before the VMs, so this start-up cost falls outside every measurement.
    private static readonly Dictionary<string, string> ProxyEnvironment = new() { ["DOTNET_TieredCompilation"] = "0" };

    private readonly PairSettings _settings;
    private readonly List<ChildProcess> _processes = [];
    private readonly List<QmpClient> _clients = [];
    private ChildProcess? _capture;

    private ColoPair(PairMode mode, PairSettings settings, string runDirectory)
    {
        Mode = mode;
        _settings = settings;
        RunDirectory = runDirectory;
    }

    public PairMode Mode { get; }

    public string RunDirectory { get; }

    /// <summary>The primary's admin monitor (the only VM's in <see cref="PairMode.Native"/>); it also records every event.</summary>
    public QmpClient Primary { get; private set; } = null!;

    public QmpClient? Secondary { get; private set; }

    /// <summary>ColoProxy's control socket (<see cref="PairMode.Proxy"/> only).</summary>
    public QmpClient? ProxyControl { get; private set; }

    public ChildProcess? SecondaryProcess { get; private set; }

    public ChildProcess? ProxyProcess { get; private set; }

    public string PrimaryConsole => Path.Combine(RunDirectory, "primary-console.log");

    public string SecondaryConsole => Path.Combine(RunDirectory, "secondary-console.log");

    /// <summary>colo-compare's trace (<see cref="PairMode.Reference"/>): timeouts and miscompares.</summary>
    public string ReferenceTrace => Path.Combine(RunDirectory, "primary-trace.log");

    public string ProxyLog => Path.Combine(RunDirectory, "colo-proxy.log");

    public static async Task<ColoPair> StartAsync(PairMode mode, PairSettings settings, string runDirectory)
    {
        Directory.CreateDirectory(runDirectory);
        var pair = new ColoPair(mode, settings, runDirectory);
        try
        {
            await pair.LaunchAsync().ConfigureAwait(false);
        }
        catch
        {
            await pair.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return pair;
    }

    /// <summary>Lines of either console that show a corrupted guest (the lost-dirty-bits symptom, oopses, panics).</summary>
    public IReadOnlyList<string> ConsoleProblems()
    {
        string[] markers = ["is not a head", "general protection", "BUG:", "Oops", "Kernel panic", "segfault", "Call Trace"];
        var problems = new List<string>();
        foreach (var console in new[] { PrimaryConsole, SecondaryConsole })
        {
            if (!File.Exists(console))
                continue;
            foreach (var line in ReadShared(console).Split('\n'))
            {
                if (markers.Any(m => line.Contains(m, StringComparison.Ordinal)))
                    problems.Add($"{Path.GetFileName(console)}: {line.Trim()}");
            }
        }
        return problems;
    }

    public static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync().ConfigureAwait(false);
        // ColoProxy first, gracefully, so its log ends with its final counters; then the VMs.
        ProxyProcess?.Terminate(TimeSpan.FromSeconds(5));
        foreach (var process in Enumerable.Reverse(_processes))
            process.Dispose();
        _capture?.Terminate(TimeSpan.FromSeconds(5));
        _capture?.Dispose();
    }

    private async Task LaunchAsync()
    {
        var log = _settings.Log;
        if (_settings.CaptureChardevs && Mode != PairMode.Native)
            StartCapture();
        if (Mode == PairMode.Native)
        {
            StartQemu("native", CommonQemuArguments("primary", NetworkNamespace.PrimaryTap));
            Primary = await ConnectQmpAsync("native", "primary-qmp.sock", "primary-events.log").ConfigureAwait(false);
            await WaitForConsoleAsync(PrimaryConsole, TimeSpan.FromSeconds(90)).ConfigureAwait(false);
            return;
        }

        CreateDisks();
        if (Mode == PairMode.Proxy)
        {
            ProxyProcess = StartInNamespace("colo-proxy", _settings.Proxy.File, [.. _settings.Proxy.LeadingArguments, .. ProxyArguments()], ProxyLog, ProxyEnvironment);
            ProxyControl = await ConnectQmpAsync("colo-proxy control", "colo-proxy.sock", "colo-proxy-events.log").ConfigureAwait(false);
        }
        SecondaryProcess = StartQemu("secondary", SecondaryArguments());
        StartQemu("primary", PrimaryArguments());
        Secondary = await ConnectQmpAsync("secondary", "secondary-qmp.sock", "secondary-events.log").ConfigureAwait(false);
        Primary = await ConnectQmpAsync("primary", "primary-qmp.sock", "primary-events.log").ConfigureAwait(false);

        // docs/qemu-kvm.md section 4: the secondary first (the NBD target must exist before the primary migrates).
        await Secondary.ExecuteAsync("migrate-set-capabilities", new { capabilities = new[] { new { capability = "x-colo", state = true } } }).ConfigureAwait(false);
        await Secondary.ExecuteAsync("nbd-server-start", new { addr = new { type = "inet", data = new { host = SecondaryHost, port = NbdPort.ToString(CultureInfo.InvariantCulture) } } }).ConfigureAwait(false);
        await Secondary.ExecuteAsync("nbd-server-add", new { device = "parent0", writable = true }).ConfigureAwait(false);
        await Primary.ExecuteAsync("human-monitor-command", new Dictionary<string, string>
        {
            ["command-line"] = $"drive_add -n buddy driver=replication,mode=primary,file.driver=nbd,file.host={SecondaryHost},file.port={NbdPort},file.export=parent0,node-name=replication0",
        }).ConfigureAwait(false);
        await Primary.ExecuteAsync("x-blockdev-change", new { parent = "colo-disk0", node = "replication0" }).ConfigureAwait(false);
        await Primary.ExecuteAsync("migrate-set-capabilities", new
        {
            capabilities = new[] { new { capability = "x-colo", state = true }, new { capability = "events", state = true } },
        }).ConfigureAwait(false);
        await Primary.ExecuteAsync("migrate-set-parameters", new Dictionary<string, int> { ["x-checkpoint-delay"] = CheckpointDelayMs }).ConfigureAwait(false);
        await Primary.ExecuteAsync("migrate", new { uri = $"tcp:{SecondaryHost}:{IncomingPort}" }).ConfigureAwait(false);

        var colo = await Primary.WaitForEventAsync(e => e.Name == "MIGRATION" && e.DataString("status") == "colo", TimeSpan.FromSeconds(120)).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{Mode}: the primary never reported MIGRATION {{colo}} within 120 s");
        var index = Primary.Events.ToList().IndexOf(colo);
        _ = await Primary.WaitForEventAsync(e => e.Name == "RESUME", TimeSpan.FromSeconds(60), index).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{Mode}: no RESUME after MIGRATION {{colo}} within 60 s");
        var status = await Primary.ExecuteAsync("query-colo-status").ConfigureAwait(false);
        log($"{Mode.ToString().ToLowerInvariant()}: COLO running ({status.GetRawText()}) after {colo.ReceivedAt:F1} s of the run");
        await WaitForConsoleAsync(PrimaryConsole, TimeSpan.FromSeconds(90)).ConfigureAwait(false);
        await WaitForConsoleAsync(SecondaryConsole, TimeSpan.FromSeconds(90)).ConfigureAwait(false);
    }

    private string[] ProxyArguments()
    {
        var d = RunDirectory;
        // docs/qemu-kvm.md section 1, with the secondary's side on the namespace's loopback.
        return
        [
            "serve",
            "--primary-in", $"unix:{d}/primary-in.sock,server",
            "--outdev", $"unix:{d}/outdev.sock,server",
            "--secondary-in", $"tcp:127.0.0.1:{SecondaryInPort},server",
            "--qemu-qmp", $"unix:{d}/qmp-colo-proxy.sock",
            "--control", $"unix:{d}/colo-proxy.sock",
        ];
    }

    private List<string> CommonQemuArguments(string name, string tap)
    {
        var d = RunDirectory;
        var g = _settings.Guest;
        return
        [
            .. FirmwareAndModules.Split(' '),
            "-accel", "tcg", "-m", "256", "-smp", "1", "-name", name, "-display", "none", "-monitor", "none",
            "-serial", $"file:{d}/{name}-console.log",
            "-qmp", $"unix:{d}/{name}-qmp.sock,server=on,wait=off",
            "-kernel", g.KernelPath, "-initrd", g.InitrdPath, "-append", "console=ttyS0",
            "-netdev", $"tap,id=hn0,ifname={tap},script=no,downscript=no,vhost=off,vnet_hdr=off",
            "-device", $"virtio-net-pci,id=e0,netdev=hn0,mac={Mac}",
        ];
    }

    // docs/qemu-kvm.md section 2 (ColoProxy) or QEMU's COLO-FT.txt (colo-compare); the same guest, network and disks.
    // The chardevs both modes share (the mirror to the secondary, the secondary's output) get nodelay=on: QEMU writes
    // a frame's length word and the frame in two sends, which Nagle would hold back. colo-compare's own loopback
    // chardev pairs stay as COLO-FT.txt writes them: the reference is colo-compare as QEMU documents it.
    private List<string> PrimaryArguments()
    {
        var d = RunDirectory;
        var args = CommonQemuArguments("primary", NetworkNamespace.PrimaryTap);
        args.AddRange(
        [
            "-qmp", $"unix:{d}/qmp-colo-proxy.sock,server=on,wait=off",
            "-chardev", $"socket,id=mirror0,host=127.0.0.1,port={MirrorPort},server=on,wait=off,nodelay=on",
            "-object", "filter-mirror,id=m0,netdev=hn0,queue=tx,outdev=mirror0",
            "-drive", $"if=ide,id=colo-disk0,driver=quorum,read-pattern=fifo,vote-threshold=1,children.0.file.filename={d}/primary.qcow2,children.0.driver=qcow2",
            "-S",
        ]);
        if (Mode == PairMode.Reference)
        {
            args.AddRange(
            [
                "-chardev", $"socket,id=compare1,host=127.0.0.1,port={SecondaryInPort},server=on,wait=on",
                "-chardev", $"socket,id=compare0,host=127.0.0.1,port={ComparePrimaryPort},server=on,wait=off",
                "-chardev", $"socket,id=compare0-0,host=127.0.0.1,port={ComparePrimaryPort}",
                "-chardev", $"socket,id=compare_out,host=127.0.0.1,port={CompareOutPort},server=on,wait=off",
                "-chardev", $"socket,id=compare_out0,host=127.0.0.1,port={CompareOutPort}",
                "-object", "filter-redirector,netdev=hn0,id=redire0,queue=rx,indev=compare_out",
                "-object", "filter-redirector,netdev=hn0,id=redire1,queue=rx,outdev=compare0",
                "-object", "iothread,id=iothread1",
                "-object", "colo-compare,id=comp0,primary_in=compare0-0,secondary_in=compare1,outdev=compare_out0,iothread=iothread1",
                // Why colo-compare asked for checkpoints: its timeouts, and UDP/ICMP miscompares. Nothing traced
                // per packet (colo_compare_tcp_info is, and would slow the reference down).
                "-trace", "enable=colo_old_packet_check_found",
                "-trace", "enable=colo_compare_udp_miscompare",
                "-trace", "enable=colo_compare_icmp_miscompare",
                "-D", ReferenceTrace,
            ]);
        }
        else
        {
            args.AddRange(
            [
                "-chardev", $"socket,id=compare0,path={d}/primary-in.sock,reconnect=1",
                "-chardev", $"socket,id=compare_out,path={d}/outdev.sock,reconnect=1",
                "-object", "filter-redirector,id=redire0,netdev=hn0,queue=rx,indev=compare_out",
                "-object", "filter-redirector,id=redire1,netdev=hn0,queue=rx,outdev=compare0",
            ]);
        }
        return args;
    }

    // docs/qemu-kvm.md section 3; red1 goes to ColoProxy's --secondary-in or colo-compare's compare1, both on :9004.
    private List<string> SecondaryArguments()
    {
        var d = RunDirectory;
        var args = CommonQemuArguments("secondary", NetworkNamespace.SecondaryTap);
        args.AddRange(
        [
            "-chardev", $"socket,id=red0,host=127.0.0.1,port={MirrorPort},reconnect=1,nodelay=on",
            "-chardev", $"socket,id=red1,host=127.0.0.1,port={SecondaryInPort},reconnect=1,nodelay=on",
            "-object", "filter-redirector,id=f1,netdev=hn0,queue=tx,indev=red0",
            "-object", "filter-redirector,id=f2,netdev=hn0,queue=rx,outdev=red1",
            "-object", "filter-rewriter,id=rew0,netdev=hn0,queue=all",
            "-drive", $"if=none,id=parent0,file.filename={d}/secondary-parent.qcow2,driver=qcow2",
            "-drive", "if=none,id=childs0,driver=replication,mode=secondary,file.driver=qcow2,top-id=colo-disk0," +
                $"file.file.filename={d}/secondary-active.qcow2,file.backing.driver=qcow2," +
                $"file.backing.file.filename={d}/secondary-hidden.qcow2,file.backing.backing=parent0",
            "-drive", "if=ide,id=colo-disk0,driver=quorum,read-pattern=fifo,vote-threshold=1,children.0=childs0",
            "-incoming", $"tcp:{SecondaryHost}:{IncomingPort}",
        ]);
        return args;
    }

    private void CreateDisks()
    {
        var d = RunDirectory;
        foreach (var image in new[] { "primary.qcow2", "secondary-active.qcow2", "secondary-hidden.qcow2" })
            CommandRunner.Run("qemu-img", ["create", "-q", "-f", "qcow2", Path.Combine(d, image), "64M"]);
        File.Copy(Path.Combine(d, "primary.qcow2"), Path.Combine(d, "secondary-parent.qcow2"));
    }

    private ChildProcess StartQemu(string name, IEnumerable<string> args) =>
        StartInNamespace(name, _settings.Qemu, args, Path.Combine(RunDirectory, $"{name}.stderr"), QemuEnvironment);

    private ChildProcess StartInNamespace(string name, string file, IEnumerable<string> args, string logPath, IReadOnlyDictionary<string, string>? environment)
    {
        var process = ChildProcess.Start(name, "ip", [.. _settings.Namespace.ExecPrefix, file, .. args], logPath, environment);
        _processes.Add(process);
        return process;
    }

    // The chardev streams (mirror to the secondary, the secondary's output) as TCP on the namespace's loopback. The
    // same ports in both modes, so the capture costs both comparators the same.
    private void StartCapture()
    {
        if (CommandRunner.TryRun("which", ["dumpcap"]).ExitCode != 0)
        {
            _settings.Log($"{Mode}: dumpcap not found, no chardev capture");
            return;
        }
        _capture = ChildProcess.Start("dumpcap", "ip",
            [.. _settings.Namespace.ExecPrefix, "dumpcap", "-q", "-i", "lo", "-f", $"tcp port {MirrorPort} or tcp port {SecondaryInPort}",
             "-w", Path.Combine(RunDirectory, "chardevs.pcapng")],
            Path.Combine(RunDirectory, "dumpcap.log"));
        Thread.Sleep(500); // dumpcap opens the interface before the first chardev connects
    }

    private async Task<QmpClient> ConnectQmpAsync(string name, string socket, string eventLog)
    {
        var client = await QmpClient.ConnectAsync(name, Path.Combine(RunDirectory, socket), _settings.Clock,
            Path.Combine(RunDirectory, eventLog), TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        _clients.Add(client);
        return client;
    }

    private async Task WaitForConsoleAsync(string console, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (File.Exists(console) && ReadShared(console).Contains(GuestImage.ReadyLine, StringComparison.Ordinal))
                return;
            foreach (var process in _processes)
            {
                if (process.HasExited)
                    throw new InvalidOperationException($"{Mode}: {process.Name} exited while the guest booted (see {RunDirectory})");
            }
            await Task.Delay(200).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"{Mode}: no '{GuestImage.ReadyLine}' on {Path.GetFileName(console)} within {timeout.TotalSeconds:F0} s");
    }

    /// <summary>The JSON of a ColoProxy <c>query-stats</c>.</summary>
    public async Task<JsonElement> ProxyStatsAsync() =>
        await (ProxyControl ?? throw new InvalidOperationException("no ColoProxy in this mode")).ExecuteAsync("query-stats").ConfigureAwait(false);
}
