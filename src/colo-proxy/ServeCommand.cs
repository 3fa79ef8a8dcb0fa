using System.CommandLine;
using System.CommandLine.Parsing;
using System.Runtime.InteropServices;
using Colo.Cli.Serve;
using Colo.Proxy.Checkpoints;
using Colo.Proxy.Control;
using Colo.Proxy.Hosting;
using Colo.Proxy.Qemu;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Colo.Cli;

/// <summary>
/// <c>colo-proxy serve</c>: the live comparator. The options are <see cref="ServeOptionTable"/>'s, each accepted in
/// the dashed spelling and in QEMU's (<c>--primary-in</c>, <c>--primary_in</c>). Exit 0 after a clean shutdown
/// (SIGTERM/SIGINT or the control socket's quit), 2 on invalid options, 1 when it could not start, 3 after a shutdown
/// that left released frames undelivered (no outdev peer took them within --shutdown-timeout; they are counted as
/// dropped, reason undelivered, in the final accounting line).
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
        var options = new List<(ServeOption Entry, Option<string?> Option)>();
        foreach (ServeOption entry in ServeOptionTable.Options)
        {
            string[] aliases = entry.UnderscoreName != entry.Key ? ["--" + entry.UnderscoreName] : [];
            var option = new Option<string?>("--" + entry.Key, aliases) { Description = entry.Description, HelpName = entry.ValueName };
            if (entry.IsSwitch)
                option.Arity = ArgumentArity.ZeroOrOne;
            options.Add((entry, option));
            command.Options.Add(option);
        }
        var config = new Option<string?>("--config")
        {
            Description = "JSON file of the same options (\"primary-in\" or \"primary_in\"); the command line wins.",
            HelpName = "FILE",
        };
        command.Options.Add(config);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new ServeSettings();
            if (parse.GetValue(config) is { } path)
                settings.LoadConfig(path);
            foreach ((ServeOption entry, Option<string?> option) in options)
            {
                OptionResult? result = parse.GetResult(option);
                if (result is not null && !result.Implicit)
                    settings.Set(entry.Key, parse.GetValue(option) ?? "on");
            }
            return await RunAsync(settings, Console.Error, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Validates, starts the proxy, runs until SIGTERM/SIGINT or quit.</summary>
    public static async Task<int> RunAsync(ServeSettings settings, TextWriter error, CancellationToken cancellationToken)
    {
        ServeConfiguration configuration = settings.Build();
        if (settings.Errors.Count > 0)
        {
            foreach (string message in settings.Errors)
                await error.WriteLineAsync("colo-proxy serve: " + message).ConfigureAwait(false);
            return ExitUsage;
        }

        using ILoggerFactory loggerFactory = CreateLoggerFactory(configuration);
        ILogger logger = loggerFactory.CreateLogger("colo-proxy");

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.Cancel();
        }

        configuration.Proxy.Qemu = configuration.QemuEnabled ? configuration.Qemu : null;

        ProxyHost host;
        try
        {
            host = new ProxyHost(configuration.Proxy, loggerFactory, TimeProvider.System);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync("colo-proxy serve: " + ex.Message).ConfigureAwait(false);
            return ExitUsage;
        }

        SystemdNotifier systemd = SystemdNotifier.FromEnvironment();
        await using (host.ConfigureAwait(false))
        {
            try
            {
                await host.StartAsync(stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or InvalidOperationException
                or UnauthorizedAccessException or ArgumentException)
            {
                ServeLog.StartFailed(logger, ex.Message);
                return ExitFailed;
            }
            LogStarted(logger, configuration, host);
            if (systemd.Notify("READY=1\nSTATUS=comparing\n") is { } readyError)
                ServeLog.NotifyFailed(logger, readyError);

            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (stop.Token.Register(() => stopped.TrySetResult()))
                await Task.WhenAny(stopped.Task, host.QuitRequested).ConfigureAwait(false);
            systemd.Notify("STOPPING=1\nSTATUS=releasing queued frames to outdev\n");
            await host.StopAsync().ConfigureAwait(false);
        }
        return host.LastCounters.Dropped(Colo.Compare.Side.Primary, Colo.Compare.DropReason.Undelivered) > 0 ? ExitUndelivered : ExitOk;
    }

    private static ILoggerFactory CreateLoggerFactory(ServeConfiguration configuration) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(configuration.LogLevel).AddFilter("Microsoft", LogLevel.Warning);
        if (configuration.LogFormat == ServeLogFormat.Json)
        {
            builder.AddConsole(console => console.FormatterName = JsonLineFormatter.FormatterName)
                .AddConsoleFormatter<JsonLineFormatter, ConsoleFormatterOptions>();
        }
        else
        {
            builder.AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.UseUtcTimestamp = true;
                console.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";
                console.ColorBehavior = LoggerColorBehavior.Disabled;
            });
        }
    });

    /// <summary>One line naming every effective setting and the checkpoint channels; a loud warning when there is none.</summary>
    private static void LogStarted(ILogger logger, ServeConfiguration configuration, IProxyControl host)
    {
        string settings = string.Join(", ", ServeOptionTable.Options
            .Where(o => configuration.QemuEnabled || !ServeOptionTable.QemuDependents.Contains(o.Key))
            .Select(o => (o.Key, Value: o.Show(configuration)))
            .Where(p => p.Value is not null)
            .Select(p => p.Key + "=" + p.Value));
        IReadOnlyList<string> channels = host.GetStatus().CheckpointChannels;
        ServeLog.Settings(logger, settings, channels.Count == 0 ? "none" : string.Join(", ", channels));
        if (channels.Count == 0)
            ServeLog.NoCheckpointChannel(logger, ControlCommands.NoCheckpointChannelWarning);
    }
}
