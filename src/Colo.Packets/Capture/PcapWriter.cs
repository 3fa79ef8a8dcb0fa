using System.Buffers.Binary;

namespace Colo.Packets.Capture;

/// <summary>Writes classic pcap: little-endian, nanosecond magic 0xA1B23C4D, version 2.4, snaplen 262144.</summary>
internal sealed class PcapWriter : CaptureWriter
{
    // File header (24 bytes) and record header (16 bytes); diagrams in PcapReader.
    private const int FileHeaderLength = PcapReader.FileHeaderLength;
    private const int MagicOffset = 0;
    private const int MajorVersionOffset = 4;
    private const int MinorVersionOffset = 6;
    private const int SnapLengthOffset = 16;
    private const int LinkTypeOffset = 20;
    private const uint NanosecondMagic = 0xA1B23C4D;
    private const ushort MajorVersion = 2;
    private const ushort MinorVersion = 4;

    private const int RecordHeaderLength = PcapReader.RecordHeaderLength;
    private const int SecondsOffset = 0;
    private const int FractionOffset = 4;
    private const int CapturedLengthOffset = 8;
    private const int OriginalLengthOffset = 12;

    private const long NanosecondsPerSecond = 1_000_000_000;

    public PcapWriter(Stream stream, LinkType linkType, bool leaveOpen)
        : base(stream, linkType, leaveOpen)
    {
        Span<byte> header = stackalloc byte[FileHeaderLength];
        header.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(header[MagicOffset..], NanosecondMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[MajorVersionOffset..], MajorVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header[MinorVersionOffset..], MinorVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(header[SnapLengthOffset..], CaptureLimits.DefaultSnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[LinkTypeOffset..], (uint)linkType);
        Stream.Write(header);
    }

    private protected override void WriteRecord(ReadOnlySpan<byte> data, long timestampNanoseconds, int originalLength)
    {
        long seconds = Math.DivRem(timestampNanoseconds, NanosecondsPerSecond, out long nanoseconds);
        if (seconds > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                nameof(timestampNanoseconds), timestampNanoseconds, "classic pcap timestamps end in the year 2106");
        }

        Span<byte> header = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header[SecondsOffset..], (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[FractionOffset..], (uint)nanoseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[CapturedLengthOffset..], (uint)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[OriginalLengthOffset..], (uint)originalLength);
        Stream.Write(header);
        Stream.Write(data);
    }
}
