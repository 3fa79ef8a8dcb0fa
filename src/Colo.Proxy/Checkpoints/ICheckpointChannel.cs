namespace Colo.Proxy.Checkpoints;

/// <summary>
/// A way to ask the hypervisor for a checkpoint (Xen notify_dev, QEMU QMP, ...). The proxy's
/// owner decides <em>when</em> to ask (requests are coalesced); a
/// channel only delivers the request and reports what the hypervisor says back through
/// <see cref="ICheckpointEvents"/>.
/// </summary>
public interface ICheckpointChannel : IAsyncDisposable
{
    /// <summary>Short name used in logs, metrics and query-status ("xen-notify", "qemu-qmp").</summary>
    string Name { get; }

    /// <summary>True while a peer is connected and a request could be delivered now.</summary>
    bool IsConnected { get; }

    /// <summary>Starts connecting/listening; completion, failover and errors are reported to <paramref name="events"/>.</summary>
    Task StartAsync(ICheckpointEvents events, CancellationToken cancellationToken);

    /// <summary>Delivers one checkpoint request. Returns false when no peer is connected (the caller retries later).</summary>
    ValueTask<bool> RequestCheckpointAsync(string reason, CancellationToken cancellationToken);
}
