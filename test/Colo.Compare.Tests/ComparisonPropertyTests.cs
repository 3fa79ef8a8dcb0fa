using Colo.Compare.Tests.Support;
using Colo.Packets.Frames;
using CsCheck;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Compare.Tests;

/// <summary>The invariants of STYLE.md's test section, checked over random inputs (the seed is printed on failure).</summary>
public class ComparisonPropertyTests
{
    // An IPv4 datagram is at most 65,535 bytes: 20 of IP header and 20 of TCP header leave 65,495 of payload. A larger
    // segment would wrap the total-length field and describe another (truncated) frame.
    private const int MaxIpv4TcpPayload = 65_535 - 20 - 20;

    private static readonly Gen<uint> IsnGen = Gen.OneOf<uint>(Gen.UInt, Gen.OneOf(0u, 1u, 0x7FFFFFFFu, 0xFFFFFFF5u, 0xFFFFFFFFu));

    [Fact]
    public void EqualStreams_AnySegmentationInterleavingAndRetransmission_NeverDivergeAndReleaseEverything()
    {
        Gen.Select(Gen.Int, IsnGen, Gen.Int[1, 200_000], Gen.OneOf(1, 16, 536, 1448, 9000, MaxIpv4TcpPayload))
            .Sample((seed, isn, length, maxSegment) =>
            {
                var scenario = StreamScenario.Create(seed, isn, length, Math.Min(maxSegment, Math.Max(1, length / 2 + 1)));
                var h = new EngineHarness();

                foreach ((Side side, byte[] frame) in scenario.Frames)
                    (side == Side.Primary ? h.Primary(frame) : h.Secondary(frame)).Advance(TimeSpan.FromMilliseconds(1));

                Assert.Empty(h.Sink.Divergences);
                Assert.Equal(scenario.PrimaryFrameCount, h.Sink.Released.Count);
                Assert.Equal(0, h.Engine.Counters.SecondaryQueued);
                Assert.Equal(0, h.Engine.BufferedBytes);
                h.AssertBalanced();
            }, iter: 60);
    }

    [Fact]
    public void OneChangedByte_DivergesExactlyAtItsOffset()
    {
        Gen.Select(Gen.Int, IsnGen, Gen.Int[1, 60_000], Gen.Double[0, 1], Gen.Bool)
            .Sample((seed, isn, length, where, changePrimary) =>
            {
                int offset = Math.Min(length - 1, (int)(where * length));
                var scenario = StreamScenario.Create(seed, isn, length, 1448, offset, changePrimary ? Side.Primary : Side.Secondary);
                var h = new EngineHarness();

                foreach ((Side side, byte[] frame) in scenario.Frames)
                    _ = side == Side.Primary ? h.Primary(frame) : h.Secondary(frame);

                Assert.True(h.Sink.Divergences.Count == 1, $"length {length} offset {offset} changed {(changePrimary ? "primary" : "secondary")} isn {isn}: " +
                    $"{h.Sink.Divergences.Count} divergences, released {h.Sink.Released.Count}/{scenario.PrimaryFrameCount}, " +
                    $"S queued {h.Engine.Counters.SecondaryQueued}, S dropped {h.Engine.Counters.SecondaryDropped}, triggers {h.Sink.Triggers.Count}");
                Divergence d = h.Sink.Divergences[0];
                Assert.Equal(offset, d.StreamOffset);
                Assert.Equal(unchecked(isn + 1 + (uint)offset), d.Sequence);
                Assert.Equal(scenario.PrimaryStream[offset], d.PrimaryContext[d.ContextOffset]);
                Assert.Equal(scenario.SecondaryStream[offset], d.SecondaryContext[d.ContextOffset]);
                h.AssertBalanced();
            }, iter: 100);
    }

    [Fact]
    public void AccountingIdentity_HoldsForAnyOperations()
    {
        Gen.Select(Gen.Int, Gen.Int[1, 400]).Sample((seed, steps) =>
        {
            var random = new Random(seed);
            var h = new EngineHarness(new CompareOptions { MaxQueueSize = 8, MaxFlows = 16, MaxBufferedBytes = 64 * 1024 });
            var next = new uint[2 * 6];
            for (int step = 0; step < steps; step++)
            {
                int flow = random.Next(6);
                Side side = random.Next(2) == 0 ? Side.Primary : Side.Secondary;
                byte[] payload = Ascii(new string((char)('a' + random.Next(3)), random.Next(0, 40)));
                switch (random.Next(13))
                {
                    case 12:
                        {
                            // Some or all fragments of a datagram, in any order.
                            List<byte[]> fragments = UdpFragments(Ascii(new string('f', random.Next(1, 90))), 16,
                                (ushort)random.Next(4), sourcePort: (ushort)(200 + flow));
                            foreach (byte[] fragment in fragments.Where(_ => random.Next(4) != 0).OrderBy(_ => random.Next()))
                                _ = side == Side.Primary ? h.Primary(fragment) : h.Secondary(fragment);
                            break;
                        }
                    case < 6:
                        {
                            ref uint seq = ref next[flow * 2 + (int)side];
                            uint at = random.Next(5) == 0 ? seq - (uint)random.Next(20) : seq;
                            TcpFlags flags = TcpFlags.Ack | (random.Next(30) == 0 ? TcpFlags.Fin : 0) | (random.Next(60) == 0 ? TcpFlags.Rst : 0);
                            byte[] frame = Tcp(at, payload, flags, acknowledgment: (uint)random.Next(1000, 1010), sourcePort: (ushort)(100 + flow));
                            _ = side == Side.Primary ? h.Primary(frame) : h.Secondary(frame);
                            seq = at + (uint)payload.Length;
                            break;
                        }
                    case < 9:
                        {
                            byte[] frame = Udp(payload, sourcePort: (ushort)(200 + flow));
                            _ = side == Side.Primary ? h.Primary(frame) : h.Secondary(frame);
                            break;
                        }
                    case 9:
                        _ = side == Side.Primary ? h.Primary(Arp()) : h.Secondary(IcmpEcho(1, 1, payload));
                        break;
                    case 10:
                        h.Advance(TimeSpan.FromMilliseconds(random.Next(2000)));
                        break;
                    default:
                        switch (random.Next(10))
                        {
                            case 0:
                                h.Engine.Failover(h.Now);
                                break;
                            case 1:
                                h.Engine.AddPassthrough(new PassthroughRule(IpProtocol.Udp, null, (ushort)(200 + flow), null, null));
                                break;
                            default:
                                h.Engine.CompleteCheckpoint(h.Now);
                                break;
                        }
                        break;
                }
                h.AssertBalanced();
            }
            h.Engine.ReleaseAll(h.Now);
            h.AssertBalanced();
            Assert.Equal(0, h.Engine.Counters.PrimaryQueued);
            Assert.Equal(0, h.Engine.BufferedBytes);
        }, iter: 200);
    }
}
