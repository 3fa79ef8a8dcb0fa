using Colo.Packets.Frames;
using Colo.TestSupport.Frames;

namespace Colo.Benchmarks;

/// <summary>
/// The benchmarks' traffic: flow f is 10.1.0.1:80 -> 10.2.H.L:(10000 + f % 50000), PSH|ACK segments with window 502.
/// Payload bytes are a function of the stream offset, so both sides carry the same stream however it is cut. Frames
/// come from the shared <see cref="FrameBuilder"/> once, before measuring; the measured loops only rewrite sequence
/// numbers in place (<see cref="FrameBuilder.SetIpv4TcpSequence"/>), which allocates nothing.
/// </summary>
internal static class BenchmarkFlows
{
    public const uint Acknowledgment = 1;

    /// <summary>Flow <paramref name="flow"/>'s segment of <paramref name="payloadLength"/> bytes at <paramref name="streamOffset"/>.</summary>
    public static byte[] Frame(int flow, int payloadLength, uint sequence, long streamOffset, ushort ipId)
    {
        var payload = new byte[payloadLength];
        for (int i = 0; i < payload.Length; i++)
            payload[i] = (byte)(((streamOffset + i) * 131) + flow);
        int host = 1 + (flow / 50000);
        FlowAddress address = FlowAddress.V4(10, 1, 0, 1, 10, 2, (byte)(host >> 8), (byte)host);
        return FrameBuilder.Tcp(sequence, payload, TcpFlags.Ack | TcpFlags.Psh, Acknowledgment, sourcePort: 80,
            destinationPort: (ushort)(10000 + (flow % 50000)), address: address, ipId: ipId, window: 502);
    }

    /// <summary>Initial sequence numbers spread over the whole space, several near the wrap.</summary>
    public static uint Isn(int flow) => unchecked((uint)flow * 2654435761u);
}
