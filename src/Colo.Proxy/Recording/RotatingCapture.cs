using System.Globalization;
using Colo.Packets.Capture;

namespace Colo.Proxy.Recording;

/// <summary>
/// One stream of <see cref="TrafficCapture"/>: pcapng files <c>PREFIX-NAME-0001.pcapng</c>, ... of at most a given
/// size, the oldest deleted beyond a count. Thread-safe (engine shards write concurrently); a write error stops this
/// stream and is reported once, the frames it could not write are counted.
/// </summary>
internal sealed class RotatingCapture : IDisposable
{
    // A pcapng section header block (28 bytes) and one interface description block (20 bytes), rounded up.
    private const int FileHeaderBytes = 64;
    private readonly object _lock = new();
    private readonly string _directory;
    private readonly string _prefix;
    private readonly TrafficCaptureOptions _options;
    private readonly Action<string, string> _failed;
    private readonly Queue<string> _files = new();
    private CaptureWriter? _writer;
    private long _fileBytes;
    private int _index;
    private bool _broken;

    public RotatingCapture(string directory, string prefix, TrafficCaptureOptions options, Action<string, string> failed)
    {
        _directory = directory;
        _prefix = prefix;
        _options = options;
        _failed = failed;
    }

    public long Frames { get; private set; }

    public long Lost { get; private set; }

    public void Write(ReadOnlySpan<byte> frame, long timestampNanoseconds)
    {
        lock (_lock)
        {
            if (_broken)
            {
                Lost++;
                return;
            }
            try
            {
                // 32 bytes of pcapng block framing per packet, rounded up to 4.
                long size = 32 + ((frame.Length + 3) & ~3);
                if (_writer is null || _fileBytes + size > _options.FileBytes)
                    Rotate();
                _writer!.Write(frame, timestampNanoseconds);
                _fileBytes += size;
                Frames++;
            }
            catch (IOException ex)
            {
                Broken(ex.Message);
            }
            catch (UnauthorizedAccessException ex)
            {
                Broken(ex.Message);
            }
        }
    }

    /// <summary>The files of this run still on disk, oldest first.</summary>
    public IReadOnlyList<string> Files
    {
        get
        {
            lock (_lock)
                return [.. _files];
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            try
            {
                _writer?.Dispose();
            }
            catch (IOException ex)
            {
                _failed(_prefix, ex.Message);
            }
            _writer = null;
            _broken = true;
        }
    }

    private void Broken(string error)
    {
        _broken = true;
        Lost++;
        _failed(_prefix, error);
    }

    private void Rotate()
    {
        _writer?.Dispose();
        _writer = null;
        _index++;
        string path = Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"{_prefix}-{_index:D4}.pcapng"));
        // pcapng by its extension, owner read/write only.
        _writer = CaptureWriter.Create(path);
        _fileBytes = FileHeaderBytes;
        _files.Enqueue(path);
        while (_files.Count > _options.Files)
            File.Delete(_files.Dequeue());
    }
}
