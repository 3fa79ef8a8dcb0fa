using System.Text.Json;
using Colo.Proxy.Hosting;
using Colo.Proxy.Recording;

namespace Colo.Cli.Serve;

/// <summary>
/// The serve options as given: <c>--config FILE.json</c> first, then the command line (which wins). Keys are looked up
/// in <see cref="ServeOptionTable"/> in either spelling (<c>"primary-in"</c> or QEMU's <c>"primary_in"</c>).
/// <see cref="Build"/> turns them into a <see cref="ServeConfiguration"/>.
/// </summary>
internal sealed class ServeSettings
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public List<string> Errors { get; } = [];

    /// <summary>Sets a value by either spelling (later calls win: config first, then the command line).</summary>
    public void Set(string key, string? value)
    {
        if (value is null)
            return;
        if (!ServeOptionTable.TryFind(key, out ServeOption option))
            throw new ArgumentException($"No serve option '{key}'.", nameof(key));
        _values[option.Key] = value;
    }

    /// <summary>Reads a JSON object of options.</summary>
    public void LoadConfig(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
                AllowDuplicateProperties = false,
            });
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
                if (!ServeOptionTable.TryFind(property.Name, out ServeOption option))
                {
                    Errors.Add($"--config {path}: unknown option '{property.Name}' (known: {string.Join(", ", ServeOptionTable.Options.Select(o => o.Key))})");
                    continue;
                }
                switch (property.Value.ValueKind)
                {
                    case JsonValueKind.String:
                        Set(option.Key, property.Value.GetString());
                        break;
                    case JsonValueKind.Number:
                        Set(option.Key, property.Value.GetRawText());
                        break;
                    case JsonValueKind.True:
                        Set(option.Key, "on");
                        break;
                    case JsonValueKind.False:
                        Set(option.Key, "off");
                        break;
                    case JsonValueKind.Null:
                        break;
                    default:
                        Errors.Add($"--config {path}: '{property.Name}' must be a string, number or boolean");
                        break;
                }
            }
        }
    }

    /// <summary>Applies every given value in table order and validates the result; problems go to <see cref="Errors"/>.</summary>
    public ServeConfiguration Build()
    {
        var configuration = new ServeConfiguration();
        var failed = new HashSet<string>(StringComparer.Ordinal);
        foreach (ServeOption option in ServeOptionTable.Options)
        {
            if (!_values.TryGetValue(option.Key, out string? value))
                continue;
            try
            {
                option.Apply(configuration, value);
            }
            catch (FormatException ex)
            {
                failed.Add(option.Key);
                Errors.Add($"--{option.Key} {ex.Message}");
            }
        }

        // The recorder writes where it was told, else to the state directory; with no frames kept it writes nothing.
        ProxyOptions proxy = configuration.Proxy;
        proxy.Records.Directory = proxy.Compare.RecorderBytesPerFlow > 0 ? proxy.Records.Directory ?? FlightRecordOptions.DefaultDirectory() : null;
        Errors.AddRange(proxy.Records.Validate());
        if (proxy.Capture.Directory is not null)
            Errors.AddRange(proxy.Capture.Validate());
        try
        {
            proxy.Compare.Validate();
        }
        catch (ArgumentOutOfRangeException ex)
        {
            Errors.Add(ex.Message);
        }

        // An endpoint that failed to parse was reported already; do not also call it missing.
        Errors.AddRange(configuration.Proxy.Validate().Where(e => !(e.Contains(" is required", StringComparison.Ordinal)
            && failed.Contains(e[2..e.IndexOf(' ', StringComparison.Ordinal)]))));
        if (configuration.QemuEnabled)
        {
            try
            {
                configuration.Qemu.Validate();
            }
            catch (ArgumentException ex)
            {
                Errors.Add(ex.Message);
            }
        }
        else
        {
            foreach (string dependent in ServeOptionTable.QemuDependents)
            {
                if (_values.ContainsKey(dependent))
                    Errors.Add($"--{dependent} needs --qemu-qmp");
            }
        }
        return configuration;
    }
}
