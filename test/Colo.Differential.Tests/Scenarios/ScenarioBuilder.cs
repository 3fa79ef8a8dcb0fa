using Colo.Packets.Frames;
using Colo.TestSupport.Frames;

namespace Colo.Differential.Tests.Scenarios;

/// <summary>
/// Builds a scenario's flows and per-side frame lists, then interleaves them into steps. Secondary frames are already
/// in the primary's sequence space (filter-rewriter) but have their own IP IDs, TTL and TCP timestamps.
/// </summary>
internal sealed class ScenarioBuilder(Scenario scenario, Random random)
{
    private readonly List<(int Flow, Side Side, List<byte[]> Frames)> _lists = [];
    /// <summary>The window Linux guests advertise early in a connection (64240 = 44 * 1460).</summary>
    private const ushort Window = 64240;

    private ushort _primaryIpId = 1;

    public Scenario Scenario { get; } = scenario;

    public Random Random { get; } = random;

    public FlowInfo AddFlow(FlowKind kind, string description, bool ipv6 = false, ushort[]? vlans = null)
    {
        var id = Scenario.Flows.Count;
        var n = Scenario.Number;
        var address = ipv6
            ? FlowAddress.V6(n, (byte)(id + 1), vlans ?? [])
            : FlowAddress.V4(10, (byte)(n >> 8), (byte)n, (byte)(id + 1), 172, 16, (byte)(n >> 8), (byte)n, vlans ?? []);
        var flow = new FlowInfo(id, kind, address, description);
        if (ipv6)
            flow.Features.Add(Feature.Ipv6);
        if (vlans is { Length: > 0 })
            flow.Features.Add(vlans.Length == 1 ? Feature.Vlan : Feature.QinQ);
        Scenario.Flows.Add(flow);
        return flow;
    }

    public ushort NextPrimaryIpId() => _primaryIpId++;

    public ushort SecondaryIpId() => (ushort)Random.Next(0x8000, 0xFFFF);

    /// <summary>TCP frames of one side; the secondary gets other IP IDs, TTL 63 and other timestamps.</summary>
    public List<byte[]> TcpFrames(
        FlowInfo flow, Side side, IEnumerable<TcpSegment> segments, ushort sourcePort, ushort destinationPort, uint isn,
        bool timestamps, bool padTo60)
    {
        var frames = new List<byte[]>();
        var ts = side == Side.Primary ? 1000u : 777_000u;
        foreach (var segment in segments)
        {
            var seq = unchecked(isn + 1 + (uint)segment.Offset);
            if ((segment.Flags & TcpSegment.Syn) != 0)
                seq = isn;
            var ipId = side == Side.Primary ? NextPrimaryIpId() : SecondaryIpId();
            var ttl = side == Side.Primary ? (byte)64 : (byte)63;
            byte[] options = [];
            if (timestamps)
            {
                options = FrameBuilder.TimestampOption(ts, ts ^ 0x5a5a5a5a);
                ts++;
            }

            frames.Add(FrameBuilder.Tcp(seq, segment.Data, (TcpFlags)segment.Flags, segment.Ack, sourcePort, destinationPort,
                flow.Address, ipId, ttl, Window, options, padTo60 ? FrameBuilder.MinimumFrameLength : 0));
        }

        return frames;
    }

    public void AddList(FlowInfo flow, Side side, List<byte[]> frames) => _lists.Add((flow.Id, side, frames));

    /// <summary>Adds a list's frames as steps right now, in order (for fixed interleavings).</summary>
    public void Append(FlowInfo flow, Side side, params byte[][] frames)
    {
        foreach (var frame in frames)
            Scenario.Steps.Add(new Step(side, flow.Id, frame, ""));
    }

    /// <summary>Merges all added lists at random, keeping each list's own order.</summary>
    public Scenario Interleave()
    {
        var positions = new int[_lists.Count];
        while (true)
        {
            var open = Enumerable.Range(0, _lists.Count).Where(i => positions[i] < _lists[i].Frames.Count).ToList();
            if (open.Count == 0)
                break;
            var pick = open[Random.Next(open.Count)];
            var (flow, side, frames) = _lists[pick];
            Scenario.Steps.Add(new Step(side, flow, frames[positions[pick]++], ""));
        }

        _lists.Clear();
        return ScenarioAnalysis.Annotate(Scenario);
    }
}
