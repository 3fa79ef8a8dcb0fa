using System.Runtime.CompilerServices;

namespace Colo.Compare.Internal;

/// <summary>
/// A FIFO of structs with access by position, in pooled fixed-size blocks (<see cref="BlockPool{T}"/>): growing never
/// copies the entries, draining gives blocks back, an empty queue holds nothing. Insertion and removal by position
/// shift the entries after it (used near the tail: a TCP segment slightly out of order; a matched datagram).
/// </summary>
internal struct ChunkedQueue<T>
    where T : struct
{
    private const int BlockShift = BlockPool<T>.BlockShift;
    private const int BlockSize = BlockPool<T>.BlockSize;
    private const int BlockMask = BlockPool<T>.BlockMask;

    private T[]?[]? _blocks;  // ring of blocks; logical entry i is in block (_first + ((_offset + i) >> BlockShift))
    private int _first;       // ring index of the first block
    private int _offset;      // position of entry 0 inside the first block
    private int _count;

    public readonly int Count => _count;

    public readonly bool IsEmpty => _count == 0;

    /// <summary>The entry at <paramref name="index"/> counted from the head.</summary>
    public readonly ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            int at = _offset + index;
            return ref _blocks![(_first + (at >> BlockShift)) & (_blocks.Length - 1)]![at & BlockMask];
        }
    }

    public readonly ref T Head => ref this[0];

    public void Enqueue(in T item, BlockPool<T> pool)
    {
        EnsureSlot(pool);
        this[_count] = item;
        _count++;
    }

    public T Dequeue(BlockPool<T> pool)
    {
        ref T slot = ref this[0];
        T item = slot;
        slot = default;
        _count--;
        _offset++;
        if (_offset == BlockSize || _count == 0)
            ReleaseFirstBlock(pool);
        return item;
    }

    /// <summary>Inserts <paramref name="item"/> before the entry at <paramref name="index"/> (== Count appends).</summary>
    public void Insert(int index, in T item, BlockPool<T> pool)
    {
        EnsureSlot(pool);
        for (int i = _count; i > index; i--)
            this[i] = this[i - 1];
        this[index] = item;
        _count++;
    }

    /// <summary>Removes the entry at <paramref name="index"/>, keeping the order of the others.</summary>
    public void RemoveAt(int index, BlockPool<T> pool)
    {
        if (index == 0)
        {
            Dequeue(pool);
            return;
        }
        int before = BlocksFor(_count);
        for (int i = index; i < _count - 1; i++)
            this[i] = this[i + 1];
        this[_count - 1] = default;
        _count--;
        // A block emptied at the tail goes back.
        if (BlocksFor(_count) < before)
        {
            int last = (_first + before - 1) & (_blocks!.Length - 1);
            pool.Return(_blocks[last]!);
            _blocks[last] = null;
        }
    }

    /// <summary>Empties the queue and gives every block back.</summary>
    public void Clear(BlockPool<T> pool)
    {
        while (_count > 0)
            Dequeue(pool);
    }

    /// <summary>Blocks that <paramref name="count"/> entries from the head occupy.</summary>
    private readonly int BlocksFor(int count) => (_offset + count + BlockMask) >> BlockShift;

    private void EnsureSlot(BlockPool<T> pool)
    {
        _blocks ??= new T[]?[4];
        int at = _offset + _count;
        int blockIndex = at >> BlockShift;
        if (blockIndex >= _blocks.Length)
            Grow();
        ref T[]? block = ref _blocks[(_first + blockIndex) & (_blocks.Length - 1)];
        block ??= pool.Rent();
    }

    private void ReleaseFirstBlock(BlockPool<T> pool)
    {
        ref T[]? block = ref _blocks![_first];
        if (block is not null)
        {
            pool.Return(block);
            block = null;
        }
        if (_count == 0)
        {
            _offset = 0;
            _first = 0;
            return;
        }
        _first = (_first + 1) & (_blocks.Length - 1);
        _offset = 0;
    }

    private void Grow()
    {
        var blocks = new T[]?[_blocks!.Length * 2];
        for (int i = 0; i < _blocks.Length; i++)
            blocks[i] = _blocks[(_first + i) & (_blocks.Length - 1)];
        _blocks = blocks;
        _first = 0;
    }
}
