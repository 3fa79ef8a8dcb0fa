using System.Buffers.Binary;

namespace Colo.TestSupport.Frames;

/// <summary>
/// The Internet checksum (RFC 1071): one's-complement sum of 16-bit big-endian words. Written here rather than taken
/// from the product so that frames built for tests are checked by independent code.
/// </summary>
public static class InternetChecksum
{
    /// <summary>Adds <paramref name="data"/> to a running (unfolded) sum; an odd last byte is the high byte of a word.</summary>
    public static uint Add(uint sum, ReadOnlySpan<byte> data)
    {
        var i = 0;
        for (; i + 1 < data.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length)
            sum += (uint)data[i] << 8;
        return sum;
    }

    /// <summary>Folds the carries of a running sum into 16 bits and complements it: the value to store.</summary>
    public static ushort Fold(uint sum)
    {
        while ((sum >> 16) != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
