using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Colo.Cli.Ctl;
using Colo.Proxy.Control;

namespace Colo.Cli;

/// <summary>
/// <c>colo-proxy ctl SOCKET COMMAND [ARGS]</c>: one control-socket command from the shell (Debian packages no
/// qmp-shell), or <c>--watch</c> to print events as they arrive. Exit 0 on a <c>return</c>, 1 on an <c>error</c> reply
/// or a lost connection, 2 on bad usage.
/// </summary>
internal static class CtlCommand
{
    public const int ExitOk = 0;
    public const int ExitError = 1;
    public const int ExitUsage = 2;

    // Replies are for people here: indented, and "->" in a flow name left as it is.
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Create()
    {
        var commands = new StringBuilder();
        foreach (ControlCommand entry in ControlCommands.Table)
            commands.Append("\n  ").Append(entry.Name.PadRight(22)).Append(entry.Help);
        var command = new Command("ctl", "Send one command to a running proxy's control socket, or watch its events. Commands:" + commands);
        var socket = new Argument<string>("SOCKET") { Description = "The control socket: PATH, unix:PATH or tcp:HOST:PORT." };
        var name = new Argument<string?>("COMMAND") { Description = "A command from the list above.", Arity = ArgumentArity.ZeroOrOne };
        var arguments = new Argument<string[]>("ARGS")
        {
            Description = "key=value pairs (limit=5 dst=10.0.0.1) or one JSON object ('{\"limit\":5}').",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var json = new Option<bool>("--json") { Description = "Print the reply (or each event) as the JSON line the proxy sent." };
        var watch = new Option<bool>("--watch") { Description = "After the command (if any), print events until interrupted or the proxy closes." };
        command.Arguments.Add(socket);
        command.Arguments.Add(name);
        command.Arguments.Add(arguments);
        command.Options.Add(json);
        command.Options.Add(watch);
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(socket)!, parse.GetValue(name), parse.GetValue(arguments) ?? [], parse.GetValue(json), parse.GetValue(watch),
            Console.Out, Console.Error, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(string address, string? command, IReadOnlyList<string> words, bool json, bool watch,
        TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (command is null && !watch)
        {
            await error.WriteLineAsync("colo-proxy ctl: give a COMMAND, or --watch to print events").ConfigureAwait(false);
            return ExitUsage;
        }
        if (command is not null && !ControlCommands.TryFind(command, out _))
        {
            await error.WriteLineAsync($"colo-proxy ctl: no command '{command}'; known: {string.Join(", ", ControlCommands.Table.Select(c => c.Name))}").ConfigureAwait(false);
            return ExitUsage;
        }
        JsonObject? arguments;
        try
        {
            arguments = CtlArguments.Parse(words);
        }
        catch (FormatException ex)
        {
            await error.WriteLineAsync("colo-proxy ctl: " + ex.Message).ConfigureAwait(false);
            return ExitUsage;
        }

        try
        {
            await using ControlConnection connection = await ControlConnection.ConnectAsync(address, cancellationToken).ConfigureAwait(false);
            int status = ExitOk;
            if (command is not null)
            {
                JsonElement reply = await connection.ExecuteAsync(command, arguments, cancellationToken).ConfigureAwait(false);
                status = await PrintReplyAsync(reply, json, output, error).ConfigureAwait(false);
            }
            if (watch)
                await WatchAsync(connection, json, output, cancellationToken).ConfigureAwait(false);
            return status;
        }
        catch (OperationCanceledException)
        {
            // Ctrl-C ends a watch: that is how it is meant to stop.
            return ExitOk;
        }
        catch (Exception ex) when (ex is SocketException or IOException or FormatException or JsonException)
        {
            await error.WriteLineAsync($"colo-proxy ctl: {address}: {ex.Message}").ConfigureAwait(false);
            return ExitError;
        }
    }

    private static async Task<int> PrintReplyAsync(JsonElement reply, bool json, TextWriter output, TextWriter error)
    {
        if (json)
        {
            await output.WriteLineAsync(reply.GetRawText()).ConfigureAwait(false);
            return reply.TryGetProperty("return", out _) ? ExitOk : ExitError;
        }
        if (reply.TryGetProperty("return", out JsonElement value))
        {
            await output.WriteLineAsync(JsonSerializer.Serialize(value, Indented)).ConfigureAwait(false);
            return ExitOk;
        }
        JsonElement failure = reply.GetProperty("error");
        await error.WriteLineAsync($"{failure.GetProperty("class").GetString()}: {failure.GetProperty("desc").GetString()}").ConfigureAwait(false);
        return ExitError;
    }

    private static async Task WatchAsync(ControlConnection connection, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        while (await connection.NextEventAsync(cancellationToken).ConfigureAwait(false) is { } message)
        {
            await output.WriteLineAsync(json ? message.GetRawText() : FormatEvent(message)).ConfigureAwait(false);
            await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>One line: UTC time, event name, then the data as key=value.</summary>
    internal static string FormatEvent(JsonElement message)
    {
        var line = new StringBuilder();
        if (message.TryGetProperty("timestamp", out JsonElement timestamp))
        {
            DateTimeOffset at = DateTimeOffset.FromUnixTimeSeconds(timestamp.GetProperty("seconds").GetInt64())
                .AddTicks(timestamp.GetProperty("microseconds").GetInt64() * 10);
            line.Append(at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z' ", System.Globalization.CultureInfo.InvariantCulture));
        }
        line.Append(message.GetProperty("event").GetString());
        if (message.TryGetProperty("data", out JsonElement data) && data.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty property in data.EnumerateObject())
            {
                line.Append(' ').Append(property.Name).Append('=');
                line.Append(property.Value.ValueKind == JsonValueKind.String && !property.Value.GetString()!.Contains(' ', StringComparison.Ordinal)
                    ? property.Value.GetString()
                    : property.Value.GetRawText());
            }
        }
        return line.ToString();
    }
}
