using System.Buffers.Binary;
using System.IO.Compression;

namespace Colo.Packets.Capture;

/// <summary>
/// Streaming reader of classic pcap and pcapng captures, in constant memory: one reusable buffer as large as the
/// largest record, no allocation per record. Not thread-safe.
/// </summary>
public abstract class CaptureReader : IDisposable
{
    private const int FileStreamBufferLength = 0; // CaptureInput buffers; a FileStream buffer would only add a copy.

    // Leading four bytes of each format (as read little-endian).
    private const uint PcapMicrosecondMagic = 0xA1B2C3D4;
    private const uint PcapNanosecondMagic = 0xA1B23C4D;
    private const uint PcapngSectionHeaderType = 0x0A0D0D0A;
    private const int MagicLength = 4;

    // gzip member header (RFC 1952): ID1 = 0x1F, ID2 = 0x8B. Captures are often kept compressed (logrotate, tcpdump -z).
    private const byte GzipId1 = 0x1F;
    private const byte GzipId2 = 0x8B;
    private const int GzipIdLength = 2;

    private readonly CaptureInput _input;
    private bool _disposed;

    private protected CaptureReader(CaptureInput input, string name)
    {
        _input = input;
        Name = name;
    }

    /// <summary>Name of the capture (the path, or the name given with the stream), used in error messages.</summary>
    public string Name { get; }

    /// <summary>
    /// Byte offset in the file of the next record (or block) to be read; in the decompressed data for a gzip file.
    /// </summary>
    public long Position => _input.Offset;

    /// <summary>Packets returned so far: the <see cref="CaptureRecord.FrameNumber"/> of the last one.</summary>
    public long FramesRead { get; private set; }

    private protected CaptureInput Input => _input;

    /// <summary>
    /// Opens a capture file, detecting classic pcap or pcapng by its magic number, either of them gzip-compressed
    /// (detected by the gzip magic, whatever the file is called).
    /// </summary>
    /// <exception cref="CaptureFormatException">The file is neither format, or its header is malformed.</exception>
    public static CaptureReader Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var stream = new FileStream(
            path, FileMode.Open, FileAccess.Read, FileShare.Read, FileStreamBufferLength, FileOptions.SequentialScan);
        try
        {
            return Open(stream, path, leaveOpen: false);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a capture from <paramref name="stream"/> (which the reader disposes), detecting classic pcap or pcapng by
    /// its magic number. <paramref name="name"/> is used in error messages.
    /// </summary>
    public static CaptureReader Open(Stream stream, string name) => Open(stream, name, leaveOpen: false);

    /// <summary>
    /// Reads a capture from <paramref name="stream"/>, detecting the format; <paramref name="leaveOpen"/> keeps the
    /// stream open after the reader is disposed.
    /// </summary>
    public static CaptureReader Open(Stream stream, string name, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (IsGzip(stream))
        {
            stream = new GZipStream(stream, CompressionMode.Decompress, leaveOpen);
            leaveOpen = false; // Disposing the GZipStream closes the caller's stream only when it was not to be left open.
        }

        var input = new CaptureInput(stream, leaveOpen);
        try
        {
            long start = input.Offset;
            if (!input.Ensure(MagicLength))
            {
                CaptureThrow.Truncated(name, start, "file header", MagicLength, input.EndOffset);
            }

            uint magic = BinaryPrimitives.ReadUInt32LittleEndian(input.Peek(MagicLength));
            CaptureReader reader = magic switch
            {
                PcapMicrosecondMagic or PcapNanosecondMagic => new PcapReader(input, name, bigEndian: false),
                _ when BinaryPrimitives.ReverseEndianness(magic) is PcapMicrosecondMagic or PcapNanosecondMagic =>
                    new PcapReader(input, name, bigEndian: true),
                PcapngSectionHeaderType => new PcapngReader(input, name),
                _ => throw new CaptureFormatException(
                    name, start, $"unknown magic number 0x{magic:X8}", "not a pcap or pcapng file"),
            };
            return reader;
        }
        catch
        {
            input.Dispose(); // Also closes the stream unless leaveOpen.
            throw;
        }
    }

    /// <summary>
    /// Reads the next packet record. False at a clean end of file. The record's data stays valid until the next call.
    /// </summary>
    /// <exception cref="CaptureFormatException">The file is truncated or malformed at <see cref="Position"/>.</exception>
    public bool TryReadNext(out CaptureRecord record)
    {
        if (!TryReadRecord(out CaptureRecord read))
        {
            record = default;
            return false;
        }

        record = read.Numbered(++FramesRead);
        return true;
    }

    /// <summary>Reads the next packet record of the format; <see cref="TryReadNext"/> numbers it.</summary>
    private protected abstract bool TryReadRecord(out CaptureRecord record);

    /// <summary>True when a seekable stream starts with the gzip magic; the position is left where it was.</summary>
    private static bool IsGzip(Stream stream)
    {
        if (!stream.CanSeek)
        {
            return false;
        }

        long start = stream.Position;
        Span<byte> id = stackalloc byte[GzipIdLength];
        int read = stream.ReadAtLeast(id, GzipIdLength, throwOnEndOfStream: false);
        stream.Position = start;
        return read == GzipIdLength && id[0] == GzipId1 && id[1] == GzipId2;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Returns the buffer to the pool and closes the stream unless it was opened with leaveOpen.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (!_disposed && disposing)
        {
            _disposed = true;
            _input.Dispose();
        }
    }

    /// <summary>Makes <paramref name="count"/> bytes available or throws a truncation error for <paramref name="what"/>.</summary>
    private protected ReadOnlySpan<byte> Require(int count, string what)
    {
        if (!_input.Ensure(count))
        {
            CaptureThrow.Truncated(Name, _input.Offset, what, count, _input.EndOffset);
        }

        return _input.Peek(count);
    }
}
