namespace Colo.Cli.Serve;

/// <summary>
/// One <c>colo-proxy serve</c> option: the command line, <c>--config</c>, the help text, the start-up line and the
/// docs all come from these entries, so an option cannot exist in one and be missing from another.
/// </summary>
/// <param name="Key">The command-line name without dashes and the config key (<c>primary-in</c>).</param>
/// <param name="IsQemuProperty">True when QEMU's colo-compare has the property (spelled with underscores: <c>primary_in</c>).</param>
/// <param name="ValueName">What the value looks like in the help: ENDPOINT, MS, N, BYTES, on|off, ...</param>
/// <param name="Help">What the option does, for the help text.</param>
/// <param name="Apply">Parses the value into the configuration; throws <see cref="FormatException"/> saying why it is wrong.</param>
/// <param name="Show">The effective value as the user would write it; null when unset. On a fresh configuration: the default.</param>
internal sealed record ServeOption(
    string Key,
    bool IsQemuProperty,
    string ValueName,
    string Help,
    Action<ServeConfiguration, string> Apply,
    Func<ServeConfiguration, string?> Show)
{
    /// <summary>QEMU's spelling (<c>primary_in</c>), accepted everywhere the dashed one is.</summary>
    public string UnderscoreName => Key.Replace('-', '_');

    /// <summary>On/off options may be given bare on the command line (<c>--vnet-hdr-support</c> means on).</summary>
    public bool IsSwitch => ValueName == ServeValues.Switch;

    /// <summary>The default, taken from the options types (a fresh configuration), or null when there is none.</summary>
    public string? Default => Show(new ServeConfiguration());

    /// <summary>The help line: what it does, QEMU's name, and the default.</summary>
    public string Description =>
        Help + (IsQemuProperty ? $" (QEMU {UnderscoreName})" : "") + (Default is { } value ? $" [default: {value}]" : "");
}
