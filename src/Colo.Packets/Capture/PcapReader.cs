using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Colo.Packets.Capture;

/// <summary>Reader of classic pcap files, either byte order, microsecond or nanosecond timestamps.</summary>
internal sealed class PcapReader : CaptureReader
{
    // File header (24 bytes), every field in the byte order the magic number reveals:
    //  0                   1                   2                   3
    //  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    // |          Magic Number (0xA1B2C3D4 us, 0xA1B23C4D ns)          |  0
    // |         Major Version         |         Minor Version         |  4
    // |                     Reserved1 (thiszone)                      |  8
    // |                     Reserved2 (sigfigs)                       | 12
    // |                            SnapLen                            | 16
    // | FCS len |F|       reserved        |          LinkType         | 20
    // +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
    public const int FileHeaderLength = 24;
    private const int MagicOffset = 0;
    private const int SnapLengthOffset = 16;
    private const int LinkTypeOffset = 20;
    private const uint LinkTypeMask = 0xFFFF;
    private const uint NanosecondMagic = 0xA1B23C4D;

    // Record header (16 bytes), followed by Captured Packet Length bytes of packet data:
    // |                      Timestamp (Seconds)                      |  0
    // |          Timestamp (Microseconds or Nanoseconds)              |  4
    // |                    Captured Packet Length                     |  8
    // |                    Original Packet Length                     | 12
    public const int RecordHeaderLength = 16;
    private const int SecondsOffset = 0;
    private const int FractionOffset = 4;
    private const int CapturedLengthOffset = 8;
    private const int OriginalLengthOffset = 12;

    private const long NanosecondsPerSecond = 1_000_000_000;

    private readonly bool _bigEndian;
    private readonly long _nanosecondsPerFractionUnit;
    private readonly uint _snapLength;
    private readonly int _maxCapturedLength;
    private readonly LinkType _linkType;

    public PcapReader(CaptureInput input, string name, bool bigEndian)
        : base(input, name)
    {
        _bigEndian = bigEndian;
        ReadOnlySpan<byte> header = Require(FileHeaderLength, "file header");
        _nanosecondsPerFractionUnit = ReadUInt32(header[MagicOffset..]) == NanosecondMagic ? 1 : 1000;
        _snapLength = ReadUInt32(header[SnapLengthOffset..]);
        _maxCapturedLength = CaptureLimits.MaxCapturedLength(_snapLength);
        _linkType = (LinkType)(ReadUInt32(header[LinkTypeOffset..]) & LinkTypeMask);
        Input.Advance(FileHeaderLength);
    }

    private protected override bool TryReadRecord(out CaptureRecord record)
    {
        CaptureInput input = Input;
        if (!input.Ensure(RecordHeaderLength))
        {
            if (input.Available == 0)
            {
                record = default;
                return false;
            }

            CaptureThrow.Truncated(Name, input.Offset, "record header", RecordHeaderLength, input.EndOffset);
        }

        ReadOnlySpan<byte> header = input.Peek(RecordHeaderLength);
        uint seconds = ReadUInt32(header[SecondsOffset..]);
        uint fraction = ReadUInt32(header[FractionOffset..]);
        uint capturedLength = ReadUInt32(header[CapturedLengthOffset..]);
        uint originalLength = ReadUInt32(header[OriginalLengthOffset..]);
        if (capturedLength > (uint)_maxCapturedLength)
        {
            ThrowCapturedLengthTooLarge(capturedLength);
        }

        int recordLength = RecordHeaderLength + (int)capturedLength;
        if (!input.Ensure(recordLength))
        {
            CaptureThrow.Truncated(Name, input.Offset, "record", recordLength, input.EndOffset);
        }

        ReadOnlySpan<byte> data = input.Peek(recordLength)[RecordHeaderLength..];
        long timestamp = (seconds * NanosecondsPerSecond) + (fraction * _nanosecondsPerFractionUnit);
        record = new CaptureRecord(
            data, timestamp, (int)Math.Min(originalLength, int.MaxValue), interfaceId: 0, _linkType);
        input.Advance(recordLength);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint ReadUInt32(ReadOnlySpan<byte> source) =>
        _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(source) : BinaryPrimitives.ReadUInt32LittleEndian(source);

    [DoesNotReturn]
    private void ThrowCapturedLengthTooLarge(uint capturedLength) =>
        CaptureThrow.Invalid(
            Name,
            Input.Offset,
            $"record captured length {capturedLength} exceeds the limit {_maxCapturedLength} (file snaplen {_snapLength})");
}
