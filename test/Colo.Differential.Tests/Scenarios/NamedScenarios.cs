using System.Text;
using Colo.TestSupport.Frames;

namespace Colo.Differential.Tests.Scenarios;

/// <summary>
/// The cases of DESIGN.md section 3 as fixed scenarios with fixed interleavings. <see cref="Timing"/> ones run with
/// short timeouts and wait at the end, so timeout checkpoints show.
/// </summary>
internal static class NamedScenarios
{
    private const uint Isn = 0x10000000;
    private const uint Ack = 0x20000000;
    private const ushort SourcePort = 8080;
    private const ushort DestinationPort = 40000;

    public static IReadOnlyList<string> Comparison { get; } =
    [
        "seed-example-resegmented", "seed-example-content-diff", "prefix-match", "retransmission-overlapping-compared",
        "fully-consumed-secondary", "udp-order", "udp-burst-equal", "icmp-order", "gre-ip-id", "ipv6-tcp-diff",
        "ipv6-tcp-same", "vlan-tcp-diff", "qinq-udp-same", "e1000-padded-pure-ack", "ack-gate-lagging-secondary",
        "ack-gate-last-not-max", "ack-gate-wrap", "seq-wrap-resegmented", "seq-wrap-content-diff", "queue-full",
        "fin-one-side", "rst-one-side", "syn-fin-equal", "pure-ack-before-secondary", "secondary-resends-different",
        "reorder-primary", "reorder-primary-release-order", "retransmission-release-order", "secondary-data-after-fin", "qinq-tcp-diff", "arp",
    ];

    public static IReadOnlyList<string> Timing { get; } =
    [
        "timing-prefix-match-leftover", "timing-fully-consumed-secondary", "timing-secondary-missing",
        "timing-equal-streams",
    ];

    public static Scenario Create(string name, ushort number)
    {
        var builder = new ScenarioBuilder(new Scenario(name, null, number), new Random(number));
        var b = new Dsl(builder);
        switch (name)
        {
            case "seed-example-resegmented":
                b.Tcp(Side.Primary, 0, "123").Tcp(Side.Primary, 3, "4567890").Tcp(Side.Secondary, 0, "1234567890");
                break;
            case "seed-example-content-diff":
                b.Tcp(Side.Primary, 0, "123").Tcp(Side.Primary, 3, "4567890").Tcp(Side.Secondary, 0, "1234567X90");
                b.Flow.Features.Add(Feature.ContentDiff);
                break;
            case "prefix-match":
            case "timing-prefix-match-leftover":
                b.Tcp(Side.Primary, 0, "hello").Tcp(Side.Secondary, 0, "hello!");
                b.Flow.Features.Add(Feature.PrefixMatch);
                break;
            case "retransmission-overlapping-compared":
                b.Tcp(Side.Primary, 0, "abcdefghij").Tcp(Side.Secondary, 0, "abcdefghij")
                    .Tcp(Side.Primary, 5, "fghijklmnopqrst").Tcp(Side.Secondary, 10, "klmnopqrst");
                b.Flow.Features.Add(Feature.PartialRetransmit);
                break;
            case "fully-consumed-secondary":
            case "timing-fully-consumed-secondary":
                b.Tcp(Side.Secondary, 0, "abcdefghijklmnopqrst").Tcp(Side.Primary, 0, "abcdefghij").Tcp(Side.Primary, 10, "klmnopqrst");
                b.Flow.Features.Add(Feature.ConsumedSecondary);
                break;
            case "udp-order":
                b.Datagrams(FlowKind.Udp, Side.Primary, "one", "two", "three").Datagrams(FlowKind.Udp, Side.Secondary, "one", "two", "three");
                break;
            case "udp-burst-equal":
                b.Datagrams(FlowKind.Udp, Side.Primary, "same", "same").Datagrams(FlowKind.Udp, Side.Secondary, "same", "same");
                break;
            case "icmp-order":
                b.Datagrams(FlowKind.Icmp, Side.Primary, "ping-1", "ping-2").Datagrams(FlowKind.Icmp, Side.Secondary, "ping-1", "ping-2");
                break;
            case "gre-ip-id":
                b.Datagrams(FlowKind.OtherIp, Side.Primary, "tunnelled").Datagrams(FlowKind.OtherIp, Side.Secondary, "tunnelled");
                b.Flow.Features.Add(Feature.IpIdDiff);
                break;
            case "ipv6-tcp-diff":
                b.UseFlow(FlowKind.Tcp, ipv6: true).Tcp(Side.Primary, 0, "GET / HTTP/1.1").Tcp(Side.Secondary, 0, "GET / HTTP/1.0");
                b.Flow.Features.Add(Feature.ContentDiff);
                break;
            case "ipv6-tcp-same":
                b.UseFlow(FlowKind.Tcp, ipv6: true).Tcp(Side.Primary, 0, "0123").Tcp(Side.Primary, 4, "4567").Tcp(Side.Secondary, 0, "01234567");
                break;
            case "vlan-tcp-diff":
                b.UseFlow(FlowKind.Tcp, vlans: [100]).Tcp(Side.Secondary, 0, "status: ok").Tcp(Side.Primary, 0, "status: no");
                b.Flow.Features.Add(Feature.ContentDiff);
                break;
            case "qinq-udp-same":
                b.UseFlow(FlowKind.Udp, vlans: [10, 20]).Datagrams(FlowKind.Udp, Side.Secondary, "q").Datagrams(FlowKind.Udp, Side.Primary, "q");
                break;
            case "e1000-padded-pure-ack":
                b.Padded().Tcp(Side.Secondary, 0, "0123456789abcdefghij").Tcp(Side.Primary, 0, "0123456789")
                    .Tcp(Side.Primary, 10, "").Tcp(Side.Primary, 10, "abcdefghij");
                b.Flow.Features.Add(Feature.Padded);
                b.Flow.Features.Add(Feature.PureAck);
                break;
            case "ack-gate-lagging-secondary":
                b.Tcp(Side.Secondary, 0, "0123456789", Ack).Tcp(Side.Primary, 0, "01234", Ack + 100)
                    .Tcp(Side.Primary, 5, "56789", Ack + 100).Tcp(Side.Secondary, 10, "", Ack + 100);
                b.Flow.Features.Add(Feature.AckLag);
                break;
            case "ack-gate-last-not-max":
                b.Tcp(Side.Secondary, 0, "0123456789", Ack + 100).Tcp(Side.Secondary, 10, "", Ack)
                    .Tcp(Side.Primary, 0, "01234", Ack + 100).Tcp(Side.Primary, 5, "56789", Ack + 100);
                b.Flow.Features.Add(Feature.AckLag);
                break;
            case "ack-gate-wrap":
                b.Tcp(Side.Secondary, 0, "0123456789", 0xFFFFFFF0).Tcp(Side.Primary, 0, "01234", 0x10)
                    .Tcp(Side.Primary, 5, "56789", 0x10).Tcp(Side.Secondary, 10, "", 0x10);
                b.Flow.Features.Add(Feature.AckLag);
                b.Flow.Features.Add(Feature.AckWrap);
                break;
            case "seq-wrap-resegmented":
                b.WithIsn(0xFFFFFFF8).Tcp(Side.Primary, 0, "0123456").Tcp(Side.Secondary, 0, "0123456789abcdef")
                    .Tcp(Side.Primary, 7, "789abcdef");
                b.Flow.Features.Add(Feature.SequenceWrap);
                break;
            case "seq-wrap-content-diff":
                b.WithIsn(0xFFFFFFFE).Tcp(Side.Primary, 0, "0123456789").Tcp(Side.Secondary, 0, "01234").Tcp(Side.Secondary, 5, "5678X");
                b.Flow.Features.Add(Feature.SequenceWrap);
                b.Flow.Features.Add(Feature.ContentDiff);
                break;
            case "queue-full":
                b.UseFlow(FlowKind.Udp).Flow.Features.Add(Feature.QueueFull);
                for (var i = 0; i < 67; i++)
                    b.Datagrams(FlowKind.Udp, Side.Primary, $"datagram {i}");
                break;
            case "fin-one-side":
                b.Tcp(Side.Primary, 0, "bye").Tcp(Side.Secondary, 0, "bye").Tcp(Side.Primary, 3, "", flags: TcpSegment.Fin | TcpSegment.AckFlag)
                    .Tcp(Side.Secondary, 3, "more");
                b.Flow.Features.Add(Feature.FinOneSide);
                break;
            case "rst-one-side":
                b.Tcp(Side.Primary, 0, "x").Tcp(Side.Secondary, 0, "x").Tcp(Side.Primary, 1, "", flags: 0x04 | TcpSegment.AckFlag)
                    .Tcp(Side.Secondary, 1, "y");
                b.Flow.Features.Add(Feature.FinOneSide);
                break;
            case "syn-fin-equal":
                b.Tcp(Side.Primary, -1, "", flags: TcpSegment.Syn | TcpSegment.AckFlag).Tcp(Side.Secondary, -1, "", flags: TcpSegment.Syn | TcpSegment.AckFlag)
                    .Tcp(Side.Primary, 0, "hi").Tcp(Side.Secondary, 0, "hi")
                    .Tcp(Side.Primary, 2, "", flags: TcpSegment.Fin | TcpSegment.AckFlag).Tcp(Side.Secondary, 2, "", flags: TcpSegment.Fin | TcpSegment.AckFlag);
                b.Flow.Features.Add(Feature.Syn);
                b.Flow.Features.Add(Feature.Fin);
                break;
            case "pure-ack-before-secondary":
                b.Tcp(Side.Primary, 0, "").Tcp(Side.Secondary, 0, "").Tcp(Side.Primary, 0, "data").Tcp(Side.Secondary, 0, "data");
                b.Flow.Features.Add(Feature.PureAck);
                break;
            case "secondary-resends-different":
                b.Tcp(Side.Secondary, 0, "abcdef").Tcp(Side.Secondary, 0, "abcXef").Tcp(Side.Primary, 0, "abcdef");
                b.Flow.Features.Add(Feature.OverlapDiffers);
                break;
            case "reorder-primary":
                b.Tcp(Side.Primary, 5, "fghij").Tcp(Side.Secondary, 0, "abcde").Tcp(Side.Primary, 0, "abcde").Tcp(Side.Secondary, 5, "fghij");
                b.Flow.Features.Add(Feature.ReorderPrimary);
                break;
            case "reorder-primary-release-order":
                b.Tcp(Side.Primary, 5, "fghij").Tcp(Side.Primary, 0, "abcde").Tcp(Side.Secondary, 0, "abcdefghij");
                b.Flow.Features.Add(Feature.ReorderPrimary);
                break;
            case "retransmission-release-order":
                b.Tcp(Side.Primary, 0, "abcde").Tcp(Side.Secondary, 0, "abcde").Tcp(Side.Primary, 5, "fghij")
                    .Tcp(Side.Primary, 0, "abcde").Tcp(Side.Secondary, 5, "fghij");
                b.Flow.Features.Add(Feature.RetransmitPrimary);
                break;
            case "secondary-data-after-fin":
                b.Tcp(Side.Primary, 0, "abc").Tcp(Side.Secondary, 0, "abc").Tcp(Side.Primary, 3, "", flags: TcpSegment.Fin | TcpSegment.AckFlag)
                    .Tcp(Side.Secondary, 3, "def").Tcp(Side.Secondary, 6, "", flags: TcpSegment.Fin | TcpSegment.AckFlag);
                b.Flow.Features.Add(Feature.Fin);
                b.Flow.Features.Add(Feature.LengthDiff);
                break;
            case "qinq-tcp-diff":
                b.UseFlow(FlowKind.Tcp, vlans: [10, 20]).Tcp(Side.Primary, 0, "status: no").Tcp(Side.Secondary, 0, "status: ok");
                b.Flow.Features.Add(Feature.ContentDiff);
                break;
            case "arp":
                b.Raw(Side.Primary, Arp(1)).Raw(Side.Secondary, Arp(2));
                break;
            case "timing-secondary-missing":
                b.Tcp(Side.Primary, 0, "only the primary says this");
                break;
            case "timing-equal-streams":
                b.Tcp(Side.Primary, 0, "equal").Tcp(Side.Secondary, 0, "equal");
                break;
            default:
                throw new ArgumentException($"unknown named scenario '{name}'", nameof(name));
        }

        return ScenarioAnalysis.Annotate(builder.Scenario);
    }

    /// <summary>An ARP reply padded to 60 bytes as e1000 sends it; <paramref name="sender"/> tells the replicas' frames apart.</summary>
    private static byte[] Arp(byte sender) =>
        FrameBuilder.Arp(reply: true, senderHost: sender, padTo: FrameBuilder.MinimumFrameLength);

    /// <summary>A small language for fixed interleavings: each call appends one step.</summary>
    private sealed class Dsl(ScenarioBuilder builder)
    {
        private FlowInfo? _flow;
        private uint _isn = Isn;
        private bool _pad;
        private readonly ushort[] _datagramSequence = new ushort[2];

        public FlowInfo Flow => _flow ??= builder.AddFlow(FlowKind.Tcp, "tcp");

        public Dsl UseFlow(FlowKind kind, bool ipv6 = false, ushort[]? vlans = null)
        {
            _flow = builder.AddFlow(kind, kind.ToString().ToLowerInvariant(), ipv6, vlans);
            return this;
        }

        public Dsl WithIsn(uint isn)
        {
            _isn = isn;
            return this;
        }

        public Dsl Padded()
        {
            _pad = true;
            return this;
        }

        public Dsl Tcp(Side side, long offset, string data, uint ack = Ack, byte flags = TcpSegment.Psh | TcpSegment.AckFlag)
        {
            var segment = new TcpSegment(offset, Encoding.ASCII.GetBytes(data), data.Length == 0 && flags == (TcpSegment.Psh | TcpSegment.AckFlag) ? TcpSegment.AckFlag : flags, ack);
            var frame = builder.TcpFrames(Flow, side, [segment], SourcePort, DestinationPort, _isn, timestamps: !_pad, _pad)[0];
            builder.Append(Flow, side, frame);
            return this;
        }

        public Dsl Datagrams(FlowKind kind, Side side, params string[] payloads)
        {
            if (_flow is null || _flow.Kind != kind)
                UseFlow(kind);
            foreach (var payload in payloads)
            {
                var sequence = _datagramSequence[(int)side]++;
                var frame = ScenarioGenerator.Datagram(builder, Flow, kind, side, SourcePort, 7, sequence, Encoding.ASCII.GetBytes(payload), pad: false);
                builder.Append(Flow, side, frame);
            }

            return this;
        }

        public Dsl Raw(Side side, byte[] frame)
        {
            builder.Append(Flow, side, frame);
            return this;
        }
    }
}
