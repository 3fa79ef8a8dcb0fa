using System.Globalization;
using Colo.Compare;
using Colo.Packets.Capture;
using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>
/// After a replay: how each flow ended, and why a pair that could not be judged could not be, in the words of
/// someone who has seen these captures go wrong (a secondary captured before filter-rewriter, a capture of both
/// directions, a secondary capture stopped early, two captures that share nothing).
/// </summary>
internal static class ReplayDiagnosis
{
    /// <summary>
    /// Sequence numbers of the two sides further apart than this at the start of a flow were never in one sequence
    /// space: filter-rewriter shifts by the ISN difference, which is random (32 bits), whereas two replicas of one
    /// stream start within a window of each other.
    /// </summary>
    private const uint UnrelatedSequenceDistance = 1u << 24;

    public static IReadOnlyList<FlowSummary> SummarizeFlows(FrameIndex index, ReplaySink sink, IReadOnlyList<FlowStatus> queued)
    {
        var queuedByFlow = queued.ToDictionary(f => f.Flow, f => (long)f.PrimaryQueuedFrames);
        var diverged = sink.Divergences.Select(d => d.Flow).ToHashSet();
        var flows = new List<FlowSummary>(index.Flows.Count);
        foreach (FlowFrames frames in index.Flows)
        {
            FlowReleases? releases = sink.Releases.GetValueOrDefault(frames.Flow);
            long compared = releases?.ComparedFrames ?? 0;
            long waiting = queuedByFlow.GetValueOrDefault(frames.Flow);
            // Frames released uncompared under the flow's own key were meant to be compared (a stream picked up where
            // the other side has nothing); those of flows not compared by rule (non-IP, housekeeping) carry no key.
            bool releasedUncompared = releases is { UncomparedFrames: > 0 };
            string result = diverged.Contains(frames.Flow) ? FlowResult.Divergent
                : frames.Primary.Count == 0 ? FlowResult.SecondaryOnly
                : waiting > 0 || releasedUncompared ? FlowResult.Incomplete
                : compared == 0 ? FlowResult.NotCompared
                : FlowResult.Same;
            flows.Add(new FlowSummary(frames.Flow, CommunityId.Of(frames.Flow, frames.FirstIcmp.Type, frames.FirstIcmp.Code),
                frames.Primary.Count, frames.Secondary.Count, releases?.ComparedBytes ?? 0, waiting, result));
        }
        return flows;
    }

    public static IReadOnlyList<string> Hints(string verdict, EngineCounters counters, FrameIndex index,
        IReadOnlyList<FlowSummary> flows, CaptureSummary primary, CaptureSummary secondary, ReplayOptions options)
    {
        var hints = new List<string>();
        AddSkipped(hints, "primary", primary);
        AddSkipped(hints, "secondary", secondary);
        if (primary.FilteredOut + secondary.FilteredOut > 0 && counters.PrimaryReceived + counters.SecondaryReceived == 0)
            hints.Add($"--flow {options.Flow} matched no frame of either capture; the report's flow table names the flows they hold");
        AddBothDirections(hints, index);
        if (verdict != ReplayVerdict.Incomplete)
            return hints;

        if (counters.PrimaryReceived == 0)
            hints.Add("nothing compared: the primary capture holds no comparable frame");
        foreach (FlowSummary flow in flows.Where(f => f.Result == FlowResult.Incomplete && f.PrimaryQueued == 0))
        {
            hints.Add($"{flow.Flow}: primary frames were released uncompared: the secondary's copy of the connection was out of "
                + "step with the primary's (sequence numbers nowhere near each other; live, a resync checkpoint)");
            break;
        }
        if (counters.SecondaryReceived == 0)
            hints.Add("nothing compared: the secondary capture holds no comparable frame (empty, or every frame skipped or filtered out)");
        if (counters.PrimaryReceived > 0 && counters.SecondaryReceived > 0
            && index.Flows.All(f => f.Primary.Count == 0 || f.Secondary.Count == 0))
        {
            hints.Add("nothing compared: no flow appears in both captures; both must be the guests' output at the same place, "
                + "the secondary's after filter-rewriter (same addresses and ports as the primary's)");
        }

        foreach (FlowFrames frames in index.Flows)
        {
            if (frames.Flow.Protocol != IpProtocol.Tcp || frames.FirstDataSequence(Side.Primary) is not { } p
                || frames.FirstDataSequence(Side.Secondary) is not { } s)
                continue;
            uint distance = Math.Min(unchecked(p - s), unchecked(s - p));
            if (distance >= UnrelatedSequenceDistance && flows.Any(f => f.Flow == frames.Flow && f.BytesCompared == 0))
            {
                hints.Add(Invariant($"{frames.Flow}: the captures use different sequence numbers (primary data starts at seq {p}, secondary at {s}): ")
                    + "the secondary was captured before filter-rewriter (on its tap, in its own ISN space); capture after "
                    + "filter-rewriter, or re-map the capture with 'colo-proxy align'");
                break;
            }
        }

        if (counters.PrimaryQueued > 0 && primary.LastTimestampNanoseconds is { } primaryEnd
            && secondary.LastTimestampNanoseconds is { } secondaryEnd)
        {
            // The secondary normally lags (its acknowledgments come later), so ending first at all is the sign.
            double early = (primaryEnd - (secondaryEnd + (options.SecondaryTimeOffset.Ticks * 100))) / 1e9;
            if (early > 0)
            {
                hints.Add(Invariant($"the secondary capture ends {early:0.000} s before the primary's while {counters.PrimaryQueued} primary frames still wait: ")
                    + "it was stopped early or lost packets (see tcpdump's 'packets dropped by kernel'); or the clocks differ (--secondary-time-offset)");
            }
        }

        AddShortSecondaryStream(hints, index, flows);
        if (counters.PrimaryQueued > 0 && hints.Count == 0)
        {
            hints.Add(Invariant($"{counters.PrimaryQueued} primary frames waited for bytes or ACKs the secondary never sent: ")
                + "the secondary capture may be missing frames (a capture filter, dropped packets) or end early");
        }
        else if (counters.Released(ReleaseReason.Compared) == 0 && hints.Count == 0)
        {
            hints.Add("nothing compared: every frame was of a kind not compared (non-IP, link-local housekeeping)");
        }
        return hints;
    }

    /// <summary>A flow left waiting whose secondary stream stops short of the primary's: the capture ended or lost frames.</summary>
    private static void AddShortSecondaryStream(List<string> hints, FrameIndex index, IReadOnlyList<FlowSummary> flows)
    {
        foreach (FlowSummary flow in flows)
        {
            if (flow.Result != FlowResult.Incomplete || flow.Flow.Protocol != IpProtocol.Tcp || index.Find(flow.Flow) is not { } frames
                || frames.Secondary.Count == 0 || StreamEnd(frames.Primary) is not { } primaryEnd || StreamEnd(frames.Secondary) is not { } secondaryEnd)
                continue;
            int shortBy = unchecked((int)(primaryEnd - secondaryEnd));
            if (shortBy <= 0)
                continue;
            hints.Add(Invariant($"the secondary capture ends early on {flow.Flow}: its stream stops {shortBy} bytes short of the primary's ")
                + Invariant($"(last secondary frame {frames.Secondary[^1].Frame.Number}): it was stopped early or lost packets (see tcpdump's 'packets dropped by kernel')"));
            return;
        }
    }

    /// <summary>The sequence number after the furthest byte (or FIN) of a side's segments.</summary>
    private static uint? StreamEnd(IReadOnlyList<IndexedFrame> frames)
    {
        uint? end = null;
        foreach (IndexedFrame frame in frames)
        {
            if (frame.SequenceLength == 0)
                continue;
            uint candidate = unchecked(frame.Sequence + (uint)frame.SequenceLength);
            if (end is not { } current || unchecked((int)(candidate - current)) > 0)
                end = candidate;
        }
        return end;
    }

    private static void AddSkipped(List<string> hints, string side, CaptureSummary capture)
    {
        foreach ((LinkType linkType, long count) in capture.SkippedByLinkType)
            hints.Add(Invariant($"{count} {side} frames of link type {(uint)linkType} were skipped: not a link type that can be compared"));
    }

    /// <summary>A comparator sees only the guests' output; a capture of both directions compares the clients' packets too.</summary>
    private static void AddBothDirections(List<string> hints, FrameIndex index)
    {
        foreach (FlowFrames frames in index.Flows)
        {
            if (frames.Flow.Protocol is not (IpProtocol.Tcp or IpProtocol.Udp))
                continue;
            FlowKey reverse = Reverse(frames.Flow);
            if (index.Find(reverse) is not { } other || other.Primary.Count + other.Secondary.Count == 0)
                continue;
            string which = frames.Primary.Count > 0 && other.Primary.Count > 0 ? "primary"
                : frames.Secondary.Count > 0 && other.Secondary.Count > 0 ? "secondary" : "";
            if (which.Length == 0)
                continue;
            hints.Add($"the {which} capture holds both directions of {frames.Flow}: a comparator sees only the guest's output; "
                + "record outgoing frames only (filter-dump after the redirector, or tcpdump -Q out / 'src host GUEST')");
            return;
        }
    }

    private static FlowKey Reverse(in FlowKey flow) => new(flow.IpVersion, flow.Protocol, ToValue(flow.DestinationAddress),
        flow.DestinationPort, ToValue(flow.SourceAddress), flow.SourcePort, flow.VlanCount, flow.OuterVlanId, flow.InnerVlanId);

    private static UInt128 ToValue(System.Net.IPAddress address)
    {
        byte[] bytes = address.GetAddressBytes();
        UInt128 value = 0;
        foreach (byte b in bytes)
            value = (value << 8) | b;
        return value;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
