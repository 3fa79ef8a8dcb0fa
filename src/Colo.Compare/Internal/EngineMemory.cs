namespace Colo.Compare.Internal;

/// <summary>
/// Everything the engine holds for queued frames and stream comparison, in one place so the memory cap charges what is
/// really held: chunks of frame and stream bytes, queue blocks, interval arrays and reassembly buffers. The pools keep
/// what comes back for reuse while held plus kept stays within the cap, so a backlog that drains and builds up again
/// allocates nothing.
/// </summary>
internal sealed class EngineMemory
{
    public EngineMemory(long maxBytes)
    {
        Chunks = new ChunkPool(maxBytes);
        // Queue blocks are a small fraction of what the frames they describe take.
        long blockBudget = Math.Max(maxBytes / 8, 1L << 20);
        ChunkSlots = new BlockPool<ChunkSlot>(blockBudget);
        PendingFrames = new BlockPool<PendingFrame>(blockBudget);
        SecondaryRecords = new BlockPool<SecondaryRecord>(blockBudget);
        Fragments = new FrameBufferPool();
    }

    public ChunkPool Chunks { get; }

    public BlockPool<ChunkSlot> ChunkSlots { get; }

    public BlockPool<PendingFrame> PendingFrames { get; }

    public BlockPool<SecondaryRecord> SecondaryRecords { get; }

    /// <summary>Copies of IP fragments waiting for reassembly (a rare path: pooled arrays by size class).</summary>
    public FrameBufferPool Fragments { get; }

    /// <summary>Interval arrays and fragment buffers held.</summary>
    public long OtherBytes { get; set; }

    /// <summary>Bytes held, as the memory cap counts them.</summary>
    public long HeldBytes => Chunks.HeldBytes + ChunkSlots.HeldBytes + PendingFrames.HeldBytes + SecondaryRecords.HeldBytes + OtherBytes;
}
