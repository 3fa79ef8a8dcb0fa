namespace Colo.Proxy.Endpoints;

/// <summary>
/// A unix socket file this process bound, remembered by device and inode. At exit only that file is removed: if a
/// successor found the path stale (we were slow to shut down), removed it and bound its own socket there, the path now
/// names a different inode, and deleting it would cut the successor off from its peers.
/// </summary>
internal sealed class OwnedSocketFile
{
    private readonly FileIdentity _identity;

    private OwnedSocketFile(string path, FileIdentity identity)
    {
        Path = path;
        _identity = identity;
    }

    public string Path { get; }

    /// <summary>
    /// Remembers the file just bound at <paramref name="path"/>; null when it cannot be identified. Call it after the
    /// last chmod or chown of the file: they change its status change time, and a file that looks changed is left in
    /// place (a stale file the next start removes, never a successor's socket deleted).
    /// </summary>
    public static OwnedSocketFile? Capture(string path) =>
        FileIdentity.TryGet(path, out FileIdentity identity) ? new OwnedSocketFile(path, identity) : null;

    /// <summary>True when <see cref="Path"/> still names the file this process bound.</summary>
    public bool IsStillOurs() => FileIdentity.TryGet(Path, out FileIdentity now) && now == _identity;

    /// <summary>Deletes the file if it is still ours; returns whether it did.</summary>
    public bool DeleteIfStillOurs()
    {
        if (!IsStillOurs())
            return false;
        try
        {
            File.Delete(Path);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
