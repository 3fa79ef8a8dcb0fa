using Colo.Compare;
using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>The frames of one flow in both captures, in capture order.</summary>
internal sealed class FlowFrames(FlowKey flow)
{
    private readonly List<IndexedFrame> _primary = [];
    private readonly List<IndexedFrame> _secondary = [];

    public FlowKey Flow { get; } = flow;

    public IReadOnlyList<IndexedFrame> Primary => _primary;

    public IReadOnlyList<IndexedFrame> Secondary => _secondary;

    /// <summary>ICMP type and code of the flow's first message (the Community ID hashes them).</summary>
    public (byte Type, byte Code) FirstIcmp { get; set; }

    public IReadOnlyList<IndexedFrame> Of(Side side) => side == Side.Primary ? _primary : _secondary;

    public void Add(Side side, IndexedFrame frame) => (side == Side.Primary ? _primary : _secondary).Add(frame);

    /// <summary>Sequence number of the first TCP segment with data on <paramref name="side"/>, if any.</summary>
    public uint? FirstDataSequence(Side side)
    {
        foreach (IndexedFrame frame in Of(side))
        {
            if (frame.PayloadLength > 0)
                return frame.Sequence;
        }
        return null;
    }
}
