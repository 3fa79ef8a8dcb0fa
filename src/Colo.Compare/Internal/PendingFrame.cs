namespace Colo.Compare.Internal;

/// <summary>
/// A queued primary frame and what it waits for. Its bytes are in the flow's primary <see cref="ChunkedStore"/>:
/// the whole frame, or, for a TCP segment whose payload the stream buffer already holds (verified or written when it
/// arrived), only what surrounds the payload, the frame being put back together at release. Either way each byte was
/// copied into the engine once.
/// </summary>
internal struct PendingFrame
{
    /// <summary>Where the stored bytes start in the flow's primary store; their count is <see cref="StoredLength"/>.</summary>
    public long Position;
    public int StoredLength;

    /// <summary>The frame's length on the wire.</summary>
    public int Length;
    public int VnetHeaderLength;
    public TimeSpan Arrival;
    public long Id;

    /// <summary>
    /// TCP: the payload is not stored with the frame but read back from the stream buffer at
    /// <see cref="PayloadStreamOffset"/> (<see cref="PayloadLength"/> bytes, at <see cref="PayloadOffset"/> in the frame).
    /// </summary>
    public bool PayloadInStream;
    public int PayloadOffset;
    public int PayloadLength;
    public long PayloadStreamOffset;

    // TCP: released once the flow's confirmed offset reaches RequiredConfirmed (data end, +1 for FIN), the RST
    // (if any) was matched, and the ACK gate passes.
    public long RequiredConfirmed;
    public uint Ack;
    public bool HasAck;
    public bool NeedsReset;

    /// <summary>TCP: carries bytes below where comparison started; released as not compared.</summary>
    public bool BelowStart;

    // Datagrams: matched against a secondary datagram; compare bytes located in the frame.
    public bool Matched;
    public int CompareOffset;
    public int CompareLength;

    /// <summary>TCP: the segment's first stream offset (its queue is kept in this order). Datagrams: report offset.</summary>
    public long StreamOffset;
    public long DatagramIndex;

    /// <summary>A reassembled datagram: its original fragment frames (released together); Buffer holds the datagram.</summary>
    public FragmentGroup? Group;
    public byte[]? Buffer;

    /// <summary>Frames this entry stands for (a reassembled datagram counts each of its fragments).</summary>
    public readonly int FrameCount => Group?.Count ?? 1;
}
