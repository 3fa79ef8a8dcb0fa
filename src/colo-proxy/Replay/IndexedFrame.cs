using Colo.Packets.Frames;

namespace Colo.Cli.Replay;

/// <summary>
/// What replay remembers of one frame of a flow to find, after the engine reports a divergence, the frames that hold
/// the differing byte: TCP by the sequence range the frame covers, datagrams by their index in the flow.
/// </summary>
/// <param name="Frame">Number and time in its capture.</param>
/// <param name="Sequence">TCP: the segment's sequence number.</param>
/// <param name="SequenceLength">TCP: sequence numbers it occupies (payload, plus one each for SYN and FIN).</param>
/// <param name="Flags">TCP flags.</param>
/// <param name="DatagramIndex">Datagrams: 0-based index among the flow's datagrams on this side; -1 otherwise.</param>
/// <param name="DatagramBytes">Secondary datagrams: the compared bytes (to find the one the engine compared).</param>
/// <param name="PayloadLength">Bytes of transport payload.</param>
internal sealed record IndexedFrame(
    CapturedFrame Frame, uint Sequence, int SequenceLength, TcpFlags Flags, long DatagramIndex, byte[]? DatagramBytes,
    int PayloadLength)
{
    /// <summary>True when this TCP segment covers <paramref name="sequence"/> (serial arithmetic).</summary>
    public bool Covers(uint sequence) => unchecked(sequence - Sequence) < (uint)SequenceLength;
}
