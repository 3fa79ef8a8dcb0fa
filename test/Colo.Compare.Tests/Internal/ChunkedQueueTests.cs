using Colo.Compare.Internal;

namespace Colo.Compare.Tests.Internal;

public class ChunkedQueueTests
{
    [Fact]
    public void EnqueueDequeue_ManyBlocks_KeepsOrderAndGivesBlocksBack()
    {
        var pool = new BlockPool<long>(1 << 20);
        var queue = new ChunkedQueue<long>();

        for (long i = 0; i < 1000; i++)
            queue.Enqueue(i, pool);
        Assert.Equal(1000, queue.Count);
        for (long i = 0; i < 1000; i++)
            Assert.Equal(i, queue.Dequeue(pool));

        Assert.True(queue.IsEmpty);
        Assert.Equal(0, pool.HeldBytes);
    }

    [Fact]
    public void InsertAndRemoveAt_AnyPosition_MatchAList()
    {
        var pool = new BlockPool<int>(1 << 20);
        var queue = new ChunkedQueue<int>();
        var expected = new List<int>();
        var random = new Random(5);

        for (int step = 0; step < 5000; step++)
        {
            int op = random.Next(4);
            if (op == 0 || expected.Count == 0)
            {
                int at = random.Next(expected.Count + 1);
                queue.Insert(at, step, pool);
                expected.Insert(at, step);
            }
            else if (op == 1)
            {
                int at = random.Next(expected.Count);
                queue.RemoveAt(at, pool);
                expected.RemoveAt(at);
            }
            else if (op == 2)
            {
                Assert.Equal(expected[0], queue.Dequeue(pool));
                expected.RemoveAt(0);
            }
            else
            {
                queue.Enqueue(step, pool);
                expected.Add(step);
            }
            Assert.Equal(expected.Count, queue.Count);
        }

        for (int i = 0; i < expected.Count; i++)
            Assert.Equal(expected[i], queue[i]);
        queue.Clear(pool);
        Assert.Equal(0, pool.HeldBytes);
    }

    [Fact]
    public void StandingQueue_SteadyState_AllocatesNoBlocks()
    {
        var pool = new BlockPool<long>(1 << 20);
        var queue = new ChunkedQueue<long>();
        for (long i = 0; i < 300; i++)
            queue.Enqueue(i, pool);
        long allocated = pool.Allocated;

        for (long i = 300; i < 100_000; i++)
        {
            queue.Enqueue(i, pool);
            queue.Dequeue(pool);
        }

        Assert.Equal(allocated + 1, pool.Allocated);
    }
}
