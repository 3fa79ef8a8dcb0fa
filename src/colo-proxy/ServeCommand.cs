using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using Colo.Cli.Serve;
using Colo.Proxy.Checkpoints;
using Colo.Proxy.Hosting;
using Colo.Proxy.Qemu;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Colo.Cli;

/// <summary>
/// <c>colo-proxy serve</c>: the live comparator. Options carry QEMU's colo-compare property names. Exit 0 after a
/// clean shutdown (SIGTERM/SIGINT or the control socket's quit), 2 on invalid options, 1 when it could not start, 3 after
/// a shutdown that left released frames undelivered (no outdev peer took them within --shutdown-timeout; they are
/// counted as dropped, reason undelivered, in the final accounting line).
/// </summary>
internal static class ServeCommand
{
    public const int ExitOk = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const int ExitUndelivered = 3;

    public static Command Create()
    {
        var command = new Command("serve", "Compare the primary's and the secondary's output live (drop-in for QEMU's colo-compare object).");
        var options = new Dictionary<string, Option<string?>>(StringComparer.Ordinal);
        void Add(string key, string description, string? helpName = null)
        {
            var option = new Option<string?>("--" + key) { Description = description, HelpName = helpName };
            // Switches may be given bare ("--vnet-hdr-support" means on).
            if (helpName == "on|off")
                option.Arity = ArgumentArity.ZeroOrOne;
            options[key] = option;
            command.Options.Add(option);
        }
        Add("primary-in", "Primary's output (QEMU primary_in): unix:PATH[,server] or tcp:HOST:PORT[,server]. Required.", "ENDPOINT");
        Add("secondary-in", "Secondary's output (QEMU secondary_in). Required.", "ENDPOINT");
        Add("outdev", "Where released primary frames go (QEMU outdev). Required.", "ENDPOINT");
        Add("notify-dev", "Xen COLO notify channel (QEMU notify_dev), e.g. tcp:127.0.0.1:9009,server.", "ENDPOINT");
        Add("control", "QMP-style control socket, e.g. unix:/run/colo-proxy/control.sock (always listens).", "ENDPOINT");
        Add("metrics", "Prometheus text endpoint, tcp:127.0.0.1:PORT (GET /metrics).", "ENDPOINT");
        Add("compare-timeout", "Milliseconds a queued frame may wait before a checkpoint is requested (default 3000).", "MS");
        Add("expired-scan-cycle", "Milliseconds between timeout scans and between repeated requests (default 1000).", "MS");
        Add("max-queue-size", "Frames queued per flow per side before a checkpoint is requested (default 1024).", "N");
        Add("vnet-hdr-support", "on/off: frames carry a vnet_hdr_len word (QEMU vnet_hdr_support; default off).", "on|off");
        Add("compare-non-ip", "on/off: compare ARP and other non-IP frames instead of forwarding the primary's uncompared (default off).", "on|off");
        Add("workers", "Engine shards, each with a thread; flows are sharded across them (default 1: the input threads run the engine).", "N");
        Add("log-level", "trace, debug, information, warning, error, critical, none (default information).", "LEVEL");
        Add("reconnect-ms", "Client endpoints: first delay between connection attempts, doubling up to 10 s (default 1000).", "MS");
        Add("allow-remote", "on/off: allow TCP servers to listen on non-loopback addresses (default off).", "on|off");
        Add("max-frame-size", "Largest accepted frame length in bytes; longer ones close the connection (default 69632).", "BYTES");
        Add("output-buffer", "Released bytes held while outdev is slow or absent before inputs pause (default 16777216).", "BYTES");
        Add("shutdown-timeout", "Milliseconds shutdown waits for outdev to take released frames (default 10000).", "MS");
        Add("qemu-qmp", "QEMU/KVM without colo-compare: the primary QEMU's QMP socket (unix:PATH or tcp:HOST:PORT) used to force checkpoints.", "ENDPOINT");
        Add("qemu-checkpoint-delay", "x-checkpoint-delay (ms) written to force a checkpoint (default: keep QEMU's).", "MS");
        Add("qemu-trust-resume", "on/off: treat every STOP/RESUME as a checkpoint even without MIGRATION_PASS events (default off).", "on|off");
        Add("qemu-checkpoint-timeout", "Milliseconds a QEMU checkpoint may take before it is reported as hung (default 10000).", "MS");
        Add("record-per-flow", "Flight recorder: bytes of recent frames kept per flow, half per side; 0 turns it off (default 65536).", "BYTES");
        Add("record-budget", "Flight recorder: bytes for all flows' recent frames, beyond the engine's memory cap (default 16777216).", "BYTES");
        Add("record-dir", "Directory for the capture pair + JSON written on each divergence (default $STATE_DIRECTORY/records or ~/.local/state/colo-proxy/records).", "DIR");
        Add("record-keep", "Recorded sets kept in --record-dir; older ones are deleted (default 100).", "N");
        Add("record-timeouts", "on/off: also record a flow when a timeout checkpoint is requested for it (default off).", "on|off");
        Add("capture", "Debugging: write every frame of both inputs and of outdev into rotated pcapng files in DIR (costs throughput).", "DIR");
        Add("capture-file-size", "--capture: bytes per file before the next one starts (default 67108864).", "BYTES");
        Add("capture-files", "--capture: files kept per stream (primary, secondary, outdev); older ones are deleted (default 8).", "N");
        var config = new Option<string?>("--config") { Description = "JSON file with the same option names (\"primary-in\" or \"primary_in\"); the command line wins.", HelpName = "FILE" };
        command.Options.Add(config);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new ServeSettings();
            if (parse.GetValue(config) is { } path)
                settings.LoadConfig(path);
            foreach ((string key, Option<string?> option) in options)
            {
                OptionResult? result = parse.GetResult(option);
                if (result is not null && !result.Implicit)
                    settings.Set(key, parse.GetValue(option) ?? "on");
            }
            return await RunAsync(settings, Console.Error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Validates, starts the proxy, runs until SIGTERM/SIGINT or quit.</summary>
    public static async Task<int> RunAsync(ServeSettings settings, TextWriter error, CancellationToken cancellationToken)
    {
        LogLevel level = settings.LogLevel();
        ProxyOptions options = settings.ToProxyOptions();
        QemuCheckpointOptions? qemu = settings.ToQemuOptions();
        if (settings.Errors.Count > 0)
        {
            foreach (string message in settings.Errors)
                await error.WriteLineAsync("colo-proxy serve: " + message).ConfigureAwait(false);
            return ExitUsage;
        }

        using ILoggerFactory loggerFactory = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(level)
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
                console.ColorBehavior = LoggerColorBehavior.Disabled;
            })
            .AddFilter("Microsoft", LogLevel.Warning));
        ILogger logger = loggerFactory.CreateLogger("colo-proxy");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        var channels = new List<ICheckpointChannel>();
        if (qemu is not null)
            channels.Add(new QemuCheckpointChannel(qemu, loggerFactory.CreateLogger("Colo.Proxy.Qemu"), TimeProvider.System));

        ProxyHost host;
        try
        {
            host = new ProxyHost(options, loggerFactory, TimeProvider.System, meterFactory: null, channels);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync("colo-proxy serve: " + ex.Message).ConfigureAwait(false);
            return ExitUsage;
        }

        await using (host.ConfigureAwait(false))
        {
            try
            {
                await host.RunAsync(stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                ServeLog.StartFailed(logger, ex.Message);
                return ExitFailed;
            }
        }
        return host.LastCounters.Dropped(Colo.Compare.Side.Primary, Colo.Compare.DropReason.Undelivered) > 0 ? ExitUndelivered : ExitOk;
    }
}
