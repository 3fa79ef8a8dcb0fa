namespace Colo.Proxy.Hosting;

/// <summary>What query-status reports.</summary>
public sealed record ProxyStatus(
    string State,
    TimeSpan Uptime,
    IReadOnlyList<KeyValuePair<string, bool>> Peers,
    bool CheckpointOutstanding,
    string? OutstandingReason,
    int Workers,
    long OutputBufferedBytes);
