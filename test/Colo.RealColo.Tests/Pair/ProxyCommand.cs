using System.Reflection;

namespace Colo.RealColo.Tests.Pair;

/// <summary>
/// How to start <c>colo-proxy</c>: the build output of this test project's reference (run through the dotnet host
/// that runs the tests, since an apphost needs DOTNET_ROOT), or <c>COLO_REALCOLO_PROXY=path</c> (a published
/// <c>colo-proxy</c> executable or a <c>colo-proxy.dll</c>).
/// </summary>
internal sealed record ProxyCommand(string File, IReadOnlyList<string> LeadingArguments)
{
    public const string OverrideVariable = "COLO_REALCOLO_PROXY";

    public static ProxyCommand Resolve()
    {
        var path = Environment.GetEnvironmentVariable(OverrideVariable);
        if (string.IsNullOrEmpty(path))
        {
            path = typeof(ProxyCommand).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .FirstOrDefault(a => a.Key == "ColoProxyAppPath")?.Value;
        }
        if (string.IsNullOrEmpty(path) || !System.IO.File.Exists(path))
            throw new InvalidOperationException($"colo-proxy was not found at '{path}'; build test/Colo.RealColo.Tests (which builds it) or set {OverrideVariable}");
        path = Path.GetFullPath(path);
        return path.EndsWith(".dll", StringComparison.Ordinal) ? new ProxyCommand(DotnetHost(), [path]) : new ProxyCommand(path, []);
    }

    private static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && System.IO.File.Exists(fromSdk))
            return fromSdk;
        // <root>/shared/Microsoft.NETCore.App/<version>/ -> <root>/dotnet
        var root = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var host = Path.Combine(root, "dotnet");
        return System.IO.File.Exists(host) ? host : "dotnet";
    }
}
