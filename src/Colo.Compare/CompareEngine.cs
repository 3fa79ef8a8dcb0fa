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
    private readonly FrameBufferPool _pool = new();
    private readonly List<PassthroughRule> _passthrough = [];
    private readonly long _maxStreamWindow;
    private Flow? _activeHead;
    private Flow? _activeTail;
    private long _nextFrameId;
    private long _bufferedBytes;
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
        // A single stream buffer never spans more than the memory cap (and a ring is indexed by int).
        _maxStreamWindow = Math.Min(options.MaxBufferedBytes, 1L << 30);
    }

    public EngineCounters Counters { get; } = new();

    public CompareOptions Options => _options;

    public int FlowCount => _flows.Count;

    /// <summary>Bytes held for queued frames and stream comparison (what the memory cap limits).</summary>
    public long BufferedBytes => _bufferedBytes;

    /// <summary>True after <see cref="Failover"/>: primary frames are forwarded uncompared.</summary>
    public bool InFailover => _failover;

    public IReadOnlyList<PassthroughRule> PassthroughRules => _passthrough;

    /// <summary>
    /// Takes one frame from <paramref name="side"/>. <paramref name="frame"/> is only read during the call; a primary
    /// frame that cannot be released at once is copied into pooled storage.
    /// </summary>
    public void Ingest(Side side, ReadOnlySpan<byte> frame, int vnetHeaderLength, TimeSpan now)
    {
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
        flow.LastActivity = now;
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
        flow.LastActivity = now;
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
        var flow = new Flow(key) { State = MatchesPassthrough(key) ? FlowState.Passthrough : FlowState.Comparing };
        _flows.Add(key, flow);
        Counters.FlowsCreated++;
        return flow;
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
    /// 7/8 of the cap. An idle flow's sides are in step, so a flow re-created later from its next segment compares
    /// correctly. When every flow holds frames, a checkpoint is requested and the table grows past the cap.
    /// </summary>
    private void EvictIdleFlows(TimeSpan now)
    {
        var idle = new List<Flow>();
        foreach (Flow flow in _flows.Values)
        {
            if (!flow.HasQueuedFrames && flow.State != FlowState.Diverged)
                idle.Add(flow);
        }
        int target = _flows.Count - _options.MaxFlows / 8 * 7;
        if (idle.Count == 0)
        {
            if (!_flowCapReported)
            {
                _flowCapReported = true;
                Trigger(CheckpointReason.FlowTableFull, default, false, Side.Primary, TimeSpan.Zero, now);
            }
            return;
        }
        idle.Sort(static (a, b) => a.LastActivity.CompareTo(b.LastActivity));
        for (int i = 0; i < idle.Count && i < target; i++)
        {
            Flow flow = idle[i];
            if (flow.Tcp is { } tcp)
            {
                _bufferedBytes += tcp.PrimaryBytes.Reset(tcp.Confirmed, _pool);
                _bufferedBytes += tcp.SecondaryBytes.Reset(tcp.Confirmed, _pool);
            }
            _flows.Remove(flow.Key);
            Counters.FlowsEvicted++;
        }
    }

    private void Trigger(CheckpointReason reason, FlowKey flow, bool hasFlow, Side side, TimeSpan waited, TimeSpan now)
    {
        Counters.TriggersBy[(int)reason]++;
        _sink.CheckpointTriggered(new CheckpointTrigger(reason, flow, hasFlow, side, waited, now));
    }

    // ---- queues -------------------------------------------------------------------------------------------------

    private void EnqueuePrimary(Flow flow, ReadOnlySpan<byte> frame, int vnetHeaderLength, ref PendingFrame pending, TimeSpan now)
    {
        byte[] buffer = _pool.Rent(frame.Length);
        frame.CopyTo(buffer);
        _bufferedBytes += buffer.Length;
        pending.Buffer = buffer;
        pending.Length = frame.Length;
        pending.VnetHeaderLength = vnetHeaderLength;
        QueuePrimary(flow, ref pending, now);
    }

    /// <summary>Queues a primary entry whose bytes are already in pooled storage (and charged).</summary>
    private void QueuePrimary(Flow flow, ref PendingFrame pending, TimeSpan now)
    {
        pending.Arrival = now;
        pending.Id = _nextFrameId++;
        if (flow.IsTcp)
        {
            // TCP frames are released in sequence order (arrival order for equal sequence numbers), like QEMU: a
            // retransmission of confirmed bytes need not wait behind newer, unconfirmed data. Usually an append.
            int index = flow.Primary.Count;
            while (index > 0 && flow.Primary[index - 1].StreamOffset > pending.StreamOffset)
                index--;
            flow.Primary.Insert(index, pending);
        }
        else
        {
            flow.Primary.Enqueue(pending);
        }
        flow.PrimaryQueuedBytes += pending.Buffer.Length;
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
        flow.Secondary.Enqueue(record);
        flow.SecondaryQueuedBytes += record.Charged;
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

    /// <summary>Releases the flow's oldest queued primary frame.</summary>
    private void ReleaseHead(Flow flow, ReleaseReason reason)
    {
        PendingFrame frame = flow.Primary.Dequeue();
        flow.PrimaryQueuedBytes -= frame.Buffer.Length;
        _bufferedBytes -= frame.Buffer.Length;
        if (frame.Group is { } group)
        {
            // A reassembled datagram: what goes out are its original fragments, byte-identical.
            _pool.Return(frame.Buffer);
            ReleaseGroup(group, reason, flow.Key);
        }
        else
        {
            Counters.PrimaryQueued--;
            Counters.ReleasedBy[(int)reason]++;
            _sink.Release(frame.Buffer.AsSpan(0, frame.Length),
                new ReleaseInfo(reason, flow.Key, frame.Arrival, frame.VnetHeaderLength));
            _pool.Return(frame.Buffer);
        }
        if (!flow.HasQueuedFrames)
            Deactivate(flow);
    }

    /// <summary>Removes the secondary record at <paramref name="index"/> as matched or dropped.</summary>
    private void RemoveSecondary(Flow flow, int index, DropReason? drop)
    {
        ref SecondaryRecord record = ref flow.Secondary[index];
        if (record.Data is { } data)
        {
            _bufferedBytes -= record.Charged;
            flow.SecondaryQueuedBytes -= record.Charged;
            _pool.Return(data);
        }
        int frames = record.FrameCount;
        if (record.Group is { } group)
            ReturnFragments(group);
        flow.Secondary.RemoveAt(index);
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
            _bufferedBytes += tcp.PrimaryBytes.Reset(tcp.Confirmed, _pool);
            _bufferedBytes += tcp.SecondaryBytes.Reset(tcp.Confirmed, _pool);
        }
    }

    private void CheckMemoryCap(TimeSpan now)
    {
        if (_bufferedBytes > _options.MaxBufferedBytes && !_memoryCapReported)
        {
            _memoryCapReported = true;
            Trigger(CheckpointReason.MemoryCap, default, false, Side.Primary, TimeSpan.Zero, now);
        }
    }

    private bool OverMemoryCap => _bufferedBytes > _options.MaxBufferedBytes;

    private void Activate(Flow flow)
    {
        if (flow.IsActive)
            return;
        flow.IsActive = true;
        flow.PreviousActive = _activeTail;
        flow.NextActive = null;
        if (_activeTail is null)
            _activeHead = flow;
        else
            _activeTail.NextActive = flow;
        _activeTail = flow;
    }

    private void Deactivate(Flow flow)
    {
        if (!flow.IsActive)
            return;
        flow.IsActive = false;
        if (flow.PreviousActive is null)
            _activeHead = flow.NextActive;
        else
            flow.PreviousActive.NextActive = flow.NextActive;
        if (flow.NextActive is null)
            _activeTail = flow.PreviousActive;
        else
            flow.NextActive.PreviousActive = flow.PreviousActive;
        flow.PreviousActive = null;
        flow.NextActive = null;
        flow.QueueCapReported = false;
    }
}
