using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;

namespace Colo.LoadGen;

/// <summary>
/// One replica's output: builds frames in send order (see <see cref="TrafficPlan"/>) into a large batch and writes the
/// batch with one send. The primary decides when the run ends; the secondary sends exactly as many rounds.
/// </summary>
internal sealed class SideWriter : IProgressWaiter
{
    /// <summary>How far past a byte lag the primary may run (the lock-step default skew).</summary>
    private const int ByteLagSlackFrames = 1024;

    private readonly RunState _state;
    private readonly TrafficPlan _plan;
    private readonly Socket _socket;
    private readonly bool _primary;
    private readonly LoadOptions _options;
    private readonly byte[] _batch;
    private readonly long[] _completes;
    private readonly long _lagFrames;
    private int _batchLength;
    private int _completesCount;
    private int _framesInBatch;

    // Cursor: round, flow, piece within the flow's pair.
    private long _round;
    private int _flow;
    private int _piece;
    private bool _pairResegmented;
    private long _secondaryPieces;

    public SideWriter(RunState state, Socket socket, bool primary, LoadOptions options)
    {
        _state = state;
        _plan = state.Plan;
        _socket = socket;
        _primary = primary;
        _options = options;
        _batch = new byte[Math.Max(options.BatchBytes, 2 * (_plan.PrimaryFrameLength + _plan.FramingLength))];
        _completes = new long[options.BatchFrames * 2];
        _pairResegmented = !primary && _plan.IsResegmented(0, 0);
        _lagFrames = options.Skew.LagFrames(TrafficPlan.HeadersLength + _plan.Payload);
    }

    public Exception? Error { get; private set; }

    public void Run()
    {
        try
        {
            Native.MinimiseTimerSlack();
            Loop();
        }
        catch (Exception ex) when (ex is SocketException or IOException or ObjectDisposedException)
        {
            Error = ex;
            _state.Fail($"{(_primary ? "primary" : "secondary")} writer: {ex.Message}");
        }
    }

    /// <summary>Global index whose pacing deadline applies to the next frame (the primary segment it completes or starts).</summary>
    private long NextDueIndex()
    {
        long segment = (2 * _round) + (_primary || !_pairResegmented ? _piece : (_piece == 2 ? 1 : 0));
        return _plan.GlobalIndex(_flow, segment);
    }

    private void Loop()
    {
        long ticksPerSecond = Stopwatch.Frequency;
        double rate = _options.Rate;
        long durationTicks = (long)(_options.Duration.TotalSeconds * ticksPerSecond);
        long lagTicks = (long)(_options.Skew.Time.TotalSeconds * ticksPerSecond);
        // A paced run knows its length up front (both sides follow the clock); a flood ends when the primary says so.
        long frames = _options.Frames > 0 ? _options.Frames
            : rate > 0 ? (long)Math.Ceiling(rate * _options.Duration.TotalSeconds) : 0;
        long roundsForFrames = frames > 0 ? (frames + (2L * _plan.Flows) - 1) / (2L * _plan.Flows) : long.MaxValue;
        if (roundsForFrames != long.MaxValue)
            Volatile.Write(ref _state.FinalRounds, roundsForFrames);

        while (!_state.Abort)
        {
            // End of run: the primary decides at a round boundary; the secondary follows. A free-running secondary may
            // be rounds ahead: then the primary sends as many rounds as the secondary has started.
            if (_flow == 0 && _piece == 0)
            {
                if (_primary && Volatile.Read(ref _state.FinalRounds) == long.MaxValue
                    && RunState.Now() - _state.StartTimestamp >= durationTicks)
                {
                    _state.DecideFinalRounds(_round);
                }

                if (!_primary && _options.Skew.SecondaryMayLead)
                {
                    if (!_state.TryStartSecondaryRound(_round))
                        break;
                }
                else if (_round >= Volatile.Read(ref _state.FinalRounds))
                {
                    break;
                }
            }

            long due = NextDueIndex();
            if (!CanSend(due))
            {
                Flush();
                _state.Wait(this);
                continue;
            }

            // A time lag: the segment is due a fixed time after the primary wrote it.
            if (!_primary && _options.Skew.Kind == SkewKind.Time)
            {
                long dueAt = _state.PrimaryTime[(int)(due & RunState.RingMask)] + lagTicks;
                if (dueAt > RunState.Now())
                {
                    Flush();
                    long waitNs = (long)((dueAt - RunState.Now()) * (1e9 / ticksPerSecond));
                    Native.SleepNanoseconds(Math.Min(waitNs, 1_000_000));
                    continue;
                }
            }

            if (rate > 0)
            {
                long dueAt = _state.StartTimestamp + (long)(due * ticksPerSecond / rate);
                long now = RunState.Now();
                if (dueAt > now)
                {
                    Flush();
                    long waitNs = (long)((dueAt - RunState.Now()) * (1e9 / ticksPerSecond));
                    Native.SleepNanoseconds(waitNs);
                    continue;
                }
            }

            if (_batchLength + _plan.PrimaryFrameLength + _plan.FramingLength > _batch.Length
                || _framesInBatch >= _options.BatchFrames)
                Flush();

            BuildNext();
        }

        Flush();
        if (_primary)
        {
            Volatile.Write(ref _state.PrimaryFinished, true);
            _state.Notify();
        }
    }

    public bool CanProceed() => CanSend(NextDueIndex());

    private bool CanSend(long due)
    {
        SkewBound skew = _options.Skew;
        bool inWindow = due - Volatile.Read(ref _state.Drained) < _options.Window;
        if (_primary)
        {
            // Lock-step: at most N frames ahead. A byte lag: at most the lag plus the lock-step slack ahead, so the
            // backlog stays at the lag even when the comparator reads the secondary more slowly than it is written.
            return inWindow && skew.Kind switch
            {
                SkewKind.Frames => due - Volatile.Read(ref _state.SecondaryWritten) < skew.Frames,
                SkewKind.Bytes => due - Volatile.Read(ref _state.SecondaryWritten) < _lagFrames + ByteLagSlackFrames,
                _ => true,
            };
        }

        return skew.Kind switch
        {
            // Lock-step: the secondary follows the primary (only segments the primary has already built), or the
            // clock when paced.
            SkewKind.Frames => _options.Rate > 0 || due < Volatile.Read(ref _state.PrimaryBuilt),
            SkewKind.None => inWindow,
            // Only segments the primary has written (their write time is known); Loop waits for the time itself.
            SkewKind.Time => due < Volatile.Read(ref _state.PrimaryWritten),
            _ => due + _lagFrames < Volatile.Read(ref _state.PrimaryWritten)
                || (Volatile.Read(ref _state.PrimaryFinished) && due < Volatile.Read(ref _state.PrimaryWritten)),
        };
    }

    private void BuildNext()
    {
        int p = _plan.Payload;
        long pairOffset = 2 * _round * p;
        long offset;
        int length;
        long completes;
        ushort ipId;
        bool lastPiece;
        if (_primary || !_pairResegmented)
        {
            long segment = (2 * _round) + _piece;
            offset = segment * p;
            length = p;
            completes = _plan.GlobalIndex(_flow, segment);
            ipId = _primary ? (ushort)segment : (ushort)(0x8000 + _secondaryPieces);
            lastPiece = _piece == 1;
        }
        else
        {
            int half = p / 2;
            (offset, length, completes) = _piece switch
            {
                0 => (pairOffset, half, -1L),
                1 => (pairOffset + half, p, _plan.GlobalIndex(_flow, 2 * _round)),
                _ => (pairOffset + half + p, p - half, _plan.GlobalIndex(_flow, (2 * _round) + 1)),
            };
            ipId = (ushort)(0x8000 + _secondaryPieces);
            lastPiece = _piece == 2;
        }

        Span<byte> destination = _batch.AsSpan(_batchLength);
        int headerWords = _plan.FramingLength;
        int frameLength = _plan.WriteFrame(destination[headerWords..], _flow, offset, length, ipId, applyDivergence: !_primary);
        BinaryPrimitives.WriteInt32BigEndian(destination, frameLength);
        if (headerWords == 8)
            BinaryPrimitives.WriteInt32BigEndian(destination[4..], _plan.VnetHeaderLength);
        _batchLength += headerWords + frameLength;
        _framesInBatch++;
        _secondaryPieces++;
        if (completes >= 0)
            _completes[_completesCount++] = completes;
        if (_primary)
            Volatile.Write(ref _state.PrimaryBuilt, completes + 1);

        // Advance the cursor.
        if (!lastPiece)
        {
            _piece++;
            return;
        }

        _piece = 0;
        if (++_flow == _plan.Flows)
        {
            _flow = 0;
            _round++;
        }

        if (!_primary)
            _pairResegmented = _plan.IsResegmented(_flow, _round);
    }

    /// <summary>Stamps every segment in the batch with the time just before the send, then sends it.</summary>
    private void Flush()
    {
        if (_batchLength == 0)
            return;
        long now = RunState.Now();
        long[] indexRing = _primary ? _state.PrimaryIndex : _state.SecondaryIndex;
        long[] timeRing = _primary ? _state.PrimaryTime : _state.SecondaryTime;
        long last = -1;
        for (int i = 0; i < _completesCount; i++)
        {
            long index = _completes[i];
            int slot = (int)(index & RunState.RingMask);
            timeRing[slot] = now;
            Volatile.Write(ref indexRing[slot], index);
            last = index;
        }

        SocketTuning.SendAll(_socket, _batch.AsSpan(0, _batchLength));
        if (_primary)
        {
            if (last >= 0)
                Volatile.Write(ref _state.PrimaryWritten, last + 1);
        }
        else
        {
            if (last >= 0)
                Volatile.Write(ref _state.SecondaryWritten, last + 1);
            Interlocked.Add(ref _state.SecondaryFrames, _framesInBatch);
        }

        _batchLength = 0;
        _completesCount = 0;
        _framesInBatch = 0;
        _state.Notify();
    }
}
