namespace Colo.Compare.Internal;

/// <summary>
/// Fixed-size byte chunks, the unit in which the engine holds frame and stream bytes. One size means no size classes
/// that waste up to half of each buffer, no growth by copying, and 8 KiB stays far below the large-object-heap
/// threshold, so holding or dropping a backlog of any size never allocates or collects large objects. Chunks that come
/// back are kept for reuse while held plus kept stays within the engine's memory cap: a backlog that drains and builds
/// up again reuses the same chunks (no allocation, no page zeroing). Single-threaded, like the engine.
/// </summary>
/// <remarks>
/// Why 8 KiB: every flow with a backlog holds a partly used chunk at either end of its stream and of its header store,
/// so with a thousand flows and a 200 MB backlog 16 KiB chunks charged 268.7 MB (past the 256 MiB cap) and 8 KiB
/// chunks 251 MB. 8 KiB still holds five 1514-byte datagrams (4 KiB would hold two and waste a quarter) and measured as
/// fast in the engine benchmarks.
/// </remarks>
internal sealed class ChunkPool
{
    public const int ChunkShift = 13;
    public const int ChunkSize = 1 << ChunkShift;
    public const int ChunkMask = ChunkSize - 1;

    private readonly Stack<byte[]> _free = new();
    private readonly long _maxTotalBytes;

    public ChunkPool(long maxTotalBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTotalBytes, ChunkSize);
        _maxTotalBytes = maxTotalBytes;
    }

    /// <summary>Bytes in chunks handed out and not returned: what the engine holds (charged to its memory cap).</summary>
    public long HeldBytes { get; private set; }

    /// <summary>Bytes in chunks kept for reuse.</summary>
    public long FreeBytes => (long)_free.Count * ChunkSize;

    /// <summary>Chunks allocated since the pool was created (steady state: none).</summary>
    public long Allocated { get; private set; }

    public byte[] Rent()
    {
        HeldBytes += ChunkSize;
        if (_free.TryPop(out byte[]? chunk))
            return chunk;
        Allocated++;
        return new byte[ChunkSize];
    }

    public void Return(byte[] chunk)
    {
        HeldBytes -= ChunkSize;
        if (HeldBytes + FreeBytes + ChunkSize <= _maxTotalBytes)
            _free.Push(chunk);
    }
}
