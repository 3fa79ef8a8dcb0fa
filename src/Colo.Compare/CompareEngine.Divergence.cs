using Colo.Compare.Internal;

namespace Colo.Compare;

// Building divergence reports (rare path: allocation is fine here).
public sealed partial class CompareEngine
{
    private const int ContextBytes = 16;

    /// <summary>
    /// Reports a TCP divergence at <paramref name="offset"/>. The bytes before it are the flow's confirmed history
    /// (equal on both sides); the bytes after come from each side's buffer, or for <paramref name="incomingSide"/>
    /// from <paramref name="incomingAfter"/> (the segment being ingested, starting at the offset).
    /// </summary>
    private void DivergeTcp(Flow flow, TcpStream tcp, DivergenceKind kind, long offset, TimeSpan now, Side? incomingSide,
        ReadOnlySpan<byte> incomingAfter)
    {
        ReadOnlySpan<byte> before = tcp.History.AsSpan(0, tcp.HistoryCount);
        byte[] primary = Context(before, incomingSide == Side.Primary ? incomingAfter : default, tcp.PrimaryBytes, offset,
            incomingSide == Side.Primary, tcp.PrimaryFin);
        byte[] secondary = Context(before, incomingSide == Side.Secondary ? incomingAfter : default, tcp.SecondaryBytes, offset,
            incomingSide == Side.Secondary, tcp.SecondaryFin);
        var divergence = new Divergence
        {
            Flow = flow.Key,
            Kind = kind,
            StreamOffset = offset - tcp.ReportBase,
            Sequence = tcp.SequenceAt(offset),
            IsnKnown = tcp.IsnKnown,
            PrimaryContext = primary,
            SecondaryContext = secondary,
            ContextOffset = before.Length,
            Time = now,
            RecentFrames = _recorder.Recent(flow),
        };
        Diverge(flow, divergence, now);
    }

    private static byte[] Context(ReadOnlySpan<byte> before, ReadOnlySpan<byte> incomingAfter, StreamBuffer bytes, long offset,
        bool useIncoming, long fin)
    {
        Span<byte> after = stackalloc byte[ContextBytes];
        int count;
        if (useIncoming)
        {
            count = Math.Min(ContextBytes, incomingAfter.Length);
            incomingAfter[..count].CopyTo(after);
        }
        else
        {
            count = bytes.CopyOut(offset, after);
        }
        if (fin != TcpStream.None && fin >= offset)
            count = (int)Math.Min(count, fin - offset);
        var context = new byte[before.Length + count];
        before.CopyTo(context);
        after[..count].CopyTo(context.AsSpan(before.Length));
        return context;
    }

    private void DivergeDatagram(Flow flow, ReadOnlySpan<byte> primary, ReadOnlySpan<byte> secondary, bool skipChecksum,
        long streamOffset, long datagramIndex, TimeSpan now)
    {
        int at = Math.Max(0, FirstDifference(primary, secondary, skipChecksum));
        int from = Math.Max(0, at - ContextBytes);
        var divergence = new Divergence
        {
            Flow = flow.Key,
            Kind = DivergenceKind.Datagram,
            StreamOffset = streamOffset + at,
            DatagramIndex = datagramIndex,
            DatagramByteOffset = at,
            PrimaryContext = primary[from..Math.Min(primary.Length, at + ContextBytes)].ToArray(),
            SecondaryContext = secondary[from..Math.Min(secondary.Length, at + ContextBytes)].ToArray(),
            ContextOffset = at - from,
            Time = now,
            RecentFrames = _recorder.Recent(flow),
        };
        Diverge(flow, divergence, now);
    }

    /// <summary>
    /// Marks the flow diverged and asks for a checkpoint. Live, its primary frames stay queued until the checkpoint
    /// completes; replay (<see cref="CompareOptions.ReleaseDivergedFlows"/>), they are released without comparison.
    /// Either way the secondary's queued frames are dropped: after the checkpoint the secondary restarts from the
    /// primary's state.
    /// </summary>
    private void Diverge(Flow flow, Divergence divergence, TimeSpan now)
    {
        flow.State = FlowState.Diverged;
        HoldUntilCheckpoint(flow);
        Counters.Divergences++;
        _sink.Diverged(divergence);
        Trigger(CheckpointReason.Divergence, flow.Key, true, Side.Primary, TimeSpan.Zero, now);
        if (_options.ReleaseDivergedFlows)
        {
            FlushFlow(flow, ReleaseReason.Diverged, DropReason.Diverged);
            return;
        }
        while (!flow.Secondary.IsEmpty)
            RemoveSecondary(flow, 0, DropReason.Diverged);
        if (flow.Tcp is { } tcp)
            tcp.SecondaryBytes.Reset(tcp.Confirmed);
    }
}
