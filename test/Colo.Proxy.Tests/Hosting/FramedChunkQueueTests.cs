using System.Buffers.Binary;
using Colo.Proxy.Framing;
using Colo.Proxy.Hosting;

namespace Colo.Proxy.Tests.Hosting;

/// <summary>The output's pure bookkeeping, with 16-byte chunks so that frames and length words cross chunks often.</summary>
public class FramedChunkQueueTests
{
    private const int SmallChunks = 4;

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16)]
    [InlineData(1000)]
    public void AdvanceSent_AnySendSizes_YieldsTheFramedBytesInOrder(int sendSize)
    {
        var queue = new FramedChunkQueue(FrameCodec.LengthFieldLength, 1024, SmallChunks);
        byte[][] frames = [Filled(5, 1), Filled(40, 2), Filled(1, 3), Filled(16, 4), Filled(12, 5)];
        foreach (byte[] frame in frames)
            Append(queue, frame);
        queue.Commit();

        byte[] sent = Drain(queue, sendSize);

        Assert.Equal(frames.SelectMany(f => FrameCodec.Encode(f)).ToArray(), sent);
        Assert.Equal(frames.Length, queue.FramesSent);
        Assert.Equal(0, queue.FramesUnsent);
        Assert.Equal(queue.Written, queue.Boundary);
    }

    [Fact]
    public void TryGetSendable_NothingCommitted_False()
    {
        var queue = new FramedChunkQueue(FrameCodec.LengthFieldLength, 1024, SmallChunks);
        Append(queue, Filled(8, 1));

        Assert.False(queue.TryGetSendable(out _));
        Assert.Equal(12, queue.Buffered);
    }

    [Theory]
    [InlineData(1, 0)]   // inside the first length word
    [InlineData(4, 0)]   // the first frame's header only
    [InlineData(9, 0)]   // inside the first frame
    [InlineData(14, 1)]  // exactly the first frame
    [InlineData(16, 1)]  // inside the second frame's length word, which straddles two chunks
    [InlineData(30, 1)]  // inside the second frame
    public void RewindToBoundary_PeerLeftAfterSomeBytes_NextPeerStartsAtTheInterruptedFrame(int sentBeforeLeaving, int wholeFrames)
    {
        // Frame 1 takes bytes 0..13 (4 + 10), frame 2 starts at 14: its length word covers 14..17, across the first chunk's end.
        var queue = new FramedChunkQueue(FrameCodec.LengthFieldLength, 1024, SmallChunks);
        byte[][] frames = [Filled(10, 1), Filled(30, 2)];
        foreach (byte[] frame in frames)
            Append(queue, frame);
        queue.Commit();
        Drain(queue, 1, limit: sentBeforeLeaving);
        Assert.Equal(wholeFrames, queue.FramesSent);

        long partial = queue.RewindToBoundary();
        byte[] resent = Drain(queue, 7);

        Assert.Equal(sentBeforeLeaving - (wholeFrames == 1 ? 14 : 0), partial);
        Assert.Equal(frames[wholeFrames..].SelectMany(f => FrameCodec.Encode(f)).ToArray(), resent);
        Assert.Equal(frames.Length, queue.FramesSent);
    }

    [Fact]
    public void Append_ManyRoundsSentInFull_ReusesItsChunks()
    {
        var queue = new FramedChunkQueue(FrameCodec.LengthFieldLength, 1024, SmallChunks);
        int heldAfterFirstRound = 0;
        for (int round = 0; round < 50; round++)
        {
            for (int i = 0; i < 10; i++)
                Append(queue, Filled(20, (byte)i));
            queue.Commit();
            Drain(queue, 64);
            if (round == 0)
                heldAfterFirstRound = queue.ChunksHeld;
        }

        Assert.Equal(heldAfterFirstRound, queue.ChunksHeld);
        Assert.Equal(500, queue.FramesSent);
    }

    [Fact]
    public void Append_VnetHeader_LengthWordFirstThenVnetWord()
    {
        var queue = new FramedChunkQueue(FrameCodec.HeaderLength(vnetHeader: true), 1024, SmallChunks);
        byte[] frame = Filled(12, 9);
        Span<byte> header = stackalloc byte[8];
        FrameCodec.WriteHeader(header, frame.Length, vnetHeader: true, vnetHeaderLength: 10);
        queue.Append(header, frame);
        queue.Commit();

        Assert.Equal(FrameCodec.Encode(frame, vnetHeader: true, vnetHeaderLength: 10), Drain(queue, 5));
        Assert.Equal(1, queue.FramesSent);
    }

    [Fact]
    public void Append_HeaderForAnotherLength_Throws()
    {
        var queue = new FramedChunkQueue(FrameCodec.LengthFieldLength, 1024, SmallChunks);
        byte[] header = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(header, 7);

        Assert.Throws<ArgumentException>(() => queue.Append(header, new byte[8]));
    }

    private static void Append(FramedChunkQueue queue, byte[] frame)
    {
        Span<byte> header = stackalloc byte[FrameCodec.LengthFieldLength];
        FrameCodec.WriteHeader(header, frame.Length, vnetHeader: false, 0);
        queue.Append(header, frame);
    }

    // Sends committed bytes in pieces of at most sendSize, stopping after limit bytes; returns what was sent.
    private static byte[] Drain(FramedChunkQueue queue, int sendSize, int limit = int.MaxValue)
    {
        var sent = new List<byte>();
        while (sent.Count < limit && queue.TryGetSendable(out ArraySegment<byte> segment))
        {
            int count = Math.Min(Math.Min(sendSize, segment.Count), limit - sent.Count);
            sent.AddRange(segment.AsSpan(0, count).ToArray());
            queue.AdvanceSent(count);
        }
        return [.. sent];
    }

    private static byte[] Filled(int length, byte value) => Enumerable.Repeat(value, length).ToArray();
}
