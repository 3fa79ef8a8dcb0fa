using Colo.Packets.Frames;

namespace Colo.Compare.Internal;

/// <summary>
/// One flow's queues and comparison state. Flows with queued frames are linked in first-queued order (the order a
/// checkpoint flushes them in); the others in least-recently-active order (the order a full table evicts them in).
/// </summary>
internal sealed class Flow
{
    public readonly FlowKey Key;
    public readonly bool IsTcp;
    public FlowState State;

    public ChunkedQueue<PendingFrame> Primary;
    public ChunkedQueue<SecondaryRecord> Secondary;
    public readonly ChunkedStore PrimaryStore;
    public readonly ChunkedStore SecondaryStore;
    public long PrimaryQueuedBytes;
    public long SecondaryQueuedBytes;

    // Intrusive list this flow is on: the engine's active list (queued frames) or its idle list (evictable).
    public Flow? PreviousLink;
    public Flow? NextLink;
    public FlowList List;

    // Each cause is reported once: the head frame a timeout was reported for, and the queue-cap episode.
    public long TimeoutReportedPrimaryId = -1;
    public long TimeoutReportedSecondaryId = -1;
    public bool QueueCapReported;

    public TimeSpan LastActivity;

    // Flight recorder: where in its ring this flow's newest frame is (-1: none); older ones are chained from it.
    public long LastRecorded = -1;

    /// <summary>TCP comparison state; null until the first TCP segment (and always for other protocols).</summary>
    public TcpStream? Tcp;

    // Datagram flows: position of the next primary datagram in the flow's concatenated payloads.
    public long PrimaryDatagramCount;
    public long PrimaryDatagramBytes;

    public Flow(FlowKey key, ChunkPool chunks)
    {
        Key = key;
        IsTcp = key.Protocol == IpProtocol.Tcp && !key.IsFragmentFlow;
        PrimaryStore = new ChunkedStore(chunks);
        SecondaryStore = new ChunkedStore(chunks);
    }

    public bool HasQueuedFrames => !Primary.IsEmpty || !Secondary.IsEmpty;

    public bool IsActive => List == FlowList.Active;

    /// <summary>
    /// Position of the primary frame that has waited longest. A datagram queue is in arrival order (the head); a TCP
    /// queue is in sequence order, so a retransmission or reordering can put a newer frame ahead: scan it.
    /// </summary>
    public int OldestPrimaryIndex()
    {
        int oldest = 0;
        for (int i = 1; IsTcp && i < Primary.Count; i++)
        {
            if (Primary[i].Id < Primary[oldest].Id)
                oldest = i;
        }
        return oldest;
    }

    public TimeSpan OldestArrival
    {
        get
        {
            TimeSpan oldest = TimeSpan.MaxValue;
            if (!Primary.IsEmpty)
                oldest = Primary[OldestPrimaryIndex()].Arrival;
            if (!Secondary.IsEmpty && Secondary.Head.Arrival < oldest)
                oldest = Secondary.Head.Arrival;
            return oldest;
        }
    }
}
