using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Colo.RealColo.Tests.Support;

namespace Colo.RealColo.Tests.Guest;

/// <summary>
/// Builds the test guest from Debian packages, cached by kernel package name: Debian's cloud kernel
/// (<c>apt-get download linux-image-*-cloud-amd64</c>, <c>dpkg-deb -x</c>) and a busybox-static initramfs. The cloud
/// kernel has no e1000, so the NIC is virtio-net, with its modules loaded in dependency order. The guest serves httpd on
/// :80 (a deterministic 1 MiB file, a small page, and a CGI that connects back to the host) and a line echo on :7000.
/// </summary>
internal static class GuestBuilder
{
    // Bump when the initramfs content changes, so an old cache is not reused.
    private const string Layout = "v2";

    // virtio_net's dependencies first: insmod does not resolve them.
    private static readonly string[] Modules =
    [
        "drivers/virtio/virtio_ring", "drivers/virtio/virtio", "drivers/virtio/virtio_pci_legacy_dev",
        "drivers/virtio/virtio_pci_modern_dev", "drivers/virtio/virtio_pci", "net/core/failover",
        "drivers/net/net_failover", "drivers/net/virtio_net",
    ];

    // Fixed mtimes, so both replicas (and every rebuild) serve identical Last-Modified headers.
    private static readonly DateTime FixedTime = DateTime.UnixEpoch.AddSeconds(1_700_000_000);

    private const string InitScript = """
        #!/bin/busybox sh
        /bin/busybox --install -s /bin
        mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev 2>/dev/null
        for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net; do
          insmod /lib/modules/$m.ko
        done
        ip link set lo up
        ip addr add 10.0.0.2/24 dev eth0
        ip link set eth0 up
        httpd -p 80 -h /www
        nc -ll -p 7000 -e /bin/cat &
        echo "GUEST READY"
        while true; do sleep 3600; done

        """;

    // A guest-initiated connection: the guest dials the host, sends one line, and answers the HTTP request.
    private const string DialScript = """
        #!/bin/sh
        echo "hello from the guest" | nc -w 10 10.0.0.1 7100 >/dev/null 2>&1
        printf 'Content-Type: text/plain\r\n\r\ndialed %s\n' "$?"

        """;

    public static GuestImage Build(string cacheDirectory, Action<string> log)
    {
        var kernelPackage = KernelPackageName();
        var directory = Path.Combine(cacheDirectory, $"guest-{Layout}-{kernelPackage}");
        var kernel = Path.Combine(directory, "vmlinuz");
        var initrd = Path.Combine(directory, "initrd.gz");
        var shaFile = Path.Combine(directory, "blob1m.sha256");
        var versionFile = Path.Combine(directory, "kernel-version");
        if (File.Exists(kernel) && File.Exists(initrd) && File.Exists(shaFile) && File.Exists(versionFile))
        {
            log($"guest: cached in {directory}");
            return new GuestImage(kernel, initrd, File.ReadAllText(shaFile).Trim(), File.ReadAllText(versionFile).Trim());
        }

        var clock = Stopwatch.StartNew();
        var work = Path.Combine(directory, "work");
        if (Directory.Exists(work))
            Directory.Delete(work, recursive: true);
        Directory.CreateDirectory(work);
        var kernelDeb = Download(kernelPackage, work);
        var busyboxDeb = Download("busybox-static", work);
        var kernelTree = Path.Combine(work, "kernel");
        var busyboxTree = Path.Combine(work, "busybox");
        CommandRunner.Run("dpkg-deb", ["-x", kernelDeb, kernelTree]);
        CommandRunner.Run("dpkg-deb", ["-x", busyboxDeb, busyboxTree]);
        var kernelVersion = Directory.GetDirectories(Path.Combine(kernelTree, "lib", "modules")).Select(Path.GetFileName).Single()!;
        var busybox = Path.Combine(busyboxTree, "bin", "busybox");

        var root = Path.Combine(work, "initrd");
        foreach (var dir in new[] { "bin", "sbin", "proc", "sys", "dev", "tmp", "www/cgi-bin", "lib/modules" })
            Directory.CreateDirectory(Path.Combine(root, dir));
        File.Copy(busybox, Path.Combine(root, "bin", "busybox"));
        foreach (var module in Modules)
        {
            var from = Path.Combine(kernelTree, "lib", "modules", kernelVersion, "kernel", module + ".ko");
            File.Copy(from, Path.Combine(root, "lib", "modules", Path.GetFileName(module) + ".ko"));
        }
        var blob = DeterministicBlob();
        File.WriteAllBytes(Path.Combine(root, "www", "blob1m"), blob);
        File.WriteAllText(Path.Combine(root, "www", "index.html"), $"<html><body>{GuestImage.PageText}</body></html>\n");
        WriteExecutable(Path.Combine(root, "init"), InitScript);
        WriteExecutable(Path.Combine(root, "www", "cgi-bin", "dial"), DialScript);
        foreach (var entry in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories).Append(root))
            File.SetLastWriteTimeUtc(entry, FixedTime);

        var temporary = initrd + ".tmp";
        WriteInitramfs(busybox, root, temporary);
        File.Copy(Path.Combine(kernelTree, "boot", "vmlinuz-" + kernelVersion), kernel, overwrite: true);
        var sha = Convert.ToHexString(SHA256.HashData(blob)).ToLowerInvariant();
        File.WriteAllText(shaFile, sha + "\n");
        File.WriteAllText(versionFile, kernelVersion + "\n");
        File.Move(temporary, initrd, overwrite: true);
        Directory.Delete(work, recursive: true);
        log($"guest: built kernel {kernelVersion} + busybox initramfs in {clock.Elapsed.TotalSeconds:F0} s ({directory})");
        return new GuestImage(kernel, initrd, sha, kernelVersion);
    }

    /// <summary>The versioned package <c>linux-image-cloud-amd64</c> depends on, e.g. <c>linux-image-6.1.0-57-cloud-amd64</c>.</summary>
    private static string KernelPackageName()
    {
        static string Query() => CommandRunner.TryRun("apt-cache", ["depends", "linux-image-cloud-amd64"]).StandardOutput;
        var output = Query();
        var name = ParseKernelDependency(output);
        if (name is null)
        {
            CommandRunner.TryRun("apt-get", ["update", "-qq"], timeout: TimeSpan.FromMinutes(5));
            output = Query();
            name = ParseKernelDependency(output);
        }
        return name ?? throw new AptUnavailableException($"apt knows no kernel for linux-image-cloud-amd64, also after apt-get update: {output.Trim()}");
    }

    private static string? ParseKernelDependency(string aptCacheDepends)
    {
        foreach (var line in aptCacheDepends.Split('\n'))
        {
            var text = line.Trim();
            const string prefix = "Depends: linux-image-";
            if (text.StartsWith(prefix, StringComparison.Ordinal) && text.Length > prefix.Length && char.IsAsciiDigit(text[prefix.Length]))
                return text["Depends: ".Length..];
        }
        return null;
    }

    /// <summary><c>apt-get download</c> into <paramref name="directory"/>; once more after <c>apt-get update</c> when the lists are stale.</summary>
    private static string Download(string package, string directory)
    {
        var first = CommandRunner.TryRun("apt-get", ["download", "-q", package], directory, TimeSpan.FromMinutes(5));
        if (first.ExitCode != 0)
        {
            var update = CommandRunner.TryRun("apt-get", ["update", "-qq"], timeout: TimeSpan.FromMinutes(5));
            var second = CommandRunner.TryRun("apt-get", ["download", "-q", package], directory, TimeSpan.FromMinutes(5));
            if (second.ExitCode != 0)
                throw new AptUnavailableException(
                    $"apt-get download {package} failed, also after apt-get update (exit {update.ExitCode}): {second.StandardError.Trim()}");
        }
        return Directory.GetFiles(directory, package + "_*.deb").Single();
    }

    /// <summary>1 MiB of SHA-256 digests of a 32-bit big-endian counter: deterministic and incompressible.</summary>
    private static byte[] DeterministicBlob()
    {
        var blob = new byte[GuestImage.BlobLength];
        Span<byte> counter = stackalloc byte[4];
        for (var i = 0; i < GuestImage.BlobLength / SHA256.HashSizeInBytes; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(counter, i);
            SHA256.HashData(counter, blob.AsSpan(i * SHA256.HashSizeInBytes, SHA256.HashSizeInBytes));
        }
        return blob;
    }

    private static void WriteExecutable(string path, string text)
    {
        File.WriteAllText(path, text.Replace("\r\n", "\n", StringComparison.Ordinal), new UTF8Encoding(false));
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    /// <summary>A gzipped newc cpio of <paramref name="root"/>, written by the extracted busybox's own cpio (sorted, so reproducible).</summary>
    private static void WriteInitramfs(string busybox, string root, string destination)
    {
        var entries = Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)
            .Select(p => "./" + Path.GetRelativePath(root, p))
            .Prepend(".")
            .Order(StringComparer.Ordinal)
            .ToList();
        var info = new ProcessStartInfo(busybox)
        {
            WorkingDirectory = root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "cpio", "-o", "-H", "newc" })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{busybox} cpio did not start");
        var errors = process.StandardError.ReadToEndAsync();
        using (var output = File.Create(destination))
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize))
        {
            var copy = process.StandardOutput.BaseStream.CopyToAsync(gzip);
            foreach (var entry in entries)
                process.StandardInput.Write(entry + "\n");
            process.StandardInput.Close();
            copy.GetAwaiter().GetResult();
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"busybox cpio failed ({process.ExitCode}): {errors.Result}");
    }
}
