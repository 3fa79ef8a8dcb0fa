using Colo.Packets.Frames;
using Colo.TestSupport.Frames;
using CsCheck;

namespace Colo.Packets.Tests.Frames;

/// <summary>
/// Properties over arbitrary and damaged frames: <see cref="FrameParser.TryParse"/> never throws, and every
/// offset and length it reports on <see cref="ParseStatus.Ok"/> lies inside the frame.
/// </summary>
public sealed class FrameParserFuzzTests
{
    private const long Iterations = 5_000;

    /// <summary>Valid frames covering every layer the parser walks.</summary>
    private static readonly byte[][] Seeds =
    [
        FrameLayers.Ipv4Tcp(Payloads.Counting(12), tcpOptionsLength: 12),
        FrameLayers.PadTo(FrameLayers.Ipv4Tcp(Payloads.Counting(1)), 60),
        FrameLayers.Ipv6Tcp(Payloads.Counting(9)),
        FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Udp, FrameLayers.Udp(5353, 53, Payloads.Counting(6)), optionsLength: 8)),
        FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Icmp, FrameLayers.Icmp(8, 0, 1, 2, Payloads.Counting(8)))),
        FrameLayers.Ethernet(FrameParser.EtherTypeIpv4,
            FrameLayers.Ipv4(IpProtocol.Tcp, Payloads.Counting(16), flagsFragment: 0x2001)),
        FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(IpProtocol.HopByHop,
            FrameLayers.Ipv6Extension(IpProtocol.Ipv6Routing, 1, FrameLayers.Ipv6Extension(IpProtocol.Ipv6Fragment, 0,
                FrameLayers.Ipv6Fragment(IpProtocol.Icmpv6, 0, false, 9,
                    FrameLayers.Icmp(128, 0, 3, 4, Payloads.Counting(4))))))),
        FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(IpProtocol.Ipv6DestinationOptions,
            FrameLayers.ExtensionChain(8, IpProtocol.Udp, FrameLayers.Udp(1, 2, Payloads.Counting(3))))),
        FrameLayers.Ethernet(FrameParser.EtherTypeIpv4, FrameLayers.Ipv4(IpProtocol.Tcp,
            FrameLayers.Tcp(80, 1234, Payloads.Counting(4))), 0, (FrameLayers.Tpid8021AD, 7), (FrameLayers.Tpid8021Q, 8)),
        FrameLayers.Ethernet(FrameParser.EtherTypeIpv6, FrameLayers.Ipv6(IpProtocol.Udp,
            FrameLayers.Udp(1, 2, Payloads.Counting(3))), 12, (FrameLayers.Tpid8021Q, 5)),
        FrameLayers.Ethernet(FrameParser.EtherTypeIpv4, FrameLayers.Ipv4(IpProtocol.Gre, Payloads.Counting(24)), 10),
    ];

    private static readonly int[] SeedVnetHeaderLengths = [0, 0, 0, 0, 0, 0, 0, 0, 0, 12, 10];

    private static readonly Gen<int> GenVnetHeaderLength = Gen.OneOf(0, 10, 12);

    [Fact]
    public void TryParse_Seeds_AreValidFrames()
    {
        // Arrange
        var statuses = new List<ParseStatus>();

        // Act
        for (int i = 0; i < Seeds.Length; i++)
            statuses.Add(FrameParser.TryParse(Seeds[i], SeedVnetHeaderLengths[i], out _));

        // Assert
        Assert.All(statuses, status => Assert.Equal(ParseStatus.Ok, status));
    }

    [Fact]
    public void TryParse_RandomBytes_NeverThrowsAndStaysInFrame()
    {
        // Arrange
        Gen<(byte[], int)> frames = Gen.Select(Gen.Byte.Array[0, 200], GenVnetHeaderLength);

        // Act + Assert
        frames.Sample((frame, vnet) => AssertParsesWithinFrame(frame, vnet), iter: Iterations, threads: 1);
    }

    [Fact]
    public void TryParse_RandomBytesAfterIpEtherType_NeverThrowsAndStaysInFrame()
    {
        // Arrange: a valid Ethernet header so the random bytes reach the IP and transport parsers.
        Gen<byte[]> frames =
            from etherType in Gen.OneOf(FrameParser.EtherTypeIpv4, FrameParser.EtherTypeIpv6,
                FrameParser.EtherTypeVlan, FrameParser.EtherTypeQinQ)
            from versionIhl in Gen.OneOf<byte>(0x45, 0x46, 0x4F, 0x60)
            from tail in Gen.Byte.Array[0, 120]
            select FrameLayers.Ethernet(etherType, [versionIhl, .. tail]);

        // Act + Assert
        frames.Sample(frame => AssertParsesWithinFrame(frame, 0), iter: Iterations, threads: 1);
    }

    [Fact]
    public void TryParse_EveryTruncationOfValidFrames_NeverThrowsAndStaysInFrame()
    {
        // Arrange
        var failures = new List<string>();

        // Act
        for (int seed = 0; seed < Seeds.Length; seed++)
        {
            for (int length = 0; length <= Seeds[seed].Length; length++)
            {
                string? failure = Check(Seeds[seed][..length], SeedVnetHeaderLengths[seed]);
                if (failure is not null)
                    failures.Add($"seed {seed} cut at {length}: {failure}");
            }
        }

        // Assert
        Assert.Empty(failures);
    }

    [Fact]
    public void TryParse_ValidFramesWithRandomByteFlips_NeverThrowsAndStaysInFrame()
    {
        // Arrange
        Gen<(byte[], int)> frames =
            from seed in Gen.Int[0, Seeds.Length - 1]
            from flips in Gen.Select(Gen.Int[0, 1000], Gen.Byte[1, 255]).Array[1, 4]
            from cut in Gen.Int[0, 1000]
            from truncate in Gen.Bool
            select (Mutate(Seeds[seed], flips, truncate ? cut : -1), SeedVnetHeaderLengths[seed]);

        // Act + Assert
        frames.Sample((frame, vnet) => AssertParsesWithinFrame(frame, vnet), iter: Iterations, threads: 1);
    }

    private static byte[] Mutate(byte[] seed, (int Position, byte Xor)[] flips, int cut)
    {
        byte[] frame = seed.ToArray();
        foreach ((int position, byte xor) in flips)
            frame[position % frame.Length] ^= xor;
        return cut < 0 ? frame : frame[..(cut % (frame.Length + 1))];
    }

    private static void AssertParsesWithinFrame(byte[] frame, int vnetHeaderLength)
    {
        string? failure = Check(frame, vnetHeaderLength);
        Assert.True(failure is null, $"{failure} in {Convert.ToHexString(frame)} (vnet {vnetHeaderLength})");
    }

    /// <summary>Null when the parse did not throw and every reported range lies within the frame; else why not.</summary>
    private static string? Check(byte[] frame, int vnetHeaderLength)
    {
        ParseStatus status;
        PacketInfo info;
        try
        {
            status = FrameParser.TryParse(frame, vnetHeaderLength, out info);
        }
#pragma warning disable CA1031 // the property is exactly that nothing is thrown
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return $"TryParse threw {exception.GetType().Name}: {exception.Message}";
        }

        if (status != ParseStatus.Ok)
            return null;

        int addressLength = info.IpVersion == 6 ? 16 : 4;
        (bool Holds, string Name)[] invariants =
        [
            (info.IpVersion is 4 or 6, "IpVersion is 4 or 6"),
            (info.EthernetOffset == vnetHeaderLength, "EthernetOffset == vnet header length"),
            (info.VlanCount <= 2, "VlanCount <= 2"),
            (info.NetworkOffset == vnetHeaderLength + FrameParser.EthernetHeaderLength
                + (info.VlanCount * FrameParser.VlanTagLength), "NetworkOffset after Ethernet and tags"),
            (info.NetworkHeaderLength >= (info.IpVersion == 6 ? 40 : 20), "NetworkHeaderLength >= minimum"),
            (info.NetworkOffset + info.NetworkHeaderLength <= info.NetworkEnd, "IP header within NetworkEnd"),
            (info.NetworkEnd <= frame.Length, "NetworkEnd <= frame.Length"),
            (info.SourceAddressOffset >= info.NetworkOffset
                && info.SourceAddressOffset + addressLength <= info.NetworkEnd, "source address within packet"),
            (info.DestinationAddressOffset >= info.NetworkOffset
                && info.DestinationAddressOffset + addressLength <= info.NetworkEnd, "destination address within packet"),
            (info.TransportOffset == info.NetworkOffset + info.NetworkHeaderLength, "TransportOffset after IP header"),
            (info.TransportHeaderLength >= 0
                && info.TransportOffset + info.TransportHeaderLength <= info.NetworkEnd, "transport header within packet"),
            (info.PayloadOffset >= info.TransportOffset, "PayloadOffset >= TransportOffset"),
            (info.PayloadLength >= 0, "PayloadLength >= 0"),
            (info.PayloadOffset + info.PayloadLength <= info.NetworkEnd, "PayloadOffset + PayloadLength <= NetworkEnd"),
            (!info.IsFragment || !info.HasTransportHeader, "fragments carry no transport header"),
        ];
        foreach ((bool holds, string name) in invariants)
        {
            if (!holds)
                return $"invariant broken: {name}";
        }

        try
        {
            _ = FlowKey.From(frame, info);
        }
#pragma warning disable CA1031 // the property is exactly that nothing is thrown
        catch (Exception exception)
#pragma warning restore CA1031
        {
            return $"FlowKey.From threw {exception.GetType().Name}: {exception.Message}";
        }

        return null;
    }
}
