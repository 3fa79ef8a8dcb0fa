using Colo.Compare;
using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>
/// Every frame of both captures by flow, kept on the replay side so the engine needs no frame numbers: after the run
/// it finds, for each divergence, the frames that hold the first differing byte, and it feeds the per-flow summary.
/// </summary>
internal sealed class FrameIndex
{
    private readonly Dictionary<FlowKey, FlowFrames> _flows = [];
    private readonly List<FlowFrames> _order = [];
    private readonly Dictionary<FlowKey, long> _primaryDatagrams = [];
    private readonly Dictionary<FlowKey, long> _secondaryDatagrams = [];

    /// <summary>Flows in the order they were first seen in either capture.</summary>
    public IReadOnlyList<FlowFrames> Flows => _order;

    public FlowFrames? Find(in FlowKey flow) => _flows.GetValueOrDefault(flow);

    /// <summary>Records one parsed frame (<paramref name="frame"/> is its Ethernet frame) of <paramref name="side"/>.</summary>
    public void Add(Side side, in FlowKey flow, ReadOnlySpan<byte> frame, in PacketInfo info, CapturedFrame captured)
    {
        if (!_flows.TryGetValue(flow, out FlowFrames? frames))
        {
            frames = new FlowFrames(flow);
            _flows[flow] = frames;
            _order.Add(frames);
            if (info.Protocol is IpProtocol.Icmp or IpProtocol.Icmpv6)
                frames.FirstIcmp = (info.IcmpType, info.IcmpCode);
        }

        if (flow.IpVersion == 0)
        {
            frames.Add(side, new IndexedFrame(captured, 0, 0, TcpFlags.None, -1, null, 0));
        }
        else if (info.Protocol == IpProtocol.Tcp && info.HasTransportHeader && !info.IsFragment)
        {
            int length = info.PayloadLength + ((info.TcpFlags & TcpFlags.Syn) != 0 ? 1 : 0) + ((info.TcpFlags & TcpFlags.Fin) != 0 ? 1 : 0);
            frames.Add(side, new IndexedFrame(captured, info.TcpSequence, length, info.TcpFlags, -1, null, info.PayloadLength));
        }
        else
        {
            Dictionary<FlowKey, long> counts = side == Side.Primary ? _primaryDatagrams : _secondaryDatagrams;
            long index = flow.IsFragmentFlow ? -1 : counts.GetValueOrDefault(flow);
            if (!flow.IsFragmentFlow)
                counts[flow] = index + 1;
            byte[]? bytes = side == Side.Secondary && !flow.IsFragmentFlow
                ? frame.Slice(info.PayloadOffset, info.PayloadLength).ToArray()
                : null;
            frames.Add(side, new IndexedFrame(captured, 0, 0, TcpFlags.None, index, bytes, info.PayloadLength));
        }
    }

    /// <summary>The frames of each capture that hold <paramref name="divergence"/>'s first differing byte.</summary>
    public DivergenceFrames Locate(Divergence divergence)
    {
        if (!_flows.TryGetValue(divergence.Flow, out FlowFrames? frames))
            return new DivergenceFrames(null, null);
        if (divergence.Sequence is { } sequence)
            return LocateSegments(frames, divergence, sequence);
        if (divergence.DatagramIndex is { } index)
            return new DivergenceFrames(PrimaryDatagram(frames, index), SecondaryDatagram(frames, divergence, index));
        return new DivergenceFrames(null, null);
    }

    private static DivergenceFrames LocateSegments(FlowFrames frames, Divergence divergence, uint sequence)
    {
        if (divergence.Kind == DivergenceKind.Syn)
            return new DivergenceFrames(FirstWith(frames.Primary, TcpFlags.Syn), FirstWith(frames.Secondary, TcpFlags.Syn));

        // A side that resent different bytes holds the byte in two frames: its latest copy is the one that differs.
        bool latest = divergence.Kind == DivergenceKind.InconsistentRetransmission;
        return new DivergenceFrames(
            Covering(frames.Primary, sequence, divergence.Kind, latest),
            Covering(frames.Secondary, sequence, divergence.Kind, latest));
    }

    private static CapturedFrame? Covering(IReadOnlyList<IndexedFrame> frames, uint sequence, DivergenceKind kind, bool latest)
    {
        CapturedFrame? found = null;
        foreach (IndexedFrame frame in frames)
        {
            bool holds = frame.Covers(sequence)
                || (kind == DivergenceKind.Reset && (frame.Flags & TcpFlags.Rst) != 0 && frame.Sequence == sequence);
            if (!holds)
                continue;
            found = frame.Frame;
            if (!latest)
                break;
        }
        return found;
    }

    private static CapturedFrame? FirstWith(IReadOnlyList<IndexedFrame> frames, TcpFlags flag)
    {
        foreach (IndexedFrame frame in frames)
        {
            if ((frame.Flags & flag) != 0)
                return frame.Frame;
        }
        return null;
    }

    private static CapturedFrame? PrimaryDatagram(FlowFrames frames, long index)
    {
        foreach (IndexedFrame frame in frames.Primary)
        {
            if (frame.DatagramIndex == index)
                return frame.Frame;
        }
        return null;
    }

    /// <summary>
    /// The engine compares a primary datagram with the oldest secondary one still unmatched, so the secondary's index may
    /// differ from the primary's: the frame is the secondary datagram holding the reported context at the reported
    /// offset, the one nearest the primary's index when several do.
    /// </summary>
    private static CapturedFrame? SecondaryDatagram(FlowFrames frames, Divergence divergence, long primaryIndex)
    {
        if (divergence.DatagramByteOffset is not { } at || divergence.SecondaryContext.Length == 0)
            return null;
        int from = at - divergence.ContextOffset;
        CapturedFrame? best = null;
        long bestDistance = long.MaxValue;
        foreach (IndexedFrame frame in frames.Secondary)
        {
            if (frame.DatagramBytes is not { } bytes || from < 0 || bytes.Length < from + divergence.SecondaryContext.Length)
                continue;
            if (!bytes.AsSpan(from, divergence.SecondaryContext.Length).SequenceEqual(divergence.SecondaryContext))
                continue;
            long distance = Math.Abs(frame.DatagramIndex - primaryIndex);
            if (distance < bestDistance)
            {
                best = frame.Frame;
                bestDistance = distance;
            }
        }
        return best;
    }
}
