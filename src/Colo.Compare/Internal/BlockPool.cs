using System.Runtime.CompilerServices;

namespace Colo.Compare.Internal;

/// <summary>
/// Fixed-size blocks of <typeparamref name="T"/> for <see cref="ChunkedQueue{T}"/>: a queue grows block by block
/// instead of doubling and copying one array (which, for a deep backlog, would be a large-object-heap array), and gives
/// its blocks back as it drains. Blocks that come back are kept while held plus kept stays within a byte budget.
/// Single-threaded, like the engine.
/// </summary>
internal sealed class BlockPool<T>
{
    public const int BlockShift = 6;
    public const int BlockSize = 1 << BlockShift;
    public const int BlockMask = BlockSize - 1;

    private readonly Stack<T[]> _free = new();
    private readonly long _maxTotalBytes;

    public BlockPool(long maxTotalBytes)
    {
        _maxTotalBytes = maxTotalBytes;
    }

    /// <summary>Bytes of one block.</summary>
    public static long BlockBytes => (long)BlockSize * Unsafe.SizeOf<T>();

    /// <summary>Bytes in blocks handed out and not returned (charged to the engine's memory cap).</summary>
    public long HeldBytes { get; private set; }

    public long Allocated { get; private set; }

    public T[] Rent()
    {
        HeldBytes += BlockBytes;
        if (_free.TryPop(out T[]? block))
            return block;
        Allocated++;
        return new T[BlockSize];
    }

    /// <summary>Takes a block back; the caller cleared the entries it used (references must not linger).</summary>
    public void Return(T[] block)
    {
        HeldBytes -= BlockBytes;
        if (HeldBytes + (_free.Count + 1) * BlockBytes <= _maxTotalBytes)
            _free.Push(block);
    }
}
