namespace Colo.RealColo.Tests.Support;

/// <summary>What the real-COLO test needs from the machine; each missing piece is a reason to skip, said out loud.</summary>
internal static class Prerequisites
{
    /// <summary>Null when everything is there, otherwise why the test cannot run here.</summary>
    public static string? MissingReason()
    {
        if (!IsRoot())
            return "not running as root (the test creates a network namespace and tap devices)";
        if (!File.Exists("/dev/net/tun"))
            return "/dev/net/tun is missing (no tap devices)";
        foreach (var tool in new[] { "apt-get", "apt-cache", "dpkg-deb", "ip", "qemu-img" })
        {
            if (CommandRunner.TryRun("which", [tool]).ExitCode != 0)
                return $"'{tool}' is not installed (Debian packages apt, dpkg, iproute2, qemu-utils)";
        }
        if (!File.Exists(Qemu.QemuPatcher.DebianQemu))
            return $"{Qemu.QemuPatcher.DebianQemu} is missing (Debian 12 package qemu-system-x86)";
        var version = CommandRunner.TryRun(Qemu.QemuPatcher.DebianQemu, ["--version"]);
        if (version.ExitCode != 0 || !version.StandardOutput.Contains("version 7.2", StringComparison.Ordinal))
            return $"{Qemu.QemuPatcher.DebianQemu} is not QEMU 7.2 ({version.StandardOutput.Split('\n')[0].Trim()}{version.StandardError.Trim()}); " +
                "the TCG workarounds are for Debian 12's 7.2, and QEMU 10.0 does not enter COLO";
        return null;
    }

    private static bool IsRoot()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
                return line.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(2) == "0"; // effective uid
        }
        return false;
    }
}
