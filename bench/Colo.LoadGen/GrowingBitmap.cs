namespace Colo.LoadGen;

/// <summary>A set of non-negative indices as bits, grown in 1 Mi-bit chunks (allocates once per million indices).</summary>
internal sealed class GrowingBitmap
{
    private const int ChunkBits = 20;
    private const int ChunkWords = (1 << ChunkBits) / 64;
    private readonly List<ulong[]> _chunks = [];

    /// <summary>Adds <paramref name="index"/>; false when it was already present.</summary>
    public bool TrySet(long index)
    {
        int chunk = (int)(index >> ChunkBits);
        while (_chunks.Count <= chunk)
            _chunks.Add(new ulong[ChunkWords]);
        int bit = (int)(index & ((1 << ChunkBits) - 1));
        ref ulong word = ref _chunks[chunk][bit >> 6];
        ulong mask = 1UL << (bit & 63);
        if ((word & mask) != 0)
            return false;
        word |= mask;
        return true;
    }
}
