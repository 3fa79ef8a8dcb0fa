using System.Runtime.CompilerServices;

namespace Colo.Compare.Internal;

/// <summary>A growable FIFO of structs with access by position, so queued entries can be updated in place.</summary>
internal struct RingQueue<T>
    where T : struct
{
    private T[] _items;
    private int _head;
    private int _count;

    public RingQueue(int capacity)
    {
        _items = new T[capacity];
    }

    public readonly int Count => _count;

    public readonly bool IsEmpty => _count == 0;

    /// <summary>The entry at <paramref name="index"/> counted from the head.</summary>
    public readonly ref T this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _items[(_head + index) & (_items.Length - 1)];
    }

    public readonly ref T Head => ref _items[_head];

    public void Enqueue(in T item)
    {
        if (_count == _items.Length)
            Grow();
        _items[(_head + _count) & (_items.Length - 1)] = item;
        _count++;
    }

    public T Dequeue()
    {
        ref T slot = ref _items[_head];
        T item = slot;
        slot = default;
        _head = (_head + 1) & (_items.Length - 1);
        _count--;
        return item;
    }

    /// <summary>Inserts <paramref name="item"/> before the entry at <paramref name="index"/> (== Count appends).</summary>
    public void Insert(int index, in T item)
    {
        if (_count == _items.Length)
            Grow();
        int mask = _items.Length - 1;
        for (int i = _count; i > index; i--)
            _items[(_head + i) & mask] = _items[(_head + i - 1) & mask];
        _items[(_head + index) & mask] = item;
        _count++;
    }

    /// <summary>Removes the entry at <paramref name="index"/>, keeping the order of the others.</summary>
    public void RemoveAt(int index)
    {
        if (index == 0)
        {
            Dequeue();
            return;
        }
        int mask = _items.Length - 1;
        for (int i = index; i < _count - 1; i++)
            _items[(_head + i) & mask] = _items[(_head + i + 1) & mask];
        _items[(_head + _count - 1) & mask] = default;
        _count--;
    }

    private void Grow()
    {
        var items = new T[_items.Length * 2];
        for (int i = 0; i < _count; i++)
            items[i] = _items[(_head + i) & (_items.Length - 1)];
        _items = items;
        _head = 0;
    }
}
