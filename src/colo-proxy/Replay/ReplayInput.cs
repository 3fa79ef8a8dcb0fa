using Colo.Compare;
using Colo.Packets.Capture;

namespace Colo.Cli.Replay;

/// <summary>
/// One capture of a replay, read frame by frame as the Ethernet frames a comparator receives: packets of other
/// comparable link types (Linux cooked, raw IP, loopback) are converted, packets of link types that cannot be compared
/// are skipped and counted by link type, so one odd interface in a pcapng file never fails the whole file.
/// </summary>
internal sealed class ReplayInput : IDisposable
{
    private readonly CaptureReader _reader;
    private readonly long _timeOffsetNanoseconds;
    private readonly Dictionary<LinkType, long> _skipped = [];
    private byte[] _buffer = new byte[2048];
    private int _length;

    public ReplayInput(string path, Side side, long timeOffsetNanoseconds)
    {
        _reader = CaptureReader.Open(path);
        Path = path;
        Side = side;
        _timeOffsetNanoseconds = timeOffsetNanoseconds;
    }

    public string Path { get; }

    public Side Side { get; }

    /// <summary>True while <see cref="Frame"/> and <see cref="Current"/> describe a frame.</summary>
    public bool HasFrame { get; private set; }

    /// <summary>The current frame as Ethernet (valid until <see cref="MoveNext"/>).</summary>
    public ReadOnlySpan<byte> Frame => _buffer.AsSpan(0, _length);

    /// <summary>Number and recorded time of the current frame.</summary>
    public CapturedFrame Current { get; private set; }

    /// <summary>The current frame's time on the replay's clock (with <c>--secondary-time-offset</c> applied).</summary>
    public long ClockNanoseconds => Current.TimestampNanoseconds + _timeOffsetNanoseconds;

    /// <summary>Time of the file's first packet of any link type (Wireshark's reference for relative times).</summary>
    public long? FirstTimestampNanoseconds { get; private set; }

    /// <summary>Time of the last packet read.</summary>
    public long? LastTimestampNanoseconds { get; private set; }

    /// <summary>Packets read so far, of any link type.</summary>
    public long FramesRead => _reader.FramesRead;

    /// <summary>Packets skipped because their link type cannot be compared (or was too short for its link header).</summary>
    public IReadOnlyDictionary<LinkType, long> Skipped => _skipped;

    /// <summary>Advances to the next comparable frame; false at the end of the file.</summary>
    public bool MoveNext()
    {
        while (_reader.TryReadNext(out CaptureRecord record))
        {
            FirstTimestampNanoseconds ??= record.TimestampNanoseconds;
            LastTimestampNanoseconds = record.TimestampNanoseconds;
            if (_buffer.Length < record.Data.Length + LinkLayer.MaxHeaderGrowth)
                _buffer = new byte[record.Data.Length + LinkLayer.MaxHeaderGrowth];
            if (!LinkLayer.TryToEthernet(record.LinkType, record.Data, _buffer, out _length))
            {
                _skipped[record.LinkType] = _skipped.GetValueOrDefault(record.LinkType) + 1;
                continue;
            }

            Current = new CapturedFrame(record.FrameNumber, record.TimestampNanoseconds);
            HasFrame = true;
            return true;
        }

        HasFrame = false;
        return false;
    }

    /// <summary>What the report says about this capture once it has been read.</summary>
    public CaptureSummary Summarize(long filteredOut) => new(
        Path, FramesRead, FirstTimestampNanoseconds, LastTimestampNanoseconds, new Dictionary<LinkType, long>(_skipped), filteredOut);

    public void Dispose() => _reader.Dispose();
}
