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
}
