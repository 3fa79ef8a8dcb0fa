using System.Globalization;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace Colo.Proxy.Endpoints;

/// <summary>
/// Gives a unix socket the owner, group and mode of <c>--socket-owner</c>, <c>--socket-group</c> and
/// <c>--socket-mode</c>, so a QEMU running as another user (libvirt-qemu) may connect. Connecting to a unix socket
/// needs write permission on it; the socket is created 0600 unless told otherwise.
/// </summary>
[UnsupportedOSPlatform("windows")]
internal static partial class UnixSocketPermissions
{
    public static void Apply(string path, EndpointOptions options)
    {
        if (options.SocketOwner is not null || options.SocketGroup is not null)
        {
            int uid = options.SocketOwner is { } owner ? ResolveUser(owner) : -1;
            int gid = options.SocketGroup is { } group ? ResolveGroup(group) : -1;
            if (Chown(path, uid, gid) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                throw new UnauthorizedAccessException(
                    $"Cannot give {path} owner {options.SocketOwner ?? "(unchanged)"} group {options.SocketGroup ?? "(unchanged)"}: "
                    + $"{Marshal.GetPInvokeErrorMessage(errno)} (changing the owner needs root or CAP_CHOWN; the group, membership of it)");
            }
        }
        File.SetUnixFileMode(path, options.SocketMode);
    }

    /// <summary>A user name or number to its uid; throws <see cref="ArgumentException"/> naming it when unknown.</summary>
    public static int ResolveUser(string user)
    {
        if (int.TryParse(user, NumberStyles.None, CultureInfo.InvariantCulture, out int uid))
            return uid;
        // struct passwd { char *pw_name; char *pw_passwd; uid_t pw_uid; ... }: pw_uid follows two pointers.
        nint entry = GetPasswordEntry(user);
        if (entry == 0)
            throw new ArgumentException($"--socket-owner: no user '{user}'");
        return Marshal.ReadInt32(entry, 2 * IntPtr.Size);
    }

    /// <summary>A group name or number to its gid; throws <see cref="ArgumentException"/> naming it when unknown.</summary>
    public static int ResolveGroup(string group)
    {
        if (int.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out int gid))
            return gid;
        // struct group { char *gr_name; char *gr_passwd; gid_t gr_gid; ... }: gr_gid follows two pointers.
        nint entry = GetGroupEntry(group);
        if (entry == 0)
            throw new ArgumentException($"--socket-group: no group '{group}'");
        return Marshal.ReadInt32(entry, 2 * IntPtr.Size);
    }

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Chown(string path, int owner, int group);

    [LibraryImport("libc", EntryPoint = "getpwnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetPasswordEntry(string name);

    [LibraryImport("libc", EntryPoint = "getgrnam", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint GetGroupEntry(string name);
}
