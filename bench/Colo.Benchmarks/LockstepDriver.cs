using Colo.Compare;
using Colo.TestSupport.Frames;

namespace Colo.Benchmarks;

/// <summary>
/// Feeds a <see cref="CompareEngine"/> equal primary and secondary streams on N flows, round robin, primary first.
/// Without re-segmentation each primary segment is followed by its secondary twin; with it, each pair of primary
/// segments (P bytes each) is followed by secondary pieces of P/2, P and P - P/2 bytes. All frame buffers are built
/// once; only their sequence numbers change, so steady state does no work outside the engine and allocates nothing.
/// </summary>
internal sealed class LockstepDriver
{
    private readonly int _flows;
    private readonly int _payload;
    private readonly bool _resegment;
    private readonly byte[][] _primary;
    private readonly byte[][] _primarySecond;
    private readonly byte[][][] _secondary;
    private readonly uint[] _nextSequence;
    private readonly NullSink _sink = new();
    private readonly CompareEngine _engine;
    private int _flow;
    private long _ticks;

    public LockstepDriver(int flows, int payload, bool resegment, bool recorder = false)
    {
        _flows = flows;
        _payload = payload;
        _resegment = resegment;
        _primary = new byte[flows][];
        _primarySecond = new byte[flows][];
        _secondary = new byte[flows][][];
        _nextSequence = new uint[flows];
        int half = payload / 2;
        for (int f = 0; f < flows; f++)
        {
            uint isn = BenchmarkFlows.Isn(f);
            _nextSequence[f] = unchecked(isn + 1);
            // Payload bytes depend on the offset; the benchmark replays them at later offsets, equally on both sides.
            _primary[f] = BenchmarkFlows.Frame(f, payload, 0, 0, 1);
            _primarySecond[f] = BenchmarkFlows.Frame(f, payload, 0, payload, 2);
            _secondary[f] = resegment
                ? [BenchmarkFlows.Frame(f, half, 0, 0, 3), BenchmarkFlows.Frame(f, payload, 0, half, 4), BenchmarkFlows.Frame(f, payload - half, 0, half + payload, 5)]
                : [BenchmarkFlows.Frame(f, payload, 0, 0, 3), BenchmarkFlows.Frame(f, payload, 0, payload, 4)];
        }

        _engine = new CompareEngine(
            new CompareOptions
            {
                MaxFlows = Math.Max(65536, flows * 2),
                MaxQueueSize = 1024,
                RecorderBytesPerFlow = recorder ? CompareOptions.ServeRecorderBytesPerFlow : 0,
                RecorderBudgetBytes = recorder ? CompareOptions.ServeRecorderBudgetBytes : 0,
            },
            _sink);
    }

    public CompareEngine Engine => _engine;

    public NullSink Sink => _sink;

    /// <summary>Creates every flow and fills the engine's pools, so the measured runs are steady state.</summary>
    public void WarmUp()
    {
        for (int i = 0; i < 8; i++)
            Run(2 * _flows);
        long expected = _sink.Released;
        if (_sink.Divergences != 0 || _sink.Checkpoints != 0 || expected == 0)
        {
            throw new InvalidOperationException(
                $"warm-up went wrong: {_sink.Released} released, {_sink.Divergences} divergences, {_sink.Checkpoints} checkpoint triggers.");
        }
    }

    /// <summary>Ingests <paramref name="primarySegments"/> primary segments (rounded up to pairs) and their secondary bytes.</summary>
    public long Run(int primarySegments)
    {
        CompareEngine engine = _engine;
        for (int done = 0; done < primarySegments; done += 2)
        {
            int f = _flow;
            uint sequence = _nextSequence[f];
            TimeSpan now = TimeSpan.FromTicks(_ticks += 10);
            byte[] p0 = _primary[f];
            byte[] p1 = _primarySecond[f];
            byte[][] secondary = _secondary[f];
            FrameBuilder.SetIpv4TcpSequence(p0, sequence);
            FrameBuilder.SetIpv4TcpSequence(p1, unchecked(sequence + (uint)_payload));
            if (_resegment)
            {
                int half = _payload / 2;
                FrameBuilder.SetIpv4TcpSequence(secondary[0], sequence);
                FrameBuilder.SetIpv4TcpSequence(secondary[1], unchecked(sequence + (uint)half));
                FrameBuilder.SetIpv4TcpSequence(secondary[2], unchecked(sequence + (uint)(half + _payload)));
                engine.Ingest(Side.Primary, p0, 0, now);
                engine.Ingest(Side.Primary, p1, 0, now);
                engine.Ingest(Side.Secondary, secondary[0], 0, now);
                engine.Ingest(Side.Secondary, secondary[1], 0, now);
                engine.Ingest(Side.Secondary, secondary[2], 0, now);
            }
            else
            {
                FrameBuilder.SetIpv4TcpSequence(secondary[0], sequence);
                FrameBuilder.SetIpv4TcpSequence(secondary[1], unchecked(sequence + (uint)_payload));
                engine.Ingest(Side.Primary, p0, 0, now);
                engine.Ingest(Side.Secondary, secondary[0], 0, now);
                engine.Ingest(Side.Primary, p1, 0, now);
                engine.Ingest(Side.Secondary, secondary[1], 0, now);
            }

            _nextSequence[f] = unchecked(sequence + (uint)(2 * _payload));
            if (++_flow == _flows)
                _flow = 0;
        }

        return _sink.Released;
    }
}
