using Colo.Packets.Frames;
using Colo.TestSupport.Frames;

namespace Colo.Compare.Tests.Support;

/// <summary>
/// One TCP stream sent by both replicas with independent segmentation (1 byte .. 64 KiB segments), local
/// reordering and retransmissions, interleaved at random: what a comparator may legitimately see.
/// </summary>
internal sealed class StreamScenario
{
    public required uint Isn { get; init; }
    public required byte[] PrimaryStream { get; init; }
    public required byte[] SecondaryStream { get; init; }
    public required List<(Side Side, byte[] Frame)> Frames { get; init; }
    public int PrimaryFrameCount => Frames.Count(f => f.Side == Side.Primary);

    public static StreamScenario Create(int seed, uint isn, int length, int maxSegment, int changedOffset = -1, Side changedSide = Side.Secondary)
    {
        var random = new Random(seed);
        var data = new byte[length];
        random.NextBytes(data);
        byte[] primary = data;
        byte[] secondary = (byte[])data.Clone();
        if (changedOffset >= 0)
        {
            byte[] target = changedSide == Side.Primary ? primary = (byte[])data.Clone() : secondary;
            target[changedOffset] ^= (byte)(1 + random.Next(255));
        }

        List<byte[]> p = Segments(random, isn, primary, maxSegment);
        List<byte[]> s = Segments(random, isn, secondary, maxSegment);
        var frames = new List<(Side, byte[])>
        {
            (Side.Primary, FrameBuilder.Tcp(isn, [], TcpFlags.Syn | TcpFlags.Ack)),
            (Side.Secondary, FrameBuilder.Tcp(isn, [], TcpFlags.Syn | TcpFlags.Ack)),
        };
        int i = 0, j = 0;
        while (i < p.Count || j < s.Count)
        {
            bool takePrimary = j >= s.Count || (i < p.Count && random.Next(2) == 0);
            frames.Add(takePrimary ? (Side.Primary, p[i++]) : (Side.Secondary, s[j++]));
        }
        return new StreamScenario { Isn = isn, PrimaryStream = primary, SecondaryStream = secondary, Frames = frames };
    }

    private static List<byte[]> Segments(Random random, uint isn, byte[] stream, int maxSegment)
    {
        var ranges = new List<(int Start, int Length)>();
        for (int offset = 0; offset < stream.Length;)
        {
            int n = Math.Min(stream.Length - offset, 1 + random.Next(maxSegment));
            ranges.Add((offset, n));
            offset += n;
        }
        // Retransmissions: resend some earlier range (possibly partially overlapping later data).
        int retransmissions = random.Next(ranges.Count / 4 + 1);
        for (int r = 0; r < retransmissions; r++)
        {
            int at = random.Next(ranges.Count);
            (int start, int len) = ranges[random.Next(at + 1)];
            int extra = random.Next(64);
            ranges.Insert(at, (start, Math.Min(Math.Min(len + extra, 65_495), stream.Length - start)));  // 65,495: IPv4's largest TCP payload
        }
        // Local reordering: swap a few neighbours.
        for (int k = 1; k < ranges.Count; k++)
        {
            if (random.Next(8) == 0)
                (ranges[k - 1], ranges[k]) = (ranges[k], ranges[k - 1]);
        }
        var frames = new List<byte[]>(ranges.Count + 1);
        foreach ((int start, int len) in ranges)
            frames.Add(FrameBuilder.Tcp(unchecked(isn + 1 + (uint)start), stream.AsSpan(start, len)));
        return frames;
    }
}
