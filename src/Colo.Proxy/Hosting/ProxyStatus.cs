namespace Colo.Proxy.Hosting;

/// <summary>What query-status reports.</summary>
public sealed record ProxyStatus(
    string State,
    TimeSpan Uptime,
    IReadOnlyList<KeyValuePair<string, bool>> Peers,
    bool CheckpointOutstanding,
    string? OutstandingReason,
    int Workers,
    long OutputBufferedBytes)
{
    /// <summary>
    /// The channels a checkpoint request goes to (<c>xen-notify</c>, <c>qemu-qmp</c>). Empty means only control clients
    /// and the log see requests: unless a control client completes checkpoints, queued frames wait for timeouts.
    /// </summary>
    public IReadOnlyList<string> CheckpointChannels { get; init; } = [];

    /// <summary>Requests sent, including repetitions.</summary>
    public long CheckpointsRequested { get; init; }

    public long CheckpointsRepeated { get; init; }

    public long CheckpointsCompleted { get; init; }
}
