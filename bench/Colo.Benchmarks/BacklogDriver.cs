using Colo.Compare;
using Colo.TestSupport.Frames;

namespace Colo.Benchmarks;

/// <summary>
/// Like <see cref="LockstepDriver"/>, but one side runs a fixed number of primary segments ahead of the other (a
/// standing backlog, as when a COLO secondary runs behind): the leading side's segments are queued (primary) or held
/// in the stream buffer (secondary) until the other side's copy arrives. Flows take turns; each step ingests one pair
/// of primary segments of the leading side's cursor, and of the lagging side's cursor the same pair of the other
/// replica. With re-segmentation the secondary cuts each pair as P/2, P and P - P/2 bytes. Frames are prebuilt per flow
/// and side; only their sequence numbers change, so steady state does no work outside the engine and allocates nothing.
/// </summary>
internal sealed class BacklogDriver
{
    private readonly int _flows;
    private readonly int _payload;
    private readonly bool _resegment;
    private readonly Side _ahead;
    private readonly int _leadPairs;
    private readonly byte[][][] _primary;
    private readonly byte[][][] _secondary;
    private readonly uint[] _primarySequence;
    private readonly uint[] _secondarySequence;
    private readonly NullSink _sink = new();
    private readonly CompareEngine _engine;
    private int _primaryFlow;
    private int _secondaryFlow;
    private long _ticks;

    /// <param name="lead">Primary segments the <paramref name="ahead"/> side is ahead (rounded to whole rounds of pairs).</param>
    public BacklogDriver(int flows, int payload, bool resegment, Side ahead, int lead)
    {
        _flows = flows;
        _payload = payload;
        _resegment = resegment;
        _ahead = ahead;
        _leadPairs = Math.Max(1, lead / (2 * flows)) * flows;
        _primary = new byte[flows][][];
        _secondary = new byte[flows][][];
        _primarySequence = new uint[flows];
        _secondarySequence = new uint[flows];
        int half = payload / 2;
        for (int f = 0; f < flows; f++)
        {
            uint isn = BenchmarkFlows.Isn(f);
            _primarySequence[f] = unchecked(isn + 1);
            _secondarySequence[f] = unchecked(isn + 1);
            _primary[f] = [BenchmarkFlows.Frame(f, payload, 0, 0, 1), BenchmarkFlows.Frame(f, payload, 0, payload, 2)];
            _secondary[f] = resegment
                ? [BenchmarkFlows.Frame(f, half, 0, 0, 3), BenchmarkFlows.Frame(f, payload, 0, half, 4), BenchmarkFlows.Frame(f, payload - half, 0, half + payload, 5)]
                : [BenchmarkFlows.Frame(f, payload, 0, 0, 3), BenchmarkFlows.Frame(f, payload, 0, payload, 4)];
        }

        // Default memory cap (256 MiB); max_queue_size raised as for serve under load, so only the cap could limit.
        _engine = new CompareEngine(new CompareOptions { MaxFlows = Math.Max(65536, flows * 2), MaxQueueSize = 1 << 20 }, _sink);
    }

    /// <summary>Primary segments the leading side is ahead.</summary>
    public int Lead => 2 * _leadPairs;

    public CompareEngine Engine => _engine;

    public NullSink Sink => _sink;

    /// <summary>
    /// Builds the backlog, then runs until the pools hold what the standing backlog needs at every alignment: two
    /// turns of the backlog and at least 1 MiB of stream per flow (how many 16 KiB chunks and 64-entry blocks a
    /// backlog spans varies by one with where it starts).
    /// </summary>
    public void WarmUp()
    {
        for (int i = 0; i < _leadPairs; i++)
            Ingest(_ahead);
        Run(Math.Max(2 * Lead, 2 * _flows * (((1 << 20) / _payload) + 2)));
        if (_sink.Divergences != 0 || _sink.Checkpoints != 0 || _sink.Released == 0)
        {
            throw new InvalidOperationException(
                $"warm-up went wrong: {_sink.Released} released, {_sink.Divergences} divergences, {_sink.Checkpoints} checkpoint triggers.");
        }
    }

    /// <summary>Ingests <paramref name="primarySegments"/> primary segments (rounded up to pairs) on each side.</summary>
    public long Run(int primarySegments)
    {
        Side behind = _ahead == Side.Primary ? Side.Secondary : Side.Primary;
        for (int done = 0; done < primarySegments; done += 2)
        {
            Ingest(_ahead);
            Ingest(behind);
        }

        return _sink.Released;
    }

    /// <summary>The next pair of primary segments of one side (the secondary's cut as two or three pieces).</summary>
    private void Ingest(Side side)
    {
        TimeSpan now = TimeSpan.FromTicks(_ticks += 10);
        CompareEngine engine = _engine;
        if (side == Side.Primary)
        {
            int f = _primaryFlow;
            uint sequence = _primarySequence[f];
            byte[][] frames = _primary[f];
            FrameBuilder.SetIpv4TcpSequence(frames[0], sequence);
            FrameBuilder.SetIpv4TcpSequence(frames[1], unchecked(sequence + (uint)_payload));
            engine.Ingest(Side.Primary, frames[0], 0, now);
            engine.Ingest(Side.Primary, frames[1], 0, now);
            _primarySequence[f] = unchecked(sequence + (uint)(2 * _payload));
            if (++_primaryFlow == _flows)
                _primaryFlow = 0;
        }
        else
        {
            int f = _secondaryFlow;
            uint sequence = _secondarySequence[f];
            byte[][] frames = _secondary[f];
            if (_resegment)
            {
                int half = _payload / 2;
                FrameBuilder.SetIpv4TcpSequence(frames[0], sequence);
                FrameBuilder.SetIpv4TcpSequence(frames[1], unchecked(sequence + (uint)half));
                FrameBuilder.SetIpv4TcpSequence(frames[2], unchecked(sequence + (uint)(half + _payload)));
                engine.Ingest(Side.Secondary, frames[0], 0, now);
                engine.Ingest(Side.Secondary, frames[1], 0, now);
                engine.Ingest(Side.Secondary, frames[2], 0, now);
            }
            else
            {
                FrameBuilder.SetIpv4TcpSequence(frames[0], sequence);
                FrameBuilder.SetIpv4TcpSequence(frames[1], unchecked(sequence + (uint)_payload));
                engine.Ingest(Side.Secondary, frames[0], 0, now);
                engine.Ingest(Side.Secondary, frames[1], 0, now);
            }

            _secondarySequence[f] = unchecked(sequence + (uint)(2 * _payload));
            if (++_secondaryFlow == _flows)
                _secondaryFlow = 0;
        }
    }
}
