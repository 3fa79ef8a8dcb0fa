namespace Colo.Compare;

/// <summary>Why a frame was dropped. Primary frames are never dropped by the engine; the secondary's are, for these reasons.</summary>
public enum DropReason : byte
{
    /// <summary>Secondary: not IP (ARP, ...); the primary's copy is forwarded uncompared.</summary>
    NotCompared = 0,

    /// <summary>Could not be parsed (the parse status is counted separately).</summary>
    Malformed,

    /// <summary>Secondary: only bytes already confirmed (a retransmission); nothing new to compare.</summary>
    Retransmission,

    /// <summary>Secondary: discarded by a completed checkpoint (the secondary was resynchronised).</summary>
    Checkpoint,

    /// <summary>Secondary: discarded after failover.</summary>
    Failover,

    /// <summary>Secondary: its flow already diverged.</summary>
    Diverged,

    /// <summary>Secondary: the global buffered-bytes cap was reached, or its bytes lay too far ahead to buffer.</summary>
    MemoryCap,

    /// <summary>Secondary: the flow matched a passthrough rule.</summary>
    Passthrough,

    /// <summary>Secondary: discarded at shutdown (the primary's frames were released).</summary>
    Shutdown,
}
