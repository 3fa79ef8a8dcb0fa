using System.Runtime.InteropServices;

namespace Colo.Proxy.Endpoints;

/// <summary>
/// What makes a file itself rather than its name: the device and inode numbers of lstat(2), and its status change
/// time, since a file system hands a freed inode number to the next file at once (a successor that removes our socket
/// file and binds its own usually gets the same inode). .NET exposes none of them, so they are read with lstat: on the
/// 64-bit Linux ABIs ColoProxy runs on (x86-64, arm64) <c>struct stat</c> starts with <c>st_dev</c> and <c>st_ino</c>,
/// two 64-bit words, and holds <c>st_ctim</c> (seconds, nanoseconds) at byte 104.
/// </summary>
internal readonly partial record struct FileIdentity(ulong Device, ulong Inode, long ChangeSeconds, long ChangeNanoseconds)
{
    private const int DeviceOffset = 0;
    private const int InodeOffset = 8;
    private const int ChangeTimeOffset = 104;

    // Larger than struct stat on every 64-bit Linux ABI (144 bytes on x86-64, 128 on arm64).
    private const int StatBufferLength = 256;

    /// <summary>The identity of the file at <paramref name="path"/> itself (a symlink is not followed).</summary>
    public static bool TryGet(string path, out FileIdentity identity)
    {
        identity = default;
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
            return false;
        var buffer = new byte[StatBufferLength];
        if (LStat(path, buffer) != 0)
            return false;
        identity = new FileIdentity(BitConverter.ToUInt64(buffer, DeviceOffset), BitConverter.ToUInt64(buffer, InodeOffset),
            BitConverter.ToInt64(buffer, ChangeTimeOffset), BitConverter.ToInt64(buffer, ChangeTimeOffset + sizeof(long)));
        return true;
    }

    [LibraryImport("libc", EntryPoint = "lstat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int LStat(string path, [Out] byte[] buffer);
}
