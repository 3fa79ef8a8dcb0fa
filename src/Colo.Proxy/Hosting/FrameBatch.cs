using System.Buffers;
using System.Collections.Concurrent;
using Colo.Compare;

namespace Colo.Proxy.Hosting;

/// <summary>
/// Frames of one side read from a connection, copied back to back into one pooled buffer and handed to a worker in one
/// queue operation. Batches are recycled through a pool: no allocation per frame in steady state.
/// </summary>
internal sealed class FrameBatch
{
    public const int DataCapacity = 256 * 1024;
    public const int MaxFrames = 512;

    private static readonly ConcurrentQueue<FrameBatch> Pool = new();

    private readonly byte[] _data = new byte[DataCapacity];
    private readonly int[] _offsets = new int[MaxFrames];
    private readonly int[] _lengths = new int[MaxFrames];
    private readonly int[] _vnet = new int[MaxFrames];
    private byte[]? _oversized;
    private int _used;

    public Side Side { get; private set; }

    public int Count { get; private set; }

    public static FrameBatch Rent(Side side)
    {
        if (!Pool.TryDequeue(out FrameBatch? batch))
            batch = new FrameBatch();
        batch.Side = side;
        return batch;
    }

    public static void Return(FrameBatch batch)
    {
        batch.Count = 0;
        batch._used = 0;
        if (batch._oversized is { } big)
        {
            batch._oversized = null;
            ArrayPool<byte>.Shared.Return(big);
        }
        Pool.Enqueue(batch);
    }

    /// <summary>True when the frame fits (a batch always takes at least one frame of any size).</summary>
    public bool TryAdd(ReadOnlySpan<byte> frame, int vnetHeaderLength)
    {
        if (Count == MaxFrames)
            return false;
        if (_used + frame.Length > DataCapacity)
        {
            if (Count > 0)
                return false;
            // A single frame larger than the buffer (a configured maximum above 256 KiB).
            _oversized = ArrayPool<byte>.Shared.Rent(frame.Length);
            frame.CopyTo(_oversized);
            _offsets[0] = -1;
            _lengths[0] = frame.Length;
            _vnet[0] = vnetHeaderLength;
            Count = 1;
            _used = DataCapacity;
            return true;
        }
        frame.CopyTo(_data.AsSpan(_used));
        _offsets[Count] = _used;
        _lengths[Count] = frame.Length;
        _vnet[Count] = vnetHeaderLength;
        _used += frame.Length;
        Count++;
        return true;
    }

    public ReadOnlySpan<byte> Frame(int index, out int vnetHeaderLength)
    {
        vnetHeaderLength = _vnet[index];
        int offset = _offsets[index];
        return offset < 0 ? _oversized.AsSpan(0, _lengths[index]) : _data.AsSpan(offset, _lengths[index]);
    }
}
