using Colo.Compare.Internal;

namespace Colo.Compare.Tests.Internal;

public class ChunkedStoreTests
{
    private static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    [Fact]
    public void Append_ContiguousFrames_NeverStraddleAChunkAndReadBackWhole()
    {
        var pool = new ChunkPool(1 << 24);
        var store = new ChunkedStore(pool);
        var positions = new List<(long Position, byte[] Data)>();

        for (int i = 0; i < 100; i++)
        {
            byte[] frame = Bytes(1514, i);
            long position = store.Append(frame, contiguous: true);
            store.Pin(position, frame.Length);
            positions.Add((position, frame));
        }

        foreach ((long position, byte[] data) in positions)
        {
            Assert.True(ChunkedStore.IsContiguous(position, data.Length));
            Assert.True(store.GetSpan(position, data.Length).SequenceEqual(data));
        }
    }

    [Fact]
    public void Append_LargerThanAChunk_SplitsAndCopiesBack()
    {
        var store = new ChunkedStore(new ChunkPool(1 << 24));
        byte[] big = Bytes(69632, 1);

        long position = store.Append(big, contiguous: true);
        store.Pin(position, big.Length);
        var back = new byte[big.Length];
        store.CopyTo(position, back);

        Assert.Equal(big, back);
        Assert.False(ChunkedStore.IsContiguous(position, big.Length));
    }

    [Fact]
    public void Unpin_EveryItem_GivesEveryChunkBackAndHoldsNothing()
    {
        var pool = new ChunkPool(1 << 24);
        var store = new ChunkedStore(pool);
        var items = new List<(long, int)>();
        for (int i = 0; i < 500; i++)
        {
            byte[] frame = Bytes(100 + i * 7 % 3000, i);
            long position = store.Append(frame, contiguous: true);
            store.Pin(position, frame.Length);
            items.Add((position, frame.Length));
        }
        Assert.True(pool.HeldBytes > 0);

        // Out of order: every other item first, then the rest.
        for (int i = 0; i < items.Count; i += 2)
            store.Unpin(items[i].Item1, items[i].Item2);
        for (int i = 1; i < items.Count; i += 2)
            store.Unpin(items[i].Item1, items[i].Item2);

        Assert.Equal(0, pool.HeldBytes);
        Assert.True(store.IsEmpty);
        Assert.Equal(0, store.ChunksHeld);
    }

    [Fact]
    public void Unpin_FrontItemsOfALongLog_ReturnsTheirChunksWhileTheRestStays()
    {
        var pool = new ChunkPool(1 << 24);
        var store = new ChunkedStore(pool);
        var items = new Queue<(long, int)>();
        byte[] frame = Bytes(1514, 3);
        // A standing backlog: append 10 frames, drop the oldest 9, repeatedly; what is held must stay bounded.
        long peak = 0;
        long allocatedAfterWarmup = 0;
        for (int round = 0; round < 2000; round++)
        {
            if (round == 200)
                allocatedAfterWarmup = pool.Allocated;
            long position = store.Append(frame, contiguous: true);
            store.Pin(position, frame.Length);
            items.Enqueue((position, frame.Length));
            if (items.Count > 50)
            {
                (long p, int l) = items.Dequeue();
                store.Unpin(p, l);
            }
            peak = Math.Max(peak, pool.HeldBytes);
        }

        // 50 frames packed as many to a chunk as fit whole, plus the chunk being filled and the one being emptied.
        int perChunk = ChunkPool.ChunkSize / frame.Length;
        long bound = ((50 + perChunk - 1) / perChunk + 2) * (long)ChunkPool.ChunkSize;
        Assert.True(peak <= bound, $"held {peak} bytes for 50 frames of 1514 bytes (at most {bound})");
        Assert.Equal(allocatedAfterWarmup, pool.Allocated);
    }

    [Fact]
    public void ChunkPool_ReturnedChunks_AreReusedWithinTheBudget()
    {
        var pool = new ChunkPool(4 * ChunkPool.ChunkSize);
        byte[][] chunks = [pool.Rent(), pool.Rent(), pool.Rent(), pool.Rent(), pool.Rent()];
        foreach (byte[] chunk in chunks)
            pool.Return(chunk);

        Assert.Equal(0, pool.HeldBytes);
        Assert.Equal(4 * ChunkPool.ChunkSize, pool.FreeBytes);
        for (int i = 0; i < 4; i++)
            pool.Rent();
        Assert.Equal(5, pool.Allocated);
    }
}
