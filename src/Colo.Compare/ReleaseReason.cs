namespace Colo.Compare;

/// <summary>Why a primary frame was released.</summary>
public enum ReleaseReason : byte
{
    /// <summary>All its bytes were confirmed equal to the secondary's and the ACK gate passed.</summary>
    Compared = 0,

    /// <summary>
    /// Not compared: not IP or malformed (forwarded uncompared, as QEMU does); TCP bytes below where the comparison of a
    /// flow picked up mid-stream started; replay only, a connection that waits for a checkpoint to be compared again.
    /// </summary>
    NotCompared,

    /// <summary>Matched a passthrough rule.</summary>
    Passthrough,

    /// <summary>Flushed by a completed checkpoint.</summary>
    Checkpoint,

    /// <summary>Failover: released without comparison.</summary>
    Failover,

    /// <summary>Replay only: its flow diverged earlier and is no longer compared.</summary>
    Diverged,

    /// <summary>The proxy is shutting down and releases what it holds rather than lose it.</summary>
    Shutdown,

    /// <summary>Link-local housekeeping (ARP, IPv6 neighbour discovery, MLD, IGMP): not compared by default.</summary>
    Housekeeping,
}
