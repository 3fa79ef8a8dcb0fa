namespace Colo.Compare.Internal;

/// <summary>A chunk reference in a stream buffer's table (a struct, so the table's blocks hold plain references).</summary>
internal struct ChunkSlot
{
    public byte[]? Chunk;
}
