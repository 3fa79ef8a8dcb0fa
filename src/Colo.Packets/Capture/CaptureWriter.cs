using System.Diagnostics.CodeAnalysis;

namespace Colo.Packets.Capture;

/// <summary>
/// Writes packets to a classic pcap (nanosecond, little-endian) or pcapng (one section, one interface, nanosecond
/// timestamps) capture. Disposing flushes. Not thread-safe.
/// </summary>
public abstract class CaptureWriter : IDisposable
{
    private const int FileStreamBufferLength = 1 << 16;
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const string PcapngExtension = ".pcapng";

    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private bool _disposed;

    private protected CaptureWriter(Stream stream, LinkType linkType, bool leaveOpen)
    {
        _stream = stream;
        _leaveOpen = leaveOpen;
        LinkType = linkType;
    }

    /// <summary>Link type of every record written.</summary>
    public LinkType LinkType { get; }

    /// <summary>Largest captured length accepted by <see cref="Write"/> (the snapshot length in the file header).</summary>
    public static int MaxDataLength => CaptureLimits.DefaultSnapLength;

    private protected Stream Stream => _stream;

    /// <summary>
    /// Creates (or overwrites) <paramref name="path"/> readable and writable by its owner only, whatever the umask:
    /// captures hold the guests' traffic.
    /// </summary>
    private protected static FileStream CreateOwnerOnlyFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var options = new FileStreamOptions
        {
            Mode = FileMode.Create,
            Access = FileAccess.Write,
            Share = FileShare.Read,
            BufferSize = FileStreamBufferLength,
            Options = FileOptions.SequentialScan,
        };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        var stream = new FileStream(path, options);
        if (!OperatingSystem.IsWindows())
        {
            // UnixCreateMode applies only to a new file; an overwritten one keeps its mode unless told.
            File.SetUnixFileMode(stream.SafeFileHandle, OwnerOnly);
        }

        return stream;
    }

    /// <summary>
    /// Creates (or overwrites) a capture file, mode 0600: pcapng when the extension is <c>.pcapng</c> (any case), else classic pcap.
    /// </summary>
    public static CaptureWriter Create(string path, LinkType linkType = LinkType.Ethernet)
    {
        ArgumentNullException.ThrowIfNull(path);
        CaptureFileFormat format = Path.GetExtension(path).Equals(PcapngExtension, StringComparison.OrdinalIgnoreCase)
            ? CaptureFileFormat.Pcapng
            : CaptureFileFormat.Pcap;
        FileStream stream = CreateOwnerOnlyFile(path);
        try
        {
            return Create(stream, format, linkType, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Writes a capture of <paramref name="format"/> to <paramref name="stream"/>, which the writer disposes.</summary>
    public static CaptureWriter Create(Stream stream, CaptureFileFormat format, LinkType linkType) =>
        Create(stream, format, linkType, leaveOpen: false);

    /// <summary>
    /// Writes a capture of <paramref name="format"/> to <paramref name="stream"/>; <paramref name="leaveOpen"/> keeps
    /// the stream open after the writer is disposed. The file header is written immediately.
    /// </summary>
    public static CaptureWriter Create(Stream stream, CaptureFileFormat format, LinkType linkType, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return format switch
        {
            CaptureFileFormat.Pcap => new PcapWriter(stream, linkType, leaveOpen),
            CaptureFileFormat.Pcapng => new PcapngWriter(stream, linkType, leaveOpen),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "unknown capture file format"),
        };
    }

    /// <summary>
    /// Appends one packet. <paramref name="timestampNanoseconds"/> counts from the Unix epoch and must not be negative;
    /// <paramref name="originalLength"/> is the length on the wire, -1 meaning <c>data.Length</c>.
    /// </summary>
    public void Write(ReadOnlySpan<byte> data, long timestampNanoseconds, int originalLength = -1)
    {
        Validate(data, timestampNanoseconds, ref originalLength);
        WriteRecord(data, timestampNanoseconds, originalLength);
    }

    /// <summary>Checks a record's arguments; -1 as <paramref name="originalLength"/> becomes <c>data.Length</c>.</summary>
    private protected void Validate(ReadOnlySpan<byte> data, long timestampNanoseconds, ref int originalLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (data.Length > MaxDataLength)
        {
            ThrowDataTooLong(data.Length);
        }

        ArgumentOutOfRangeException.ThrowIfNegative(timestampNanoseconds);
        if (originalLength == -1)
        {
            originalLength = data.Length;
        }
        else
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(originalLength, data.Length);
        }
    }

    /// <summary>Pushes buffered records to the underlying stream.</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _stream.Flush();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Flushes, then closes the stream unless it was created with leaveOpen.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (_disposed || !disposing)
        {
            return;
        }

        _disposed = true;
        try
        {
            _stream.Flush();
        }
        finally
        {
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }

    /// <summary>Writes one validated record.</summary>
    private protected abstract void WriteRecord(ReadOnlySpan<byte> data, long timestampNanoseconds, int originalLength);

    [DoesNotReturn]
    private static void ThrowDataTooLong(int length) =>
        throw new ArgumentOutOfRangeException(
            "data", length, $"a record holds at most {MaxDataLength} bytes (the file's snapshot length)");
}
