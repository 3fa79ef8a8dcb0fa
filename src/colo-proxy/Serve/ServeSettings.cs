using System.Globalization;
using System.Text.Json;
using Colo.Proxy.Endpoints;
using Colo.Proxy.Hosting;
using Colo.Proxy.Qemu;
using Colo.Proxy.Recording;
using Microsoft.Extensions.Logging;

namespace Colo.Cli.Serve;

/// <summary>
/// The serve options after merging <c>--config FILE.json</c> (keys are the option names without dashes, or QEMU's
/// property spelling: <c>"primary-in"</c> or <c>"primary_in"</c>) with the command line (which wins).
/// </summary>
internal sealed class ServeSettings
{
    public static readonly string[] Keys =
    [
        "primary-in", "secondary-in", "outdev", "notify-dev", "control", "metrics", "compare-timeout",
        "expired-scan-cycle", "max-queue-size", "vnet-hdr-support", "workers", "log-level", "reconnect-ms",
        "allow-remote", "max-frame-size", "output-buffer", "shutdown-timeout", "qemu-qmp", "qemu-checkpoint-delay",
        "qemu-trust-resume", "qemu-checkpoint-timeout", "compare-non-ip", "compare-housekeeping",
        "record-per-flow", "record-budget", "record-dir", "record-keep", "record-timeouts",
        "capture", "capture-file-size", "capture-files",
    ];

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public List<string> Errors { get; } = [];

    /// <summary>Sets a value (later calls win: config first, then the command line).</summary>
    public void Set(string key, string? value)
    {
        if (value is not null)
            _values[key] = value;
    }

    /// <summary>Reads a JSON object of options.</summary>
    public void LoadConfig(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            Errors.Add($"--config {path}: {ex.Message}");
            return;
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                Errors.Add($"--config {path}: expected a JSON object of options");
                return;
            }
            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                string key = property.Name.Replace('_', '-').ToLowerInvariant();
                if (!Keys.Contains(key))
                {
                    Errors.Add($"--config {path}: unknown option '{property.Name}' (known: {string.Join(", ", Keys)})");
                    continue;
                }
                string? value = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString(),
                    JsonValueKind.Number => property.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Null => null,
                    _ => "\u0000invalid",
                };
                if (value == "\u0000invalid")
                    Errors.Add($"--config {path}: '{property.Name}' must be a string, number or boolean");
                else
                    Set(key, value);
            }
        }
    }

    public LogLevel LogLevel()
    {
        string text = Get("log-level") ?? "information";
        return text.ToLowerInvariant() switch
        {
            "trace" => Microsoft.Extensions.Logging.LogLevel.Trace,
            "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
            "information" or "info" => Microsoft.Extensions.Logging.LogLevel.Information,
            "warning" or "warn" => Microsoft.Extensions.Logging.LogLevel.Warning,
            "error" => Microsoft.Extensions.Logging.LogLevel.Error,
            "critical" => Microsoft.Extensions.Logging.LogLevel.Critical,
            "none" => Microsoft.Extensions.Logging.LogLevel.None,
            _ => Invalid(Microsoft.Extensions.Logging.LogLevel.Information,
                $"--log-level '{text}' is not one of trace, debug, information, warning, error, critical, none"),
        };
    }

    /// <summary>Builds the proxy's options; problems go to <see cref="Errors"/>.</summary>
    public ProxyOptions ToProxyOptions()
    {
        var options = new ProxyOptions
        {
            PrimaryIn = Endpoint("primary-in"),
            SecondaryIn = Endpoint("secondary-in"),
            Outdev = Endpoint("outdev"),
            NotifyDev = Endpoint("notify-dev"),
            Control = Endpoint("control"),
            Metrics = Endpoint("metrics"),
            VnetHdrSupport = Bool("vnet-hdr-support", false),
            Workers = Int("workers", 1),
            MaxFrameLength = Int("max-frame-size", Colo.Proxy.Framing.FrameCodec.DefaultMaxFrameLength),
            OutputBufferBytes = Long("output-buffer", 16L * 1024 * 1024),
            ShutdownTimeout = Milliseconds("shutdown-timeout", 10000),
        };
        options.Compare.CompareTimeout = Milliseconds("compare-timeout", 3000);
        options.Compare.ExpiredScanCycle = Milliseconds("expired-scan-cycle", 1000);
        options.Compare.MaxQueueSize = Int("max-queue-size", 1024);
        options.Compare.CompareNonIp = Bool("compare-non-ip", false);
        options.Compare.CompareHousekeeping = Bool("compare-housekeeping", false);
        options.Compare.RecorderBytesPerFlow = Int("record-per-flow", 64 * 1024);
        options.Compare.RecorderBudgetBytes = Long("record-budget", 16L * 1024 * 1024);
        options.Records.Directory = options.Compare.RecorderBytesPerFlow > 0 ? Get("record-dir") ?? FlightRecordOptions.DefaultDirectory() : null;
        options.Records.Keep = Int("record-keep", 100);
        options.Records.RecordTimeouts = Bool("record-timeouts", false);
        Errors.AddRange(options.Records.Validate());
        options.Capture.Directory = Get("capture");
        options.Capture.FileBytes = Long("capture-file-size", 64L * 1024 * 1024);
        options.Capture.Files = Int("capture-files", 8);
        if (options.Capture.Directory is not null)
            Errors.AddRange(options.Capture.Validate());
        try
        {
            options.Compare.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            Errors.Add(ex.Message);
        }
        options.Endpoints.ReconnectDelay = Milliseconds("reconnect-ms", 1000);
        options.Endpoints.AllowRemote = Bool("allow-remote", false);
        // The control socket is always a server: accept "unix:PATH" without ",server".
        if (options.Control is { IsServer: false } control)
            options.Control = control with { IsServer = true };
        if (options.Metrics is { IsServer: false } metrics)
            options.Metrics = metrics with { IsServer = true };
        // An endpoint that failed to parse was reported already; do not also call it missing.
        Errors.AddRange(options.Validate().Where(e => !(e.Contains(" is required", StringComparison.Ordinal)
            && Get(e[2..e.IndexOf(' ', StringComparison.Ordinal)]) is not null)));
        return options;
    }

    /// <summary>The QEMU/KVM checkpoint channel's options when <c>--qemu-qmp</c> is given.</summary>
    public QemuCheckpointOptions? ToQemuOptions()
    {
        if (Get("qemu-qmp") is not { } endpoint)
        {
            foreach (string dependent in (string[])["qemu-checkpoint-delay", "qemu-trust-resume", "qemu-checkpoint-timeout"])
            {
                if (Get(dependent) is not null)
                    Errors.Add($"--{dependent} needs --qemu-qmp");
            }
            return null;
        }
        var options = new QemuCheckpointOptions
        {
            Endpoint = endpoint,
            TrustResume = Bool("qemu-trust-resume", false),
            CheckpointTimeout = Milliseconds("qemu-checkpoint-timeout", 10000),
        };
        if (Get("qemu-checkpoint-delay") is not null)
            options.CheckpointDelay = Milliseconds("qemu-checkpoint-delay", 0);
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            Errors.Add(ex.Message);
        }
        return options;
    }

    private string? Get(string key) => _values.TryGetValue(key, out string? value) ? value : null;

    private EndpointSpec? Endpoint(string key)
    {
        if (Get(key) is not { } text)
            return null;
        if (EndpointSpec.TryParse(text, out EndpointSpec? spec, out string? error))
            return spec;
        Errors.Add($"--{key} {error}");
        return null;
    }

    private int Int(string key, int fallback)
    {
        if (Get(key) is not { } text)
            return fallback;
        return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
            ? value
            : Invalid(fallback, $"--{key} '{text}' is not an integer");
    }

    private long Long(string key, long fallback)
    {
        if (Get(key) is not { } text)
            return fallback;
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
            ? value
            : Invalid(fallback, $"--{key} '{text}' is not an integer (bytes)");
    }

    private TimeSpan Milliseconds(string key, int fallback)
    {
        if (Get(key) is not { } text)
            return TimeSpan.FromMilliseconds(fallback);
        return long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value)
            ? TimeSpan.FromMilliseconds(value)
            : Invalid(TimeSpan.FromMilliseconds(fallback), $"--{key} '{text}' is not a whole number of milliseconds");
    }

    private bool Bool(string key, bool fallback)
    {
        if (Get(key) is not { } text)
            return fallback;
        return text.ToLowerInvariant() switch
        {
            "true" or "on" or "yes" or "1" => true,
            "false" or "off" or "no" or "0" => false,
            _ => Invalid(fallback, $"--{key} '{text}' is not on/off"),
        };
    }

    private T Invalid<T>(T fallback, string message)
    {
        Errors.Add(message);
        return fallback;
    }
}
