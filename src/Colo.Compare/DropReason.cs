namespace Colo.Compare;

/// <summary>Why a frame was dropped. Primary frames are never dropped by the engine; the secondary's are, for these reasons.</summary>
public enum DropReason : byte
{
    /// <summary>
    /// Secondary: not compared: not IP (the primary's copy is forwarded uncompared), or TCP bytes below where the
    /// comparison of a flow picked up mid-stream started.
    /// </summary>
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

    /// <summary>Secondary: link-local housekeeping (ARP, IPv6 neighbour discovery, MLD, IGMP), not compared by default.</summary>
    Housekeeping,

    /// <summary>Secondary: its TCP connection waits for a checkpoint to be compared again (see CheckpointReason.Resync).</summary>
    Resync,

    /// <summary>
    /// Primary: released, but no outdev peer received it (the proxy stopped while outdev was absent or not reading).
    /// Counted by the host at shutdown (<see cref="EngineCounters.RecordUndelivered"/>), never by the engine.
    /// </summary>
    Undelivered,
}
