namespace Colo.Compare.Internal;

internal enum FlowState : byte
{
    Comparing = 0,
    Diverged,
    Passthrough,

    /// <summary>
    /// TCP: the secondary's copy of the connection cannot be compared until a checkpoint gives it the primary's state
    /// (a guest-initiated connection with another ISN, a handshake cut by a checkpoint, a reused port while the old
    /// connection's frames still wait). Like <see cref="Diverged"/> without a divergence: primary frames wait,
    /// the secondary's are dropped.
    /// </summary>
    Resync,
}
