using Colo.Compare.Internal;

namespace Colo.Compare.Tests.Internal;

public class StreamBufferTests
{
    private static readonly byte[] Data = Enumerable.Range(0, 200_000).Select(i => (byte)(i * 31 + 7)).ToArray();

    private static (StreamBuffer Buffer, EngineMemory Memory) Create()
    {
        var memory = new EngineMemory(1L << 30);
        return (new StreamBuffer(memory), memory);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5000)]
    [InlineData(1L << 40)]
    public void Write_OutOfOrderSegments_ReadBackInPlaceAndContiguous(long origin)
    {
        (StreamBuffer buffer, _) = Create();
        buffer.Reset(origin);
        var order = Enumerable.Range(0, 100).Select(i => i * 1448).OrderBy(i => (i * 7919) % 101).ToList();

        foreach (int at in order)
            Assert.Equal(StreamWrite.Stored, buffer.Write(origin + at, Data.AsSpan(at, 1448), out _));

        Assert.Equal(origin + 144_800, buffer.ContiguousEnd);
        var back = new byte[144_800];
        buffer.CopyTo(origin, back);
        Assert.True(back.AsSpan().SequenceEqual(Data.AsSpan(0, 144_800)));
    }

    [Fact]
    public void Write_OverlapWithOtherBytes_ConflictAtFirstDifferenceAndNothingStored()
    {
        (StreamBuffer buffer, _) = Create();
        buffer.Write(0, Data.AsSpan(0, 100), out _);
        byte[] changed = Data.AsSpan(50, 100).ToArray();
        changed[30] ^= 1;

        StreamWrite result = buffer.Write(50, changed, out long conflict);

        Assert.Equal(StreamWrite.Conflict, result);
        Assert.Equal(80, conflict);
        Assert.Equal(100, buffer.ContiguousEnd);
    }

    [Fact]
    public void Write_MoreHolesThanAllowed_RefusedWithoutStoring()
    {
        (StreamBuffer buffer, _) = Create();
        for (int i = 0; i < StreamBuffer.MaxIntervals; i++)
            Assert.Equal(StreamWrite.Stored, buffer.Write(i * 2L, Data.AsSpan(0, 1), out _));

        Assert.Equal(StreamWrite.TooFragmented, buffer.Write(StreamBuffer.MaxIntervals * 2L + 10, Data.AsSpan(0, 1), out _));
        // Filling a hole still works: it merges intervals.
        Assert.Equal(StreamWrite.Stored, buffer.Write(1, Data.AsSpan(1, 1), out _));
    }

    [Fact]
    public void AdvanceTo_PastEverything_GivesEveryChunkBack()
    {
        (StreamBuffer buffer, EngineMemory memory) = Create();
        for (int at = 0; at < 150_000; at += 1448)
            buffer.Write(at, Data.AsSpan(at, 1448), out _);
        Assert.True(memory.Chunks.HeldBytes >= 150_000);

        buffer.AdvanceTo(75_000);
        Assert.True(memory.Chunks.HeldBytes <= 150_000 - 75_000 + 2 * ChunkPool.ChunkSize);
        buffer.AdvanceTo(buffer.ContiguousEnd);

        Assert.Equal(0, memory.Chunks.HeldBytes);
        Assert.Equal(0, memory.HeldBytes);
        Assert.True(buffer.IsEmpty);
    }

    [Fact]
    public void Write_FarApartSegments_HoldOnlyTheChunksWritten()
    {
        (StreamBuffer buffer, EngineMemory memory) = Create();

        buffer.Write(0, Data.AsSpan(0, 10), out _);
        buffer.Write(100L * 1024 * 1024, Data.AsSpan(0, 10), out _);

        Assert.Equal(2 * ChunkPool.ChunkSize, memory.Chunks.HeldBytes);
    }
}
