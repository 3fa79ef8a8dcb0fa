using System.Buffers;
using Colo.Compare;
using Colo.Proxy.Framing;
using Colo.Proxy.Hosting;
using Colo.Proxy.Tests.Framing;
using Colo.TestSupport.Frames;
using static Colo.TestSupport.Frames.FrameBuilder;
using static Colo.TestSupport.Frames.Payloads;

namespace Colo.Proxy.Tests.Hosting;

/// <summary>The per-frame path of the host allocates nothing in steady state.</summary>
public class HotPathAllocationTests
{
    [Fact]
    public void TryReadFrame_SplitFrames_AllocatesNothing()
    {
        byte[] frame = Udp(new byte[1000], 53, 3333, FlowAddress.Between("10.0.0.2", "10.0.0.1"));
        byte[] wire = FrameCodec.Encode(frame, vnetHeader: true, 10);
        ReadOnlySequence<byte> sequence = TestSequence.Create(wire[..7], wire[7..500], wire[500..]);
        byte[] scratch = new byte[wire.Length];
        Read(sequence, scratch);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            Read(sequence, scratch);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }

    private static void Read(ReadOnlySequence<byte> sequence, byte[] scratch)
    {
        Assert.True(FrameCodec.TryReadFrame(ref sequence, true, FrameCodec.DefaultMaxFrameLength, out ReadOnlySequence<byte> frame, out _));
        frame.CopyTo(scratch);
    }

    [Fact]
    public void FrameBatch_RentAddReturn_AllocatesNothingOnceWarm()
    {
        byte[] frame = Udp(new byte[1400], 53, 3333, FlowAddress.Between("10.0.0.2", "10.0.0.1"));
        FrameBatch.Return(FrameBatch.Rent(Side.Primary));

        // Several rounds, the least counted: the pool is shared with tests running in parallel, whose returns may make
        // its queue grow a segment while this thread enqueues (once, not per frame).
        long[] allocated = new long[5];
        for (int round = 0; round < allocated.Length; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1000; i++)
            {
                FrameBatch batch = FrameBatch.Rent(Side.Primary);
                for (int j = 0; j < 100; j++)
                    batch.TryAdd(frame, 0);
                FrameBatch.Return(batch);
            }
            allocated[round] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(0, allocated.Min());
    }

    [Fact]
    public void ShardOf_IpFrame_AllocatesNothing()
    {
        byte[] frame = Tcp(1, new byte[100], acknowledgment: 1, sourcePort: 80, destinationPort: 40000, address: FlowAddress.Between("fd00::2", "fd00::1"));
        InputHandler.ShardOf(frame, 0, 4);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            InputHandler.ShardOf(frame, 0, 4);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
