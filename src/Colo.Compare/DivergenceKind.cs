namespace Colo.Compare;

/// <summary>How the two replicas' output differed.</summary>
public enum DivergenceKind : byte
{
    /// <summary>A byte differs at the same stream offset.</summary>
    Payload = 0,

    /// <summary>One side ends the stream (FIN) where the other has data, or they end at different offsets.</summary>
    Fin,

    /// <summary>One side resets the connection (RST) where the other does not.</summary>
    Reset,

    /// <summary>The SYN differs (offset or presence).</summary>
    Syn,

    /// <summary>A side resent different bytes for a range it still had buffered.</summary>
    InconsistentRetransmission,

    /// <summary>A datagram (UDP, ICMP, other) has no equal one among the other side's queued datagrams.</summary>
    Datagram,
}
