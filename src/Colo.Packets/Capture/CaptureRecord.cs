namespace Colo.Packets.Capture;

/// <summary>
/// One packet read from a capture. <see cref="Data"/> points into the reader's buffer and is valid only until the
/// next call to <see cref="CaptureReader.TryReadNext"/> (or disposal): copy it if it must live longer.
/// </summary>
public readonly ref struct CaptureRecord
{
    internal CaptureRecord(
        ReadOnlySpan<byte> data, long timestampNanoseconds, int originalLength, int interfaceId, LinkType linkType,
        long frameNumber = 0)
    {
        FrameNumber = frameNumber;
        Data = data;
        TimestampNanoseconds = timestampNanoseconds;
        OriginalLength = originalLength;
        InterfaceId = interfaceId;
        LinkType = linkType;
    }

    /// <summary>The captured bytes (possibly fewer than <see cref="OriginalLength"/>).</summary>
    public ReadOnlySpan<byte> Data { get; }

    /// <summary>Capture time in nanoseconds since the Unix epoch, converted from the file's resolution.</summary>
    public long TimestampNanoseconds { get; }

    /// <summary>Length of the packet on the wire (at least <c>Data.Length</c> in well-formed files).</summary>
    public int OriginalLength { get; }

    /// <summary>Index of the pcapng interface (within its section) that captured the packet; 0 for classic pcap.</summary>
    public int InterfaceId { get; }

    /// <summary>Link-layer header type of <see cref="Data"/>.</summary>
    public LinkType LinkType { get; }

    /// <summary>
    /// 1-based number of this packet among all packets of the file, whatever their interface or link type: the frame
    /// number Wireshark and tshark show (<c>frame.number</c>).
    /// </summary>
    public long FrameNumber { get; }

    internal CaptureRecord Numbered(long frameNumber) =>
        new(Data, TimestampNanoseconds, OriginalLength, InterfaceId, LinkType, frameNumber);
}
