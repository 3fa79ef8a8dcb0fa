using System.Globalization;
using Colo.Proxy.Endpoints;
using Microsoft.Extensions.Logging;

namespace Colo.Cli.Serve;

/// <summary>Parsers and printers for serve option values; a parser throws <see cref="FormatException"/> saying why.</summary>
internal static class ServeValues
{
    public const string Switch = "on|off";

    private static readonly string[] Levels = ["trace", "debug", "information", "warning", "error", "critical", "none"];

    public static EndpointSpec Endpoint(string text) =>
        EndpointSpec.TryParse(text, out EndpointSpec? spec, out string? error) ? spec : throw new FormatException(error);

    /// <summary>The control socket and the metrics endpoint always listen: <c>unix:PATH</c> needs no <c>,server</c>.</summary>
    public static EndpointSpec ServerEndpoint(string text) => Endpoint(text) with { IsServer = true };

    public static int Int(string text) =>
        int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : throw new FormatException($"'{text}' is not an integer");

    /// <summary>
    /// A size in bytes: a whole number, optionally followed by K, M, G or T (powers of 1024, as QEMU reads sizes), with
    /// or without a trailing <c>iB</c> or <c>B</c>: <c>16777216</c>, <c>16M</c>, <c>16MiB</c>.
    /// </summary>
    public static long Bytes(string text)
    {
        string rest = text.Trim();
        int shift = 0;
        if (rest.Length > 2 && rest.EndsWith("iB", StringComparison.OrdinalIgnoreCase) && char.IsLetter(rest[^3]))
            rest = rest[..^2];
        else if (rest.Length > 1 && (rest.EndsWith('B') || rest.EndsWith('b')))
            rest = rest[..^1];
        if (rest.Length > 0)
        {
            shift = char.ToUpperInvariant(rest[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, _ => 0 };
            if (shift != 0)
                rest = rest[..^1];
        }
        if (!long.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            throw new FormatException($"'{text}' is not a size in bytes (a whole number, optionally with K, M, G or T: 16777216, 16M, 16MiB)");
        if (value > long.MaxValue >> shift)
            throw new FormatException($"'{text}' is too large");
        return value << shift;
    }

    /// <summary>A size in bytes (as <see cref="Bytes"/>) that must fit an int.</summary>
    public static int IntBytes(string text)
    {
        long value = Bytes(text);
        return value <= int.MaxValue ? (int)value : throw new FormatException($"'{text}' is too large (at most {int.MaxValue} bytes)");
    }

    public static TimeSpan Milliseconds(string text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
            ? TimeSpan.FromMilliseconds(value)
            : throw new FormatException($"'{text}' is not a whole number of milliseconds");

    public static bool Bool(string text) => text.ToLowerInvariant() switch
    {
        "true" or "on" or "yes" or "1" => true,
        "false" or "off" or "no" or "0" => false,
        _ => throw new FormatException($"'{text}' is not on/off"),
    };

    public static LogLevel Level(string text) => text.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        "none" => LogLevel.None,
        _ => throw new FormatException($"'{text}' is not one of {string.Join(", ", Levels)}"),
    };

    public static ServeLogFormat Format(string text) => text.ToLowerInvariant() switch
    {
        "text" => ServeLogFormat.Text,
        "json" => ServeLogFormat.Json,
        _ => throw new FormatException($"'{text}' is not text or json"),
    };

    /// <summary>An octal permission mode like 0660 (only the rwx bits for user, group and others).</summary>
    public static UnixFileMode Mode(string text)
    {
        string digits = text.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        int mode = 0;
        if (digits.Length is 0 or > 4)
            throw new FormatException($"'{text}' is not an octal mode like 0660");
        foreach (char c in digits)
        {
            if (c is < '0' or > '7')
                throw new FormatException($"'{text}' is not an octal mode like 0660");
            mode = (mode * 8) + (c - '0');
        }
        if (mode > 0x1FF)
            throw new FormatException($"'{text}' sets more than the rwx bits (at most 0777)");
        return (UnixFileMode)mode;
    }

    /// <summary>A user or group: a name, or a number.</summary>
    public static string Principal(string text) =>
        text.Length > 0 && !text.Any(char.IsWhiteSpace) && !text.Contains(':', StringComparison.Ordinal)
            ? text
            : throw new FormatException($"'{text}' is not a user or group name or number");

    public static string ShowMilliseconds(TimeSpan value) => ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);

    public static string ShowBool(bool value) => value ? "on" : "off";

    public static string ShowMode(UnixFileMode mode) => "0" + Convert.ToString((int)mode, 8);

    public static string ShowLevel(LogLevel level) => level.ToString().ToLowerInvariant();

    public static string Show(int value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Show(long value) => value.ToString(CultureInfo.InvariantCulture);
}
