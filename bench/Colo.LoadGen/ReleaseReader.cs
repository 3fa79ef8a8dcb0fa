using System.Buffers.Binary;
using System.Net.Sockets;

namespace Colo.LoadGen;

/// <summary>
/// Reads released frames from outdev, checks each is a primary segment byte-identical to what was sent, released once
/// and in per-flow order, and records release latency (from the later of the primary and secondary writes to the read).
/// Throughput counts every distinct intact segment, in order or not; order violations are reported apart.
/// </summary>
internal sealed class ReleaseReader
{
    private const int MaxFrame = 69632;
    private const int MaxExamples = 5;

    private readonly RunState _state;
    private readonly TrafficPlan _plan;
    private readonly Socket _socket;
    private readonly byte[] _buffer;
    private readonly long[] _nextSegment;
    private readonly byte[] _expectedHeaders;
    private readonly LatencyHistogram _latency = new();
    private readonly long _measureFrom;
    private readonly List<string> _examples = [];
    private readonly GrowingBitmap _seen = new();

    public ReleaseReader(RunState state, Socket socket, int bufferBytes, long measureFromTimestamp)
    {
        _state = state;
        _plan = state.Plan;
        _socket = socket;
        _buffer = new byte[Math.Max(bufferBytes, 4 * MaxFrame)];
        _nextSegment = new long[_plan.Flows];
        _expectedHeaders = new byte[TrafficPlan.HeadersLength + _plan.Payload];
        _measureFrom = measureFromTimestamp;
    }

    public LatencyHistogram Latency => _latency;

    public long Frames { get; private set; }

    public long Bytes { get; private set; }

    /// <summary>Frames and bytes released at or after the measurement start, and the last release time.</summary>
    public long MeasuredFrames { get; private set; }

    public long MeasuredBytes { get; private set; }

    public long FirstMeasuredTimestamp { get; private set; }

    public long LastReleaseTimestamp { get; private set; }

    public long Mismatched { get; private set; }

    public long OutOfOrder { get; private set; }

    public long Duplicates { get; private set; }

    public long Unknown { get; private set; }

    public long LatencyUnknown { get; private set; }

    public IReadOnlyList<string> Examples => _examples;

    public bool Closed { get; private set; }

    public Exception? Error { get; private set; }

    /// <summary>Distinct primary segments released intact (each counted once).</summary>
    public long Unique { get; private set; }

    public void Run()
    {
        try
        {
            Loop();
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
            if (!_state.Abort && !_state.Stopping)
                Error = ex;
        }
        finally
        {
            Closed = true;
        }
    }

    private void Loop()
    {
        int filled = 0;
        while (true)
        {
            int read = _socket.Receive(_buffer.AsSpan(filled), SocketFlags.None);
            if (read <= 0)
                return;
            long now = RunState.Now();
            filled += read;
            int consumed = 0;
            long released = 0;
            long drained = 0;
            while (filled - consumed >= _plan.FramingLength)
            {
                ReadOnlySpan<byte> head = _buffer.AsSpan(consumed);
                int length = BinaryPrimitives.ReadInt32BigEndian(head);
                if (length < 0 || length > MaxFrame)
                    throw new IOException($"outdev sent a frame length of {length}: the stream is out of sync.");
                int total = _plan.FramingLength + length;
                if (filled - consumed < total)
                    break;
                if (Check(head.Slice(_plan.FramingLength, length), now))
                    released++;
                Bytes += length;
                Frames++;
                drained++;
                consumed += total;
            }

            if (consumed > 0)
            {
                _buffer.AsSpan(consumed, filled - consumed).CopyTo(_buffer);
                filled -= consumed;
            }

            if (released > 0)
            {
                LastReleaseTimestamp = now;
                Interlocked.Add(ref _state.Released, released);
            }

            if (drained > 0)
            {
                Interlocked.Add(ref _state.Drained, drained);
                _state.Notify();
            }
        }
    }

    /// <summary>True when <paramref name="frame"/> is the next expected segment of its flow, byte for byte.</summary>
    private bool Check(ReadOnlySpan<byte> frame, long now)
    {
        int vnet = _plan.VnetHeaderLength;
        if (frame.Length < vnet + TrafficPlan.HeadersLength)
        {
            Unknown++;
            Example($"short frame of {frame.Length} bytes");
            return false;
        }

        ReadOnlySpan<byte> ethernet = frame[vnet..];
        ushort port = BinaryPrimitives.ReadUInt16BigEndian(ethernet[36..]);
        uint address = BinaryPrimitives.ReadUInt32BigEndian(ethernet[30..]);
        int flow = TrafficPlan.FlowFromAddress(port, address);
        if (flow < 0 || flow >= _plan.Flows || ethernet[23] != 6)
        {
            Unknown++;
            Example($"frame of {frame.Length} bytes not from any generated flow");
            return false;
        }

        uint sequence = BinaryPrimitives.ReadUInt32BigEndian(ethernet[38..]);
        long next = _nextSegment[flow];
        uint nextSequence = _plan.SequenceOf(flow, next);
        long segment = next;
        if (sequence != nextSequence)
        {
            int delta = unchecked((int)(sequence - nextSequence));
            if (delta % _plan.Payload != 0 || next + (delta / _plan.Payload) < 0)
            {
                Unknown++;
                Example($"flow {flow}: sequence number {sequence} is not a primary segment boundary");
                return false;
            }

            segment = next + (delta / _plan.Payload);
        }

        _plan.WritePrimaryHeaders(_expectedHeaders, flow, segment);
        bool same = frame.Length == _plan.PrimaryFrameLength
            && ethernet[..TrafficPlan.HeadersLength].SequenceEqual(_expectedHeaders.AsSpan(0, TrafficPlan.HeadersLength))
            && ethernet[TrafficPlan.HeadersLength..].SequenceEqual(_plan.PayloadAt(flow, segment * _plan.Payload, _plan.Payload))
            && IsZero(frame[..vnet]);
        if (!same)
        {
            Mismatched++;
            Example($"flow {flow}: segment {segment} released with different bytes ({frame.Length} bytes)");
            return false;
        }

        long index = _plan.GlobalIndex(flow, segment);
        if (!_seen.TrySet(index))
        {
            Duplicates++;
            Example($"flow {flow}: segment {segment} released twice");
            return false;
        }

        if (segment < next)
        {
            OutOfOrder++;
            Example($"flow {flow}: segment {segment} released after segment {next - 1}");
        }
        else
        {
            _nextSegment[flow] = segment + 1;
        }

        int slot = (int)(index & RunState.RingMask);
        if (Volatile.Read(ref _state.PrimaryIndex[slot]) == index && Volatile.Read(ref _state.SecondaryIndex[slot]) == index)
        {
            long written = Math.Max(_state.PrimaryTime[slot], _state.SecondaryTime[slot]);
            if (written >= _measureFrom)
                _latency.Record((long)((now - written) * (1e9 / System.Diagnostics.Stopwatch.Frequency)));
        }
        else
        {
            LatencyUnknown++;
        }

        Unique++;
        if (now >= _measureFrom)
        {
            if (MeasuredFrames == 0)
                FirstMeasuredTimestamp = now;
            MeasuredFrames++;
            MeasuredBytes += frame.Length;
        }

        return true;
    }

    private static bool IsZero(ReadOnlySpan<byte> bytes) => !bytes.ContainsAnyExcept((byte)0);

    private void Example(string text)
    {
        if (_examples.Count < MaxExamples)
            _examples.Add(text);
    }
}
