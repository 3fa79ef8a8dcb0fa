namespace Colo.Compare.Internal;

/// <summary>A queued primary frame: its bytes (pooled copy) and what it waits for.</summary>
internal struct PendingFrame
{
    public byte[] Buffer;
    public int Length;
    public int VnetHeaderLength;
    public TimeSpan Arrival;
    public long Id;

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

    /// <summary>Frames this entry stands for (a reassembled datagram counts each of its fragments).</summary>
    public readonly int FrameCount => Group?.Count ?? 1;
}
