using System.Runtime.CompilerServices;
using Colo.Compare.Internal;
using Colo.Packets.Frames;

namespace Colo.Compare;

/// <summary>
/// Decides, frame by frame, whether the primary's output may be released. Deterministic and single-threaded, with no
/// I/O and no clock of its own: callers pass each frame with the current time, tell it the time for timeouts
/// (<see cref="AdvanceTime"/>), and tell it when a checkpoint completed. Decisions go to an <see cref="ICompareSink"/>.
/// TCP is compared as a byte stream keyed by sequence number (segmentation never matters); UDP, ICMP and other IP
/// protocols datagram by datagram; header fields that legitimately differ (IP ID, TTL, checksums, TCP options,
/// window) are never compared. See docs/comparison.md for the rules.
/// </summary>
public sealed partial class CompareEngine
{
    private readonly CompareOptions _options;
    private readonly ICompareSink _sink;
    private readonly Dictionary<FlowKey, Flow> _flows = new();
    private readonly EngineMemory _memory;
    private readonly List<PassthroughRule> _passthrough = [];
    private readonly long _maxStreamWindow;
    private readonly FlightRecorder _recorder;
    private FlowChain _active = new(FlowList.Active);
    private FlowChain _idle = new(FlowList.Idle);
    // Frames put back together for release, or stored across a chunk boundary (frames above one chunk, 8 KiB).
    private byte[] _scratch = new byte[ChunkPool.ChunkSize];
    private byte[] _secondaryScratch = new byte[ChunkPool.ChunkSize];
    private long _nextFrameId;
    private bool _failover;
    private bool _memoryCapReported;
    private bool _flowCapReported;
    private TimeSpan _lastScan;
    private bool _scanned;

    public CompareEngine(CompareOptions options, ICompareSink sink)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sink);
        options.Validate();
        _options = options;
        _sink = sink;
        _memory = new EngineMemory(options.MaxBufferedBytes);
        // A single stream buffer never spans more than the memory cap (and a ring is indexed by int).
        _maxStreamWindow = Math.Min(options.MaxBufferedBytes, 1L << 30);
        _recorder = new FlightRecorder(options.RecorderBytesPerFlow, options.RecorderBudgetBytes);
    }

    public EngineCounters Counters { get; } = new();

    public CompareOptions Options => _options;

    public int FlowCount => _flows.Count;

    /// <summary>Bytes held for queued frames and stream comparison (what the memory cap limits).</summary>
    public long BufferedBytes => _memory.HeldBytes;

    /// <summary>Chunks and queue blocks allocated since the engine was created (steady state: no new ones).</summary>
    public long StorageAllocations => _memory.Chunks.Allocated + _memory.ChunkSlots.Allocated
        + _memory.PendingFrames.Allocated + _memory.SecondaryRecords.Allocated;

    /// <summary>Bytes the flight recorder's ring holds (allocated once, on the first frame, its budget's size).</summary>
    public long RecorderBytes => _recorder.AllocatedBytes;

    /// <summary>True after <see cref="Failover"/>: primary frames are forwarded uncompared.</summary>
    public bool InFailover => _failover;

    public IReadOnlyList<PassthroughRule> PassthroughRules => _passthrough;

    /// <summary>Sees every frame taken, before comparison (null: none; set before the first frame).</summary>
    public IFrameTap? Tap { get; set; }

    /// <summary>
    /// Takes one frame from <paramref name="side"/>. <paramref name="frame"/> is only read during the call; a primary
    /// frame that cannot be released at once is copied into pooled storage.
    /// </summary>
    public void Ingest(Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, TimeSpan now)
    {
        Tap?.Ingested(side, frame, vnetHeaderLength, now);
        if (side == Side.Primary)
        {
            Counters.PrimaryReceived++;
            Counters.PrimaryBytesReceived += frame.Length;
        }
        else
        {
            Counters.SecondaryReceived++;
            Counters.SecondaryBytesReceived += frame.Length;
        }

        if (_failover)
        {
            ForwardOrDrop(side, frame, vnetHeaderLength, default, now, ReleaseReason.Failover, DropReason.Failover);
            return;
        }

        ParseStatus status = FrameParser.TryParse(frame, vnetHeaderLength, out PacketInfo info);
        if (!_options.CompareHousekeeping && IsHousekeeping(status, in info))
        {
            // Link-local housekeeping is sent on each replica's own timers and after every restore: never compared.
            ForwardOrDrop(side, frame, vnetHeaderLength, default, now, ReleaseReason.Housekeeping, DropReason.Housekeeping);
            return;
        }
        if (status == ParseStatus.NotIp && _options.CompareNonIp)
        {
            IngestNonIp(side, frame, vnetHeaderLength, in info, now);
            return;
        }
        if (status != ParseStatus.Ok)
        {
            // Like QEMU, forward what cannot be compared rather than withhold the guest's output; count it.
            if (status != ParseStatus.NotIp)
                Counters.MalformedFrames++;
            ForwardOrDrop(side, frame, vnetHeaderLength, default, now, ReleaseReason.NotCompared,
                status == ParseStatus.NotIp ? DropReason.NotCompared : DropReason.Malformed);
            return;
        }

        if (info.IsFragment)
        {
            IngestFragment(side, frame, vnetHeaderLength, in info, now);
            return;
        }

        Flow flow = GetOrCreateFlow(FlowKey.From(frame, info), now);
        Touch(flow, now);
        Record(flow, side, frame[vnetHeaderLength..], now);
        if (flow.State == FlowState.Passthrough)
        {
            ForwardOrDrop(side, frame, vnetHeaderLength, flow.Key, now, ReleaseReason.Passthrough, DropReason.Passthrough);
            return;
        }

        if (flow.IsTcp)
        {
            IngestTcp(flow, side, frame, vnetHeaderLength, in info, now);
            return;
        }
        (int offset, int length) = ComparedRegion(in info);
        IngestDatagram(flow, side, frame, vnetHeaderLength, offset, length, now);
    }

    /// <summary>
    /// Non-IP frames, when asked to compare them: a datagram flow per MAC pair, EtherType and VLAN, comparing what
    /// follows the Ethernet header (for ARP only the ARP packet itself: NICs pad it, with bytes that may differ).
    /// </summary>
    private void IngestNonIp(Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, in PacketInfo info, TimeSpan now)
    {
        Flow flow = GetOrCreateFlow(FlowKey.FromNonIp(frame, info), now);
        Touch(flow, now);
        Record(flow, side, frame[vnetHeaderLength..], now);
        if (flow.State == FlowState.Passthrough)
        {
            ForwardOrDrop(side, frame, vnetHeaderLength, flow.Key, now, ReleaseReason.Passthrough, DropReason.Passthrough);
            return;
        }
        int offset = info.NetworkOffset;
        int length = frame.Length - offset;
        // ARP over Ethernet: 8-byte header, then sender and target hardware and protocol addresses.
        const int ArpHeaderLength = 8;
        if (info.EtherType == FrameParser.EtherTypeArp && length >= ArpHeaderLength)
            length = Math.Min(length, ArpHeaderLength + 2 * (frame[offset + 4] + frame[offset + 5]));
        IngestDatagram(flow, side, frame, vnetHeaderLength, offset, length, now);
    }

    private static bool IsHousekeeping(ParseStatus status, in PacketInfo info) => status switch
    {
        ParseStatus.Ok => Housekeeping.IsHousekeeping(in info),
        ParseStatus.NotIp => Housekeeping.IsHousekeepingNonIp(in info),
        _ => false,
    };

    private void ForwardOrDrop(Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, FlowKey key, TimeSpan now,
        ReleaseReason release, DropReason drop)
    {
        if (side == Side.Primary)
            ReleaseDirect(frame, release, key, now, vnetHeaderLength);
        else
            DropSecondary(drop);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ReleaseDirect(ReadOnlySpan<byte> frame, ReleaseReason reason, FlowKey key, TimeSpan arrival, int vnetHeaderLength)
    {
        Counters.ReleasedBy[(int)reason]++;
        _sink.Release(frame, new ReleaseInfo(reason, key, arrival, vnetHeaderLength));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void DropSecondary(DropReason reason) => Counters.SecondaryDroppedBy[(int)reason]++;

    private Flow GetOrCreateFlow(FlowKey key, TimeSpan now)
    {
        if (_flows.TryGetValue(key, out Flow? existing))
            return existing;
        if (_flows.Count >= _options.MaxFlows)
            EvictIdleFlows(now);
        var flow = new Flow(key, _memory.Chunks)
        {
            State = MatchesPassthrough(key) ? FlowState.Passthrough : FlowState.Comparing,
            LastActivity = now,
        };
        _flows.Add(key, flow);
        _idle.Append(flow);
        Counters.FlowsCreated++;
        return flow;
    }

    /// <summary>The flow was just seen: it is the most recently active of the idle ones.</summary>
    private void Touch(Flow flow, TimeSpan now)
    {
        flow.LastActivity = now;
        if (flow.List == FlowList.Idle)
            _idle.MoveToTail(flow);
    }

    private bool MatchesPassthrough(in FlowKey key)
    {
        foreach (PassthroughRule rule in _passthrough)
        {
            if (rule.Matches(key))
                return true;
        }
        return false;
    }

    /// <summary>
    /// Makes room in a full flow table by forgetting flows with nothing queued, least recently active first, down to
    /// 7/8 of the cap: the idle list is in that order, so each eviction costs the same however large the table is.
    /// An idle flow's sides were in step, so a flow re-created later from its next segment compares correctly. When
    /// no flow is idle, a checkpoint is requested (once) and the table grows past the cap.
    /// </summary>
    private void EvictIdleFlows(TimeSpan now)
    {
        if (_idle.Head is null)
        {
            if (!_flowCapReported)
            {
                _flowCapReported = true;
                Trigger(CheckpointReason.FlowTableFull, default, false, Side.Primary, TimeSpan.Zero, now);
            }
            return;
        }
        int target = _flows.Count - _options.MaxFlows / 8 * 7;
        for (int evicted = 0; evicted < target && _idle.Head is { } flow; evicted++)
        {
            _idle.Remove(flow);
            ForgetFlow(flow);
            Counters.FlowsEvicted++;
        }
    }

    /// <summary>Removes a flow with nothing queued and gives back what it holds.</summary>
    private void ForgetFlow(Flow flow)
    {
        if (flow.List == FlowList.Idle)
            _idle.Remove(flow);
        if (flow.Tcp is { } tcp)
        {
            tcp.PrimaryBytes.Release();
            tcp.SecondaryBytes.Release();
        }
        flow.PrimaryStore.Clear();
        flow.SecondaryStore.Clear();
        _recorder.Forget(flow);
        _flows.Remove(flow.Key);
    }

    /// <summary>
    /// The flight recorder's frames of a flow, both sides, in arrival order (empty when the recorder is off or the
    /// flow is unknown). For a sink that wants to keep a timeout's context; allocates.
    /// </summary>
    public IReadOnlyList<RecordedFrame> RecentFrames(FlowKey key) =>
        _flows.TryGetValue(key, out Flow? flow) ? _recorder.Recent(flow) : [];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Record(Flow flow, Side side, ReadOnlySpan<byte> frame, TimeSpan now)
    {
        if (_recorder.Enabled)
            _recorder.Append(flow, side, frame, now);
    }

    private void Trigger(CheckpointReason reason, FlowKey flow, bool hasFlow, Side side, TimeSpan waited, TimeSpan now)
    {
        Counters.TriggersBy[(int)reason]++;
        _sink.CheckpointTriggered(new CheckpointTrigger(reason, flow, hasFlow, side, waited, now));
    }

    // ---- queues ----------------------------------------------------------------------------------------------

    /// <summary>
    /// Queues a primary frame, storing it whole in the flow's primary store (the incoming span is only valid during
    /// the call).
    /// </summary>
    private void EnqueuePrimary(Flow flow, ReadOnlySpan<byte> frame, int vnetHeaderLength, ref PendingFrame pending, TimeSpan now)
    {
        pending.Position = flow.PrimaryStore.Append(frame, contiguous: true);
        pending.StoredLength = frame.Length;
        flow.PrimaryStore.Pin(pending.Position, frame.Length);
        pending.Length = frame.Length;
        pending.VnetHeaderLength = vnetHeaderLength;
        pending.PayloadInStream = false;
        QueuePrimary(flow, ref pending, now);
    }

    /// <summary>
    /// Queues a TCP segment whose payload the primary stream buffer holds (written or verified equal just now): only
    /// the bytes around the payload are stored; the frame is put back together when it is released.
    /// </summary>
    private void EnqueuePrimarySegment(Flow flow, ReadOnlySpan<byte> frame, int vnetHeaderLength, int payloadOffset, int payloadLength,
        long payloadStreamOffset, ref PendingFrame pending, TimeSpan now)
    {
        ChunkedStore store = flow.PrimaryStore;
        ReadOnlySpan<byte> head = frame[..payloadOffset];
        ReadOnlySpan<byte> tail = frame[(payloadOffset + payloadLength)..];
        if (tail.IsEmpty)
        {
            pending.Position = store.Append(head, contiguous: true);
        }
        else
        {
            // Padding or trailing bytes after the IP packet (e1000 pads short frames): stored right after the head.
            int total = head.Length + tail.Length;
            byte[] joined = _scratch.Length >= total ? _scratch : (_scratch = new byte[total]);
            head.CopyTo(joined);
            tail.CopyTo(joined.AsSpan(head.Length));
            pending.Position = store.Append(joined.AsSpan(0, total), contiguous: true);
        }
        pending.StoredLength = head.Length + tail.Length;
        store.Pin(pending.Position, pending.StoredLength);
        pending.Length = frame.Length;
        pending.VnetHeaderLength = vnetHeaderLength;
        pending.PayloadInStream = true;
        pending.PayloadOffset = payloadOffset;
        pending.PayloadLength = payloadLength;
        pending.PayloadStreamOffset = payloadStreamOffset;
        QueuePrimary(flow, ref pending, now);
    }

    /// <summary>Queues a primary entry whose bytes are already stored (and pinned).</summary>
    private void QueuePrimary(Flow flow, ref PendingFrame pending, TimeSpan now)
    {
        pending.Arrival = now;
        pending.Id = _nextFrameId++;
        BlockPool<PendingFrame> blocks = _memory.PendingFrames;
        if (flow.IsTcp)
        {
            // TCP frames are released in sequence order (arrival order for equal sequence numbers), like QEMU: a
            // retransmission of confirmed bytes need not wait behind newer, unconfirmed data. Usually an append.
            int index = flow.Primary.Count;
            while (index > 0 && flow.Primary[index - 1].StreamOffset > pending.StreamOffset)
                index--;
            flow.Primary.Insert(index, pending, blocks);
        }
        else
        {
            flow.Primary.Enqueue(pending, blocks);
        }
        flow.PrimaryQueuedBytes += pending.Length;
        // Fragments of a reassembled datagram were counted as queued when they arrived.
        if (pending.Group is null)
            Counters.PrimaryQueued++;
        Activate(flow);
        if (flow.Primary.Count > _options.MaxQueueSize && !flow.QueueCapReported)
        {
            flow.QueueCapReported = true;
            Trigger(CheckpointReason.QueueFull, flow.Key, true, Side.Primary, TimeSpan.Zero, now);
        }
        CheckMemoryCap(now);
    }

    private void EnqueueSecondary(Flow flow, ref SecondaryRecord record, TimeSpan now)
    {
        record.Arrival = now;
        record.Id = _nextFrameId++;
        flow.Secondary.Enqueue(record, _memory.SecondaryRecords);
        flow.SecondaryQueuedBytes += record.Length;
        // Fragments of a reassembled datagram were counted as queued when they arrived.
        if (record.Group is null)
            Counters.SecondaryQueued++;
        Activate(flow);
        if (flow.Secondary.Count > _options.MaxQueueSize && !flow.QueueCapReported)
        {
            flow.QueueCapReported = true;
            Trigger(CheckpointReason.QueueFull, flow.Key, true, Side.Secondary, TimeSpan.Zero, now);
        }
        CheckMemoryCap(now);
    }

    /// <summary>The bytes of a queued primary frame, whole (from the store, or put back together in a scratch buffer).</summary>
    private ReadOnlySpan<byte> FrameBytes(Flow flow, in PendingFrame frame)
    {
        if (frame.Buffer is { } datagram && frame.Group is not null)
            return datagram.AsSpan(0, frame.Length);
        ChunkedStore store = flow.PrimaryStore;
        if (!frame.PayloadInStream)
        {
            if (ChunkedStore.IsContiguous(frame.Position, frame.Length))
                return store.GetSpan(frame.Position, frame.Length);
            store.CopyTo(frame.Position, Scratch(frame.Length));
            return _scratch.AsSpan(0, frame.Length);
        }
        Span<byte> whole = Scratch(frame.Length);
        int head = frame.PayloadOffset;
        int tail = frame.StoredLength - head;
        store.CopyTo(frame.Position, whole[..head]);
        flow.Tcp!.PrimaryBytes.CopyTo(frame.PayloadStreamOffset, whole.Slice(head, frame.PayloadLength));
        store.CopyTo(frame.Position + head, whole.Slice(head + frame.PayloadLength, tail));
        return whole[..frame.Length];
    }

    /// <summary>The compared bytes of a queued primary datagram.</summary>
    private ReadOnlySpan<byte> DatagramBytes(Flow flow, in PendingFrame frame) =>
        FrameBytes(flow, frame).Slice(frame.CompareOffset, frame.CompareLength);

    /// <summary>The compared bytes of a queued secondary datagram.</summary>
    private ReadOnlySpan<byte> DatagramBytes(Flow flow, in SecondaryRecord record)
    {
        if (record.Data is { } data)
            return data.AsSpan(0, record.Length);
        if (ChunkedStore.IsContiguous(record.Position, record.Length))
            return flow.SecondaryStore.GetSpan(record.Position, record.Length);
        if (_secondaryScratch.Length < record.Length)
            _secondaryScratch = new byte[record.Length];
        flow.SecondaryStore.CopyTo(record.Position, _secondaryScratch.AsSpan(0, record.Length));
        return _secondaryScratch.AsSpan(0, record.Length);
    }

    private Span<byte> Scratch(int length)
    {
        if (_scratch.Length < length)
            _scratch = new byte[length];
        return _scratch.AsSpan(0, length);
    }

    /// <summary>Releases the flow's oldest queued primary frame.</summary>
    private void ReleaseHead(Flow flow, ReleaseReason reason)
    {
        ref PendingFrame head = ref flow.Primary.Head;
        flow.PrimaryQueuedBytes -= head.Length;
        if (head.Group is { } group)
        {
            // A reassembled datagram: what goes out are its original fragments, byte-identical.
            ReturnFragmentBuffer(head.Buffer!);
            ReleaseGroup(group, reason, flow.Key);
        }
        else
        {
            Counters.PrimaryQueued--;
            Counters.ReleasedBy[(int)reason]++;
            _sink.Release(FrameBytes(flow, head), new ReleaseInfo(reason, flow.Key, head.Arrival, head.VnetHeaderLength));
            flow.PrimaryStore.Unpin(head.Position, head.StoredLength);
        }
        flow.Primary.Dequeue(_memory.PendingFrames);
        if (flow.Tcp is { } tcp)
            TrimPrimaryBytes(flow, tcp);
        if (!flow.HasQueuedFrames)
            Deactivate(flow);
    }

    /// <summary>Removes the secondary record at <paramref name="index"/> as matched or dropped.</summary>
    private void RemoveSecondary(Flow flow, int index, DropReason? drop)
    {
        ref SecondaryRecord record = ref flow.Secondary[index];
        flow.SecondaryQueuedBytes -= record.Length;
        if (record.Data is { } data)
            ReturnFragmentBuffer(data);
        else if (record.HasData)
            flow.SecondaryStore.Unpin(record.Position, record.Length);
        int frames = record.FrameCount;
        if (record.Group is { } group)
            ReturnFragments(group);
        flow.Secondary.RemoveAt(index, _memory.SecondaryRecords);
        Counters.SecondaryQueued -= frames;
        if (drop is { } reason)
            Counters.SecondaryDroppedBy[(int)reason] += frames;
        else
            Counters.SecondaryMatched += frames;
        if (!flow.HasQueuedFrames)
            Deactivate(flow);
    }

    /// <summary>Releases every queued primary frame and drops every queued secondary frame of the flow.</summary>
    private void FlushFlow(Flow flow, ReleaseReason release, DropReason drop)
    {
        while (!flow.Primary.IsEmpty)
            ReleaseHead(flow, release);
        while (!flow.Secondary.IsEmpty)
            RemoveSecondary(flow, 0, drop);
        if (flow.Tcp is { } tcp)
        {
            tcp.PrimaryBytes.Reset(tcp.Confirmed);
            tcp.SecondaryBytes.Reset(tcp.Confirmed);
        }
    }

    private void CheckMemoryCap(TimeSpan now)
    {
        if (OverMemoryCap && !_memoryCapReported)
        {
            _memoryCapReported = true;
            Trigger(CheckpointReason.MemoryCap, default, false, Side.Primary, TimeSpan.Zero, now);
        }
    }

    private bool OverMemoryCap => _memory.HeldBytes > _options.MaxBufferedBytes;

    private void Activate(Flow flow)
    {
        if (flow.List == FlowList.Active)
            return;
        if (flow.List == FlowList.Idle)
            _idle.Remove(flow);
        _active.Append(flow);
    }

    private void Deactivate(Flow flow)
    {
        if (flow.List != FlowList.Active)
            return;
        _active.Remove(flow);
        flow.QueueCapReported = false;
        if (flow.State is FlowState.Comparing or FlowState.Passthrough)
            _idle.Append(flow);
    }

    /// <summary>A flow stopped comparing until the checkpoint (diverged, resync): not evictable while idle.</summary>
    private void HoldUntilCheckpoint(Flow flow)
    {
        if (flow.List == FlowList.Idle)
            _idle.Remove(flow);
    }
}
