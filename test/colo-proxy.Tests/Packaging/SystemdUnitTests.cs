using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Colo.Cli.Tests.Serve;

namespace Colo.Cli.Tests.Packaging;

/// <summary>
/// packaging/colo-proxy.service as systemd and an operator following the README see it. The systemd-analyze tests
/// need systemd's tools (Debian package systemd); without them they say so and are skipped.
/// </summary>
public sealed partial class SystemdUnitTests : IDisposable
{
    private const string InstalledBinary = "/usr/local/bin/colo-proxy";

    private static readonly string Root = ServeOptionTableTests.RepositoryRoot();
    private static readonly string UnitPath = Path.Combine(Root, "packaging", "colo-proxy.service");
    private readonly string _temp = Directory.CreateTempSubdirectory("colo-unit-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static string Unit => File.ReadAllText(UnitPath);

    private static string Setting(string name) =>
        Regex.Matches(Unit, $"^{name}=(.*)$", RegexOptions.Multiline).Select(m => m.Groups[1].Value.Trim()).Last();

    [Fact]
    public void ExecStart_IsTheReadmeInstallPath()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "README.md"));

        Assert.StartsWith(InstalledBinary + " serve ", Setting("ExecStart"), StringComparison.Ordinal);
        Assert.Contains("install -m 0755 publish/colo-proxy " + InstalledBinary, readme, StringComparison.Ordinal);
        Assert.Contains("-p:PublishSingleFile=true", readme, StringComparison.Ordinal);
    }

    [Fact]
    public void RuntimeDirectory_OneNameAcrossUnitReadmeAndDocs()
    {
        Assert.Equal("colo-proxy", Setting("RuntimeDirectory"));
        var texts = Directory.GetFiles(Path.Combine(Root, "docs"), "*.md").Append(Path.Combine(Root, "README.md")).Append(UnitPath);

        foreach (string path in texts)
            Assert.DoesNotMatch(@"/run/(?!colo-proxy\b)[a-z-]*colo", File.ReadAllText(path));
    }

    [Fact]
    public void Readiness_TypeNotifyAndTheUserFromSysusers()
    {
        string sysusers = File.ReadAllText(Path.Combine(Root, "packaging", "colo-proxy.sysusers.conf"));

        Assert.Equal("notify", Setting("Type"));
        Assert.Matches($"(?m)^u {Regex.Escape(Setting("User"))} ", sysusers);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void SystemdAnalyzeVerify_Passes()
    {
        string? analyze = FindOnPath("systemd-analyze");
        Assert.SkipWhen(analyze is null, "systemd-analyze is not installed; the unit was NOT verified");
        // A root with the host's unit files and a stand-in for the installed binary: verify checks ExecStart exists.
        CopyDirectory("/lib/systemd/system", Path.Combine(_temp, "usr", "lib", "systemd", "system"));
        string binary = Path.Combine(_temp, InstalledBinary.TrimStart('/'));
        Directory.CreateDirectory(Path.GetDirectoryName(binary)!);
        File.WriteAllText(binary, "#!/bin/sh\n");
        File.SetUnixFileMode(binary, (UnixFileMode)0x1ED);
        string units = Path.Combine(_temp, "etc", "systemd", "system");
        Directory.CreateDirectory(units);
        File.Copy(UnitPath, Path.Combine(units, "colo-proxy.service"));

        (int exit, string output) = Run(analyze!, "verify", "--root=" + _temp, "colo-proxy.service");

        Assert.True(exit == 0 && output.Trim().Length == 0, $"systemd-analyze verify (exit {exit}):\n{output}");
    }

    [Fact]
    public void SystemdAnalyzeSecurity_ExposureAtMostThree()
    {
        string? analyze = FindOnPath("systemd-analyze");
        Assert.SkipWhen(analyze is null, "systemd-analyze is not installed; the unit's hardening was NOT rated");

        (int exit, string output) = Run(analyze!, "security", "--offline=true", "--no-pager", UnitPath);

        Match level = ExposureLevel().Match(output);
        Assert.True(exit == 0 && level.Success, $"systemd-analyze security (exit {exit}):\n{output}");
        double exposure = double.Parse(level.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(exposure <= 3.0, $"exposure {exposure} > 3.0:\n{output}");
    }

    [GeneratedRegex(@"Overall exposure level for colo-proxy\.service: ([0-9.]+)")]
    private static partial Regex ExposureLevel();

    private static (int Exit, string Output) Run(string file, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }

    private static void CopyDirectory(string source, string target)
    {
        Directory.CreateDirectory(target);
        foreach (string file in Directory.GetFiles(source))
        {
            var info = new FileInfo(file);
            string destination = Path.Combine(target, info.Name);
            if (info.LinkTarget is { } link)
                File.CreateSymbolicLink(destination, link);
            else
                File.Copy(file, destination);
        }
        foreach (string directory in Directory.GetDirectories(source))
        {
            var info = new DirectoryInfo(directory);
            if (info.LinkTarget is { } link)
                Directory.CreateSymbolicLink(Path.Combine(target, info.Name), link);
            else
                CopyDirectory(directory, Path.Combine(target, info.Name));
        }
    }

    internal static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
