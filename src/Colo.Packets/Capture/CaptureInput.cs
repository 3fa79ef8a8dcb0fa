using System.Buffers;

namespace Colo.Packets.Capture;

/// <summary>
/// Sequential reader over a capture stream through one pooled buffer. The buffer starts at
/// <see cref="InitialBufferLength"/> and only grows (doubling, up to the largest block or record actually requested)
/// while data keeps arriving, so a corrupt length in a short file never allocates more than about twice the file's
/// remaining bytes. Callers validate lengths against their own caps before asking for them.
/// </summary>
internal sealed class CaptureInput : IDisposable
{
    public const int InitialBufferLength = 1 << 18;

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private byte[] _buffer;
    private int _start;
    private int _end;
    private long _offset;
    private bool _endOfStream;

    public CaptureInput(Stream stream, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(stream);
        _stream = stream;
        _leaveOpen = leaveOpen;
        _offset = stream.CanSeek ? stream.Position : 0;
        _buffer = ArrayPool<byte>.Shared.Rent(InitialBufferLength);
    }

    /// <summary>File offset of the first unconsumed byte.</summary>
    public long Offset => _offset;

    /// <summary>Bytes buffered and not yet consumed.</summary>
    public int Available => _end - _start;

    /// <summary>File offset just past the last byte buffered: where the file ends once <see cref="Ensure"/> failed.</summary>
    public long EndOffset => _offset + (_end - _start);

    /// <summary>
    /// Makes at least <paramref name="count"/> unconsumed bytes available. False when the stream ends first
    /// (<see cref="Available"/> then tells how many bytes there were). Spans handed out earlier become invalid.
    /// </summary>
    public bool Ensure(int count)
    {
        if (_end - _start >= count)
        {
            return true;
        }

        if (_buffer.Length - _start < count && _start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        while (_end - _start < count)
        {
            if (_endOfStream)
            {
                return false;
            }

            if (_end == _buffer.Length)
            {
                // _start is 0 here (the copy above ran) and the buffer is full but shorter than count.
                Grow((int)Math.Min((long)_buffer.Length * 2, count));
            }

            int read = _stream.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                _endOfStream = true;
                return false;
            }

            _end += read;
        }

        return true;
    }

    /// <summary>The next <paramref name="count"/> unconsumed bytes; <see cref="Ensure"/> must have returned true.</summary>
    public ReadOnlySpan<byte> Peek(int count) => new(_buffer, _start, count);

    /// <summary>Consumes <paramref name="count"/> bytes (at most <see cref="Available"/>).</summary>
    public void Advance(int count)
    {
        _start += count;
        _offset += count;
    }

    public void Dispose()
    {
        byte[] buffer = _buffer;
        _buffer = [];
        _start = 0;
        _end = 0;
        if (buffer.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (!_leaveOpen)
        {
            _stream.Dispose();
        }
    }

    private void Grow(int length)
    {
        byte[] bigger = ArrayPool<byte>.Shared.Rent(length);
        _buffer.AsSpan(0, _end).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(_buffer);
        _buffer = bigger;
    }
}
