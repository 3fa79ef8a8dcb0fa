namespace Colo.Compare.Internal;

/// <summary>
/// Byte arrays in power-of-two size classes (128 B .. 16 MiB) for the rare path of IP fragments waiting for
/// reassembly (frames and streams are held in <see cref="ChunkPool"/> chunks). The engine is single-threaded, so a
/// plain stack per class suffices. Retention is bounded.
/// </summary>
internal sealed class FrameBufferPool
{
    private const int MinClassShift = 7;
    private const int ClassCount = 18;
    private const long MaxRetainedBytes = 8L * 1024 * 1024;

    private readonly Stack<byte[]>[] _stacks = new Stack<byte[]>[ClassCount];
    private long _retainedBytes;

    public FrameBufferPool()
    {
        for (int i = 0; i < ClassCount; i++)
            _stacks[i] = new Stack<byte[]>();
    }

    /// <summary>Largest size served from the pool; larger requests get a fresh array.</summary>
    public static int MaxPooledLength => 1 << (MinClassShift + ClassCount - 1);

    public byte[] Rent(int minimumLength)
    {
        if (minimumLength > MaxPooledLength)
            return new byte[minimumLength];
        int cls = ClassOf(minimumLength);
        if (_stacks[cls].TryPop(out byte[]? buffer))
        {
            _retainedBytes -= buffer.Length;
            return buffer;
        }
        return new byte[1 << (MinClassShift + cls)];
    }

    public void Return(byte[] buffer)
    {
        int length = buffer.Length;
        if (length > MaxPooledLength || length < 1 << MinClassShift || (length & (length - 1)) != 0)
            return;
        if (_retainedBytes + length > MaxRetainedBytes)
            return;
        _stacks[ClassOf(length)].Push(buffer);
        _retainedBytes += length;
    }

    private static int ClassOf(int length)
    {
        if (length <= 1 << MinClassShift)
            return 0;
        return 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(length - 1)) - MinClassShift;
    }
}
