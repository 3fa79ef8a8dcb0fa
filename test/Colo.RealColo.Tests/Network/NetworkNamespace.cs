using Colo.RealColo.Tests.Support;

namespace Colo.RealColo.Tests.Network;

/// <summary>
/// The test's own network namespace <c>colo-e2e-PID</c>: a bridge <c>br0</c> 10.0.0.1/24 (the client's side) with the
/// primary's tap <c>tapp</c> on it, and the secondary's tap <c>taps</c> up but on no bridge, so all of the secondary's
/// traffic goes through QEMU's filters. Nothing is routed out of it. Deleted on dispose.
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    public const string PrimaryTap = "tapp";
    public const string SecondaryTap = "taps";

    private NetworkNamespace(string name) => Name = name;

    public string Name { get; }

    public static NetworkNamespace Create()
    {
        var ns = new NetworkNamespace($"colo-e2e-{Environment.ProcessId}");
        CommandRunner.TryRun("ip", ["netns", "del", ns.Name]); // a leftover of this pid from an earlier run
        CommandRunner.Run("ip", ["netns", "add", ns.Name]);
        try
        {
            ns.Ip("link", "set", "lo", "up");
            ns.Ip("link", "add", "br0", "type", "bridge");
            ns.Ip("addr", "add", "10.0.0.1/24", "dev", "br0");
            ns.Ip("link", "set", "br0", "up");
            ns.Ip("tuntap", "add", "dev", PrimaryTap, "mode", "tap");
            ns.Ip("tuntap", "add", "dev", SecondaryTap, "mode", "tap");
            ns.Ip("link", "set", PrimaryTap, "master", "br0");
            ns.Ip("link", "set", PrimaryTap, "up");
            ns.Ip("link", "set", SecondaryTap, "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }
        return ns;
    }

    /// <summary>The prefix that runs a program inside the namespace (<c>ip netns exec</c> execs it, so its pid is the program's).</summary>
    public IReadOnlyList<string> ExecPrefix => ["netns", "exec", Name];

    public void Dispose() => CommandRunner.TryRun("ip", ["netns", "del", Name]);

    private void Ip(params string[] args) => CommandRunner.Run("ip", ["-n", Name, .. args]);
}
