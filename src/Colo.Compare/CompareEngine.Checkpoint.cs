using Colo.Compare.Internal;
using Colo.Packets.Frames;

namespace Colo.Compare;

// Time, checkpoints, failover, passthrough and inspection.
public sealed partial class CompareEngine
{
    /// <summary>
    /// Tells the engine the time. Once per <see cref="CompareOptions.ExpiredScanCycle"/> it scans the flows with queued
    /// frames and reports each frame (either side) older than <see cref="CompareOptions.CompareTimeout"/> once.
    /// </summary>
    public void AdvanceTime(TimeSpan now)
    {
        if (_scanned && now - _lastScan < _options.ExpiredScanCycle)
            return;
        _scanned = true;
        _lastScan = now;
        ScanFragmentTimeouts(now);
        TimeSpan timeout = _options.CompareTimeout;
        for (Flow? flow = _active.Head; flow is not null; flow = flow.NextLink)
        {
            if (!flow.Primary.IsEmpty)
            {
                // Bounded by the memory cap, and once per scan cycle.
                ref PendingFrame oldest = ref flow.Primary[flow.OldestPrimaryIndex()];
                if (now - oldest.Arrival > timeout && oldest.Id != flow.TimeoutReportedPrimaryId)
                {
                    flow.TimeoutReportedPrimaryId = oldest.Id;
                    Trigger(CheckpointReason.Timeout, flow.Key, true, Side.Primary, now - oldest.Arrival, now);
                }
            }
            if (!flow.Secondary.IsEmpty)
            {
                ref SecondaryRecord head = ref flow.Secondary.Head;
                if (now - head.Arrival > timeout && head.Id != flow.TimeoutReportedSecondaryId)
                {
                    flow.TimeoutReportedSecondaryId = head.Id;
                    Trigger(CheckpointReason.Timeout, flow.Key, true, Side.Secondary, now - head.Arrival, now);
                }
            }
        }
    }

    /// <summary>
    /// The hypervisor completed a checkpoint: the secondary now has the primary's state. Releases every queued primary
    /// frame (flows in first-queued order, each in its own order), drops every queued secondary frame, and
    /// re-baselines each TCP flow at the primary's highest sequence (the secondary's ACK gate takes the primary's ACK).
    /// </summary>
    public void CompleteCheckpoint(TimeSpan now)
    {
        Counters.CheckpointsCompleted++;
        FlushAll(ReleaseReason.Checkpoint, DropReason.Checkpoint);
        foreach (Flow flow in _flows.Values)
        {
            if (flow.State is FlowState.Diverged or FlowState.Resync)
            {
                flow.State = FlowState.Comparing;
                if (flow.List == FlowList.None)
                    _idle.Append(flow);
            }
            flow.TimeoutReportedPrimaryId = -1;
            flow.TimeoutReportedSecondaryId = -1;
            if (flow.Tcp is not null)
                Rebaseline(flow);
        }
        _memoryCapReported = false;
        _flowCapReported = false;
    }

    /// <summary>Failover: releases everything queued; from now on primary frames pass uncompared and the secondary's are dropped.</summary>
    public void Failover(TimeSpan now)
    {
        _failover = true;
        FlushAll(ReleaseReason.Failover, DropReason.Failover);
    }

    /// <summary>Shutdown: releases every queued primary frame rather than lose it; drops the secondary's.</summary>
    public void ReleaseAll(TimeSpan now) => FlushAll(ReleaseReason.Shutdown, DropReason.Shutdown);

    private void FlushAll(ReleaseReason release, DropReason drop)
    {
        while (_active.Head is { } flow)
        {
            FlushFlow(flow, release, drop);
            Deactivate(flow);
        }
        FlushFragments(release, drop);
    }

    /// <summary>Exempts matching flows from comparison; their queued frames are released (primary) or dropped now.</summary>
    public void AddPassthrough(PassthroughRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        _passthrough.Add(rule);
        foreach (Flow flow in _flows.Values)
        {
            if (flow.State != FlowState.Passthrough && rule.Matches(flow.Key))
            {
                FlushFlow(flow, ReleaseReason.Passthrough, DropReason.Passthrough);
                Deactivate(flow);
                flow.State = FlowState.Passthrough;
                if (flow.List == FlowList.None)
                    _idle.Append(flow);
            }
        }
    }

    /// <summary>Removes a rule; flows no rule matches any more are compared again from their next segment.</summary>
    public bool RemovePassthrough(PassthroughRule rule)
    {
        if (!_passthrough.Remove(rule))
            return false;
        var revived = new List<FlowKey>();
        foreach (Flow flow in _flows.Values)
        {
            if (flow.State == FlowState.Passthrough && !MatchesPassthrough(flow.Key))
                revived.Add(flow.Key);
        }
        // Forget their state: both sides restart comparison from the next segment seen.
        foreach (var key in revived)
            ForgetFlow(_flows[key]);
        return true;
    }

    /// <summary>The flows holding the most queued bytes, for the control socket's query-flows.</summary>
    public IReadOnlyList<FlowStatus> GetTopFlows(int limit, TimeSpan now)
    {
        var result = new List<FlowStatus>();
        for (Flow? flow = _active.Head; flow is not null; flow = flow.NextLink)
        {
            TimeSpan oldest = flow.OldestArrival;
            result.Add(new FlowStatus(flow.Key, StateName(flow.State), flow.Primary.Count, flow.PrimaryQueuedBytes,
                flow.Secondary.Count, flow.SecondaryQueuedBytes + SecondaryStreamBytes(flow),
                oldest == TimeSpan.MaxValue ? TimeSpan.Zero : now - oldest));
        }
        result.Sort(static (a, b) => (b.PrimaryQueuedBytes + b.SecondaryQueuedBytes).CompareTo(a.PrimaryQueuedBytes + a.SecondaryQueuedBytes));
        if (result.Count > limit)
            result.RemoveRange(limit, result.Count - limit);
        return result;
    }

    private static long SecondaryStreamBytes(Flow flow) => flow.Tcp?.SecondaryBytes.PresentBytes ?? 0;

    private static string StateName(FlowState state) => state switch
    {
        FlowState.Comparing => "comparing",
        FlowState.Diverged => "diverged",
        FlowState.Passthrough => "passthrough",
        FlowState.Resync => "resync",
        _ => state.ToString(),
    };
}
