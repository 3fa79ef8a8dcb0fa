namespace Colo.Compare;

/// <summary>What made the engine ask for a checkpoint.</summary>
public enum CheckpointReason : byte
{
    /// <summary>The replicas' output differs.</summary>
    Divergence = 0,

    /// <summary>A queued frame waited longer than compare_timeout.</summary>
    Timeout,

    /// <summary>A flow's queue reached max_queue_size.</summary>
    QueueFull,

    /// <summary>The buffered-bytes cap was reached.</summary>
    MemoryCap,

    /// <summary>The flow table reached its cap with no idle flow to evict.</summary>
    FlowTableFull,

    /// <summary>
    /// A TCP connection the secondary cannot follow until a checkpoint: the guest opened it (its SYN has another ISN
    /// and filter-rewriter never maps it), a checkpoint cut its handshake, or a port was reused while the old
    /// connection's frames still waited. Requested at once, once per connection, instead of a timeout later.
    /// </summary>
    Resync,
}
