using System.Net;
using Colo.Packets.Frames;

namespace Colo.Packets.Tests.Frames;

/// <summary>The specification's reference vectors (seed 0), in both directions.</summary>
public sealed class CommunityIdTests
{
    [Theory]
    [InlineData("128.232.110.120", 34855, "66.35.250.204", 80, 6, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=")]
    [InlineData("192.168.1.52", 54585, "8.8.8.8", 53, 17, "1:d/FP5EW3wiY1vCndhwleRRKHowQ=")]
    [InlineData("2001:470:e5bf:dead:4957:2174:e82c:4887", 63943, "2607:f8b0:400c:c03::1a", 25, 6, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4=")]
    [InlineData("192.168.170.8", 7, "192.168.170.56", 7, 132, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs=")]
    public void Compute_ReferenceVector_SameIdEitherDirection(string source, ushort sourcePort, string destination, ushort destinationPort, byte protocol, string expected)
    {
        IPAddress a = IPAddress.Parse(source), b = IPAddress.Parse(destination);

        Assert.Equal(expected, CommunityId.Compute(a, sourcePort, b, destinationPort, protocol));
        Assert.Equal(expected, CommunityId.Compute(b, destinationPort, a, sourcePort, protocol));
    }

    [Fact]
    public void ComputeIcmp_EchoRequestAndReply_ReferenceVector()
    {
        IPAddress host = IPAddress.Parse("192.168.0.89"), router = IPAddress.Parse("192.168.0.1");

        Assert.Equal("1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", CommunityId.ComputeIcmp(host, router, IpProtocol.Icmp, 8, 0));
        Assert.Equal("1:X0snYXpgwiv9TZtqg64sgzUn6Dk=", CommunityId.ComputeIcmp(router, host, IpProtocol.Icmp, 0, 0));
    }

    [Fact]
    public void ComputeIcmp_Icmpv6EchoRequestAndReply_ReferenceVector()
    {
        IPAddress a = IPAddress.Parse("3ffe:507:0:1:200:86ff:fe05:80da"), b = IPAddress.Parse("3ffe:501:0:1001::2");

        Assert.Equal("1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", CommunityId.ComputeIcmp(a, b, IpProtocol.Icmpv6, 128, 0));
        Assert.Equal("1:+TW+HtLHvV1xnGhV1lv7XoJrqQg=", CommunityId.ComputeIcmp(b, a, IpProtocol.Icmpv6, 129, 0));
    }

    [Fact]
    public void Of_TcpFlowKey_SameAsFromAddresses()
    {
        var flow = new FlowKey(4, IpProtocol.Tcp, 0x4223FACC, 80, 0x80E86E78, 34855);

        Assert.Equal("1:LQU9qZlK+B5F3KDmev6m5PMibrg=", CommunityId.Of(flow));
    }
}
