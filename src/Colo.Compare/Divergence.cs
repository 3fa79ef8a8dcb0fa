using Colo.Packets.Frames;

namespace Colo.Compare;

/// <summary>
/// Where the replicas' output first differed on one flow. Built only when a divergence is found (allocates).
/// </summary>
public sealed class Divergence
{
    public required FlowKey Flow { get; init; }

    public required DivergenceKind Kind { get; init; }

    /// <summary>IP protocol number of the flow.</summary>
    public byte Protocol => Flow.Protocol;

    /// <summary>
    /// TCP: byte offset in the stream, 0 = ISN+1 (negative only for a SYN difference). Datagrams: offset in the
    /// concatenation of the flow's primary datagram payloads.
    /// </summary>
    public required long StreamOffset { get; init; }

    /// <summary>TCP: the wire sequence number at <see cref="StreamOffset"/>.</summary>
    public uint? Sequence { get; init; }

    /// <summary>True when the flow's SYN was seen, so <see cref="StreamOffset"/> counts from ISN+1.</summary>
    public bool IsnKnown { get; init; }

    /// <summary>Datagrams: 0-based index of the primary datagram in its flow.</summary>
    public long? DatagramIndex { get; init; }

    /// <summary>Datagrams: offset of the differing byte inside the datagram's compared bytes.</summary>
    public int? DatagramByteOffset { get; init; }

    /// <summary>Up to 16 bytes before and after the differing byte, each side (the bytes before are equal on both).</summary>
    public required byte[] PrimaryContext { get; init; }

    public required byte[] SecondaryContext { get; init; }

    /// <summary>Index of the differing byte inside both contexts.</summary>
    public required int ContextOffset { get; init; }

    /// <summary>
    /// The flight recorder's frames of this flow up to and including the one that showed the difference, both sides,
    /// in arrival order (empty when the recorder is off).
    /// </summary>
    public IReadOnlyList<RecordedFrame> RecentFrames { get; init; } = [];

    /// <summary>Engine time when found.</summary>
    public required TimeSpan Time { get; init; }

    /// <summary>A one-line human description.</summary>
    public string Describe() => Kind switch
    {
        DivergenceKind.Payload => "payload differs",
        DivergenceKind.Fin => "stream end (FIN) differs",
        DivergenceKind.Reset => "reset (RST) differs",
        DivergenceKind.Syn => "SYN differs",
        DivergenceKind.InconsistentRetransmission => "retransmission carries different bytes",
        DivergenceKind.Datagram => "datagram has no equal counterpart",
        _ => Kind.ToString(),
    };
}
