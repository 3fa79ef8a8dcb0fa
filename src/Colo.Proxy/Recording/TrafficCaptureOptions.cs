namespace Colo.Proxy.Recording;

/// <summary><c>serve --capture DIR</c>: every frame of both inputs and of outdev, into rotated pcapng files.</summary>
public sealed class TrafficCaptureOptions
{
    /// <summary>Directory for the files; null captures nothing.</summary>
    public string? Directory { get; set; }

    /// <summary>A file is closed and the next one started when it would grow beyond this.</summary>
    public long FileBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Files kept per stream (primary, secondary, outdev); the oldest of this run are deleted.</summary>
    public int Files { get; set; } = 8;

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (FileBytes < 1024 * 1024)
            errors.Add("--capture-file-size must be at least 1048576 bytes.");
        if (Files < 1)
            errors.Add("--capture-files must be at least 1.");
        return errors;
    }
}
