namespace Colo.Proxy.Recording;

/// <summary>
/// Where and how <c>serve</c> writes the flight recorder's capture pairs (the engine keeps the frames:
/// <see cref="Colo.Compare.CompareOptions.RecorderBytesPerFlow"/>).
/// </summary>
public sealed class FlightRecordOptions
{
    /// <summary>Directory for the recorded pairs; null writes nothing (the engine may still keep frames).</summary>
    public string? Directory { get; set; }

    /// <summary>Recorded sets (pcapng pair + JSON) kept in <see cref="Directory"/>; older ones are deleted.</summary>
    public int Keep { get; set; } = 100;

    /// <summary>Also record a flow when a timeout checkpoint is requested for it (not only on divergence).</summary>
    public bool RecordTimeouts { get; set; }

    /// <summary>
    /// The default directory: systemd's <c>$STATE_DIRECTORY</c> when set, else <c>$XDG_STATE_HOME</c> or
    /// <c>~/.local/state</c>, each followed by <c>colo-proxy/records</c> (records under the state directory: they are
    /// evidence that should survive a reboot, not runtime files).
    /// </summary>
    public static string DefaultDirectory()
    {
        if (Environment.GetEnvironmentVariable("STATE_DIRECTORY") is { Length: > 0 } state)
            return Path.Combine(state.Split(':')[0], "records");
        string baseDir = Environment.GetEnvironmentVariable("XDG_STATE_HOME") is { Length: > 0 } xdg
            ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "state");
        return Path.Combine(baseDir, "colo-proxy", "records");
    }

    public IReadOnlyList<string> Validate() =>
        Keep < 1 ? ["--record-keep must be at least 1."] : [];
}
