namespace Colo.Proxy.Hosting;

/// <summary>Where a <see cref="ProxyHost"/> is in its life. Only moves forward (failover is not undone).</summary>
public enum HostState
{
    Starting,
    Running,

    /// <summary>Failover happened: the primary is forwarded uncompared.</summary>
    Failover,

    Stopping,
    Stopped,
}
