using System.Buffers.Binary;

namespace Colo.LoadGen;

/// <summary>
/// The traffic both writers and the verifier agree on, as pure functions of (flow, stream offset): headers, payload
/// bytes, which primary segment pairs the secondary cuts differently, and which primary segments it corrupts.
/// </summary>
/// <remarks>
/// Send order, shared by both sides: rounds <c>j = 0, 1, ...</c>; in each round every flow <c>f</c> in turn sends its
/// pair of primary segments <c>k = 2j, 2j+1</c> (each <c>P</c> payload bytes). The <em>global index</em>
/// <c>g = j*2F + 2f + (k % 2)</c> numbers primary segments in send order; it keys the latency timestamps and the pacing
/// schedule. The secondary sends the same bytes of the pair either as the same two segments or, re-segmented, as three:
/// <c>[0, P/2)</c>, <c>[P/2, 3P/2)</c>, <c>[3P/2, 2P)</c>, whose boundaries never coincide with the primary's.
/// </remarks>
internal sealed class TrafficPlan
{
    // Ethernet II + IPv4 (no options) + TCP (no options).
    public const int EthernetHeaderLength = 14;
    public const int Ipv4HeaderLength = 20;
    public const int TcpHeaderLength = 20;
    public const int HeadersLength = EthernetHeaderLength + Ipv4HeaderLength + TcpHeaderLength;
    private const int Ipv4Offset = EthernetHeaderLength;
    private const int Ipv4TotalLengthOffset = Ipv4Offset + 2;
    private const int Ipv4IdentificationOffset = Ipv4Offset + 4;
    private const int Ipv4ChecksumOffset = Ipv4Offset + 10;
    private const int Ipv4DestinationOffset = Ipv4Offset + 16;
    private const int TcpOffset = Ipv4Offset + Ipv4HeaderLength;
    private const int TcpDestinationPortOffset = TcpOffset + 2;
    private const int TcpSequenceOffset = TcpOffset + 4;
    private const int TcpChecksumOffset = TcpOffset + 16;

    /// <summary>Flows are 10.1.0.1:80 -> 10.2.H.L:(10000 + f % PortsPerHost), H.L = 1 + f / PortsPerHost.</summary>
    public const int PortsPerHost = 50000;
    private const int FirstClientPort = 10000;
    private const ushort ServerPort = 80;
    private const uint ClientAck = 1;

    /// <summary>Payload byte at stream offset o of flow f is Pattern[(o + f * 131) % PatternPeriod].</summary>
    private const int PatternPeriod = 65521;
    private const int MaxSegment = 65535;

    private readonly byte[] _pattern;
    private readonly ulong _resegmentThreshold;
    private readonly ulong _divergenceThreshold;

    public TrafficPlan(int flows, int payload, double resegmentRatio, double divergenceRate, int vnetHeaderLength,
        bool fullChecksum, ulong seed)
    {
        if (flows < 1)
            throw new ArgumentOutOfRangeException(nameof(flows), flows, "need at least one flow.");
        if (payload is < 2 or > 9000)
            throw new ArgumentOutOfRangeException(nameof(payload), payload, "payload must be 2..9000 bytes.");
        if (vnetHeaderLength is < 0 or > 20)
            throw new ArgumentOutOfRangeException(nameof(vnetHeaderLength), vnetHeaderLength, "vnet header length is 0..20.");
        Flows = flows;
        Payload = payload;
        VnetHeaderLength = vnetHeaderLength;
        FullChecksum = fullChecksum;
        Seed = seed;
        _resegmentThreshold = Threshold(resegmentRatio);
        _divergenceThreshold = Threshold(divergenceRate);
        _pattern = new byte[PatternPeriod + MaxSegment];
        ulong state = seed ^ 0x9E3779B97F4A7C15UL;
        for (int i = 0; i < PatternPeriod; i++)
        {
            state = Mix(state + (ulong)i);
            _pattern[i] = (byte)state;
        }

        // Periodic: any slice starting below the period reads the same bytes as the modular formula.
        for (int i = PatternPeriod; i < _pattern.Length; i++)
            _pattern[i] = _pattern[i - PatternPeriod];
    }

    public int Flows { get; }

    /// <summary>TCP payload bytes of every primary segment (P).</summary>
    public int Payload { get; }

    public int VnetHeaderLength { get; }

    public bool FullChecksum { get; }

    public ulong Seed { get; }

    /// <summary>Bytes of a primary frame as framed on the wire (vnet header included, length words excluded).</summary>
    public int PrimaryFrameLength => VnetHeaderLength + HeadersLength + Payload;

    public int FramingLength => VnetHeaderLength > 0 ? 8 : 4;

    public static int FlowFromAddress(ushort destinationPort, uint destinationAddress) =>
        ((int)(destinationAddress & 0xFFFF) - 1) * PortsPerHost + (destinationPort - FirstClientPort);

    /// <summary>
    /// Initial sequence number of flow f: in [0, 2^30) by default, so that short runs do not wrap (QEMU orders
    /// segments by raw sequence number and misorders a wrapping stream); with <see cref="IsnNearWrap"/>, 64 KiB below
    /// 2^32 so every stream wraps early.
    /// </summary>
    public uint Isn(int flow) => IsnNearWrap
        ? (uint)(0xFFFF0000UL + (((ulong)flow * 2654435761UL) & 0xFFFF))
        : (uint)((((ulong)flow * 2654435761UL) + (Seed * 40503UL)) & 0x3FFFFFFF);

    public bool IsnNearWrap { get; init; }

    public bool IsResegmented(int flow, long round) =>
        _resegmentThreshold != 0 && Mix(Seed ^ ((ulong)flow << 40) ^ (ulong)round ^ 0x5EED5EEDUL) < _resegmentThreshold;

    public bool IsDiverged(int flow, long segment) =>
        _divergenceThreshold != 0 && Mix((Seed * 31) ^ ((ulong)flow << 40) ^ (ulong)segment ^ 0xD1D1D1D1UL) < _divergenceThreshold;

    /// <summary>The byte the secondary flips in diverged primary segment <paramref name="segment"/>.</summary>
    public long DivergenceOffset(long segment) => (segment * Payload) + (Payload / 2);

    public long GlobalIndex(int flow, long segment) => ((segment >> 1) * 2L * Flows) + (2L * flow) + (segment & 1);

    public ReadOnlySpan<byte> PayloadAt(int flow, long streamOffset, int length)
    {
        int start = (int)((streamOffset + (flow * 131L)) % PatternPeriod);
        return _pattern.AsSpan(start, length);
    }

    /// <summary>
    /// Writes the frame (vnet header, Ethernet, IPv4, TCP, payload) carrying <paramref name="length"/> stream bytes
    /// from <paramref name="streamOffset"/> of <paramref name="flow"/> into <paramref name="destination"/>; returns
    /// its length. The secondary flips bytes of diverged segments with <paramref name="applyDivergence"/>.
    /// </summary>
    public int WriteFrame(Span<byte> destination, int flow, long streamOffset, int length, ushort ipId, bool applyDivergence)
    {
        Span<byte> vnet = destination[..VnetHeaderLength];
        vnet.Clear();
        Span<byte> frame = destination[VnetHeaderLength..];
        WriteHeaders(frame, flow, streamOffset, length, ipId);
        Span<byte> payload = frame.Slice(HeadersLength, length);
        PayloadAt(flow, streamOffset, length).CopyTo(payload);
        if (applyDivergence && _divergenceThreshold != 0)
        {
            long first = streamOffset / Payload;
            long last = (streamOffset + length - 1) / Payload;
            for (long segment = first; segment <= last; segment++)
            {
                long at = DivergenceOffset(segment);
                if (at >= streamOffset && at < streamOffset + length && IsDiverged(flow, segment))
                    payload[(int)(at - streamOffset)] ^= 0xFF;
            }
        }

        WriteTcpChecksum(frame, length);
        return VnetHeaderLength + HeadersLength + length;
    }

    //  Ethernet: dst 52:54:00:00:00:02  src 52:54:00:00:00:01  type 0x0800
    //  IPv4: 0x45 tos=0 total_len id DF ttl=64 proto=6 checksum 10.1.0.1 -> 10.2.H.L
    //  TCP: 80 -> port, seq, ack=1, data offset 5, PSH|ACK, window 502, checksum, urgent 0
    private void WriteHeaders(Span<byte> frame, int flow, long streamOffset, int length, ushort ipId)
    {
        ReadOnlySpan<byte> ethernet = [0x52, 0x54, 0x00, 0x00, 0x00, 0x02, 0x52, 0x54, 0x00, 0x00, 0x00, 0x01, 0x08, 0x00];
        ethernet.CopyTo(frame);
        Span<byte> ip = frame.Slice(Ipv4Offset, Ipv4HeaderLength);
        ip[0] = 0x45;
        ip[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(frame[Ipv4TotalLengthOffset..], (ushort)(Ipv4HeaderLength + TcpHeaderLength + length));
        BinaryPrimitives.WriteUInt16BigEndian(frame[Ipv4IdentificationOffset..], ipId);
        ip[6] = 0x40;
        ip[7] = 0;
        ip[8] = 64;
        ip[9] = 6;
        ip[10] = 0;
        ip[11] = 0;
        ip[12] = 10;
        ip[13] = 1;
        ip[14] = 0;
        ip[15] = 1;
        int host = 1 + (flow / PortsPerHost);
        ip[16] = 10;
        ip[17] = 2;
        ip[18] = (byte)(host >> 8);
        ip[19] = (byte)host;
        BinaryPrimitives.WriteUInt16BigEndian(frame[Ipv4ChecksumOffset..], Checksum(ip, 0));

        Span<byte> tcp = frame.Slice(TcpOffset, TcpHeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(tcp, ServerPort);
        BinaryPrimitives.WriteUInt16BigEndian(frame[TcpDestinationPortOffset..], (ushort)(FirstClientPort + (flow % PortsPerHost)));
        BinaryPrimitives.WriteUInt32BigEndian(frame[TcpSequenceOffset..], unchecked(Isn(flow) + 1 + (uint)streamOffset));
        BinaryPrimitives.WriteUInt32BigEndian(tcp[8..], ClientAck);
        tcp[12] = 5 << 4;
        tcp[13] = 0x18;
        BinaryPrimitives.WriteUInt16BigEndian(tcp[14..], 502);
        BinaryPrimitives.WriteUInt32BigEndian(tcp[16..], 0);
    }

    /// <summary>
    /// Full checksum, or (default) what a guest with checksum offload hands the NIC: the pseudo-header sum only
    /// (CHECKSUM_PARTIAL). Comparators ignore TCP checksums; the partial form keeps the generator cheap.
    /// </summary>
    private void WriteTcpChecksum(Span<byte> frame, int length)
    {
        int tcpLength = TcpHeaderLength + length;
        uint sum = 0;
        ReadOnlySpan<byte> ip = frame.Slice(Ipv4Offset, Ipv4HeaderLength);
        for (int i = 12; i < 20; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
        sum += 6;
        sum += (uint)tcpLength;
        if (!FullChecksum)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[TcpChecksumOffset..], Fold(sum));
            return;
        }

        BinaryPrimitives.WriteUInt16BigEndian(frame[TcpChecksumOffset..], Checksum(frame.Slice(TcpOffset, tcpLength), sum));
    }

    public uint SequenceOf(int flow, long segment) => unchecked(Isn(flow) + 1 + (uint)(segment * Payload));

    /// <summary>Writes the expected headers of primary segment <paramref name="segment"/> into <paramref name="frame"/>.</summary>
    public void WritePrimaryHeaders(Span<byte> frame, int flow, long segment)
    {
        long offset = segment * Payload;
        WriteHeaders(frame, flow, offset, Payload, (ushort)segment);
        if (FullChecksum)
            PayloadAt(flow, offset, Payload).CopyTo(frame[HeadersLength..]); // the full checksum covers the payload
        WriteTcpChecksum(frame, Payload);
    }

    private static ushort Checksum(ReadOnlySpan<byte> data, uint sum)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2)
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length)
            sum += (uint)(data[i] << 8);
        return (ushort)~Fold(sum);
    }

    private static ushort Fold(uint sum)
    {
        while ((sum >> 16) != 0)
            sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)sum;
    }

    private static ulong Threshold(double probability)
    {
        if (double.IsNaN(probability) || probability < 0 || probability > 1)
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "ratios and rates are 0..1.");
        return probability >= 1 ? ulong.MaxValue : (ulong)(probability * ulong.MaxValue);
    }

    private static ulong Mix(ulong x)
    {
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        x ^= x >> 31;
        return x;
    }
}
