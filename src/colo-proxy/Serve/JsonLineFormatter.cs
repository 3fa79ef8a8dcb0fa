using System.Text.Json;
using Colo.Compare;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Colo.Cli.Serve;

/// <summary>
/// <c>--log-format json</c>: one JSON object per line, with a UTC timestamp, the level both as a word and as the
/// syslog <c>priority</c> journald files it under (0 emergency .. 7 debug), the event id, the category, the rendered
/// message and each message parameter as its own snake_case field (<c>endpoint</c>, <c>reason</c>, ...), so a log
/// shipper can filter on them without parsing the message.
/// </summary>
internal sealed class JsonLineFormatter : ConsoleFormatter
{
    public const string FormatterName = "colo-json";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TimeProvider _time;

    public JsonLineFormatter() : this(TimeProvider.System)
    {
    }

    internal JsonLineFormatter(TimeProvider time) : base(FormatterName) => _time = time;

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        string message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("timestamp", _time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("level", LevelName(logEntry.LogLevel));
            writer.WriteNumber("priority", Priority(logEntry.LogLevel));
            writer.WriteNumber("event_id", logEntry.EventId.Id);
            if (logEntry.EventId.Name is { } name)
                writer.WriteString("event", name);
            writer.WriteString("category", logEntry.Category);
            writer.WriteString("message", message);
            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> fields)
            {
                foreach (KeyValuePair<string, object?> field in fields)
                {
                    if (field.Key == "{OriginalFormat}")
                        continue;
                    string key = ReasonNames.ToSnakeCase(field.Key);
                    switch (field.Value)
                    {
                        case null:
                            writer.WriteNull(key);
                            break;
                        case bool b:
                            writer.WriteBoolean(key, b);
                            break;
                        case int or long or uint or ushort or byte:
                            writer.WriteNumber(key, Convert.ToInt64(field.Value, System.Globalization.CultureInfo.InvariantCulture));
                            break;
                        case double d:
                            writer.WriteNumber(key, d);
                            break;
                        default:
                            writer.WriteString(key, Convert.ToString(field.Value, System.Globalization.CultureInfo.InvariantCulture));
                            break;
                    }
                }
            }
            if (logEntry.Exception is { } exception)
                writer.WriteString("exception", exception.ToString());
            writer.WriteEndObject();
        }
        textWriter.Write(System.Text.Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length));
        textWriter.Write('\n');
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warning",
        LogLevel.Error => "error",
        LogLevel.Critical => "critical",
        _ => "none",
    };

    // syslog(3) priorities, as journald's PRIORITY field.
    private static int Priority(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => 7,
        LogLevel.Information => 6,
        LogLevel.Warning => 4,
        LogLevel.Error => 3,
        LogLevel.Critical => 2,
        _ => 7,
    };

    /// <summary>For tests: the line this formatter writes for one entry.</summary>
    internal static string FormatOne(TimeProvider time, LogLevel level, EventId eventId, string category, IReadOnlyList<KeyValuePair<string, object?>> state, string message)
    {
        var formatter = new JsonLineFormatter(time);
        using var writer = new StringWriter();
        formatter.Write(new LogEntry<IReadOnlyList<KeyValuePair<string, object?>>>(level, category, eventId, state, null, (_, _) => message), null, writer);
        return writer.ToString();
    }
}
