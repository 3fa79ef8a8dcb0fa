namespace Colo.Packets.Capture;

/// <summary>
/// What a pcapng Interface Description Block says about the packets of its interface: link type, snapshot length
/// and how to turn its timestamp units into nanoseconds (<c>if_tsresol</c>, <c>if_tsoffset</c>).
/// </summary>
internal readonly struct PcapngInterface
{
    /// <summary>The default <c>if_tsresol</c>: 10^-6 s.</summary>
    public const byte DefaultTimestampResolution = 6;

    /// <summary>In <c>if_tsresol</c>, the high bit selects a power of two; the low seven bits are the exponent.</summary>
    public const byte BinaryResolutionFlag = 0x80;
    private const byte ExponentMask = 0x7F;

    // Decimal exponents up to 9 scale up to nanoseconds, beyond 9 scale down; 10^18 is the largest long power of ten.
    private const int NanosecondExponent = 9;
    private const int MaxDecimalExponent = NanosecondExponent + 18;
    private const ulong NanosecondsPerSecond = 1_000_000_000;

    private static ReadOnlySpan<long> PowersOfTen =>
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
        10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000,
        1_000_000_000_000_000, 10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000,
    ];

    private readonly long _multiplier;
    private readonly long _divisor;
    private readonly int _binaryExponent;
    private readonly long _offsetNanoseconds;

    private PcapngInterface(
        LinkType linkType, uint snapLength, long multiplier, long divisor, int binaryExponent, long offsetNanoseconds)
    {
        LinkType = linkType;
        SnapLength = snapLength;
        MaxCapturedLength = CaptureLimits.MaxCapturedLength(snapLength);
        _multiplier = multiplier;
        _divisor = divisor;
        _binaryExponent = binaryExponent;
        _offsetNanoseconds = offsetNanoseconds;
    }

    public LinkType LinkType { get; }

    /// <summary>The IDB's snaplen; 0 means no limit.</summary>
    public uint SnapLength { get; }

    /// <summary>Largest captured length accepted for this interface's records.</summary>
    public int MaxCapturedLength { get; }

    /// <summary>True when <paramref name="resolution"/> (an <c>if_tsresol</c> value) can be converted exactly enough.</summary>
    public static bool IsSupportedResolution(byte resolution) =>
        (resolution & BinaryResolutionFlag) != 0 || resolution <= MaxDecimalExponent;

    /// <summary>
    /// Describes an interface. <paramref name="resolution"/> must satisfy <see cref="IsSupportedResolution"/>;
    /// <paramref name="offsetSeconds"/> is <c>if_tsoffset</c>.
    /// </summary>
    public static PcapngInterface Create(LinkType linkType, uint snapLength, byte resolution, long offsetSeconds)
    {
        long offsetNanoseconds = unchecked(offsetSeconds * (long)NanosecondsPerSecond);
        if ((resolution & BinaryResolutionFlag) != 0)
        {
            return new PcapngInterface(linkType, snapLength, 0, 0, resolution & ExponentMask, offsetNanoseconds);
        }

        return resolution <= NanosecondExponent
            ? new PcapngInterface(linkType, snapLength, PowersOfTen[NanosecondExponent - resolution], 1, -1, offsetNanoseconds)
            : new PcapngInterface(linkType, snapLength, 1, PowersOfTen[resolution - NanosecondExponent], -1, offsetNanoseconds);
    }

    /// <summary>Converts a 64-bit timestamp in this interface's units to nanoseconds since the Unix epoch.</summary>
    public long ToNanoseconds(ulong units)
    {
        long nanoseconds;
        if (_binaryExponent >= 0)
        {
            nanoseconds = (long)(((UInt128)units * NanosecondsPerSecond) >> _binaryExponent);
        }
        else if (_divisor == 1)
        {
            nanoseconds = unchecked((long)units * _multiplier);
        }
        else
        {
            nanoseconds = (long)(units / (ulong)_divisor);
        }

        return unchecked(nanoseconds + _offsetNanoseconds);
    }
}
