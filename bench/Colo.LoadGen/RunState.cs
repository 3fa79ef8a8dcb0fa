using System.Diagnostics;

namespace Colo.LoadGen;

/// <summary>
/// What the two writers and the reader share: progress counters (global indices, see <see cref="TrafficPlan"/>),
/// the stop decision, a wake-up signal, and the per-segment write timestamps for latency.
/// </summary>
internal sealed class RunState
{
    /// <summary>Timestamp ring: enough for the in-flight window several times over; a slot is valid only if its index matches.</summary>
    public const int RingBits = 20;
    public const int RingSize = 1 << RingBits;
    public const int RingMask = RingSize - 1;

    private readonly object _gate = new();
    private readonly object _roundGate = new();
    private long _secondaryRoundsStarted;
    private int _waiters;

    public RunState(TrafficPlan plan)
    {
        Plan = plan;
        PrimaryIndex = new long[RingSize];
        PrimaryTime = new long[RingSize];
        SecondaryIndex = new long[RingSize];
        SecondaryTime = new long[RingSize];
        PrimaryIndex.AsSpan().Fill(-1);
        SecondaryIndex.AsSpan().Fill(-1);
    }

    public TrafficPlan Plan { get; }

    public long[] PrimaryIndex { get; }

    public long[] PrimaryTime { get; }

    public long[] SecondaryIndex { get; }

    public long[] SecondaryTime { get; }

    /// <summary>Primary segments built (global index of the next one); the secondary never gets ahead of it.</summary>
    public long PrimaryBuilt;

    /// <summary>Primary segments handed to the socket.</summary>
    public long PrimaryWritten;

    /// <summary>Primary segments whose secondary bytes were all handed to the socket.</summary>
    public long SecondaryWritten;

    /// <summary>Secondary frames (pieces) written.</summary>
    public long SecondaryFrames;

    /// <summary>Distinct primary frames released intact (the reader's count).</summary>
    public long Released;

    /// <summary>Frames read from outdev, intact or not: what the in-flight window counts.</summary>
    public long Drained;

    /// <summary>Rounds the primary will send in total; long.MaxValue until it decides to stop.</summary>
    public long FinalRounds = long.MaxValue;

    /// <summary>Set when the primary has written its last frame (a byte-lagged secondary then catches up).</summary>
    public bool PrimaryFinished;

    /// <summary>Set when something failed; everyone stops.</summary>
    public volatile bool Abort;

    /// <summary>Set before the generator hangs up: errors after this are expected.</summary>
    public volatile bool Stopping;

    public volatile string? Failure;

    /// <summary>Stopwatch timestamp of the first write.</summary>
    public long StartTimestamp;

    /// <summary>The primary stops after <paramref name="primaryRounds"/> rounds, or after as many as a leading secondary has started.</summary>
    public void DecideFinalRounds(long primaryRounds)
    {
        lock (_roundGate)
            Volatile.Write(ref FinalRounds, Math.Max(primaryRounds, _secondaryRoundsStarted));
        Notify();
    }

    /// <summary>A free-running secondary starts <paramref name="round"/> unless the run ends before it.</summary>
    public bool TryStartSecondaryRound(long round)
    {
        lock (_roundGate)
        {
            if (round >= Volatile.Read(ref FinalRounds))
                return false;
            _secondaryRoundsStarted = Math.Max(_secondaryRoundsStarted, round + 1);
            return true;
        }
    }

    public void Fail(string message)
    {
        Failure ??= message;
        Abort = true;
        Notify();
    }

    /// <summary>Wakes waiting writers after progress (cheap when nobody waits).</summary>
    public void Notify()
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _waiters) != 0)
        {
            lock (_gate)
                Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Waits up to 1 ms for a <see cref="Notify"/>, unless <paramref name="waiter"/> is already ready.</summary>
    public void Wait(IProgressWaiter waiter)
    {
        Interlocked.Increment(ref _waiters);
        try
        {
            lock (_gate)
            {
                if (!waiter.CanProceed() && !Abort)
                    Monitor.Wait(_gate, 1);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    public static long Now() => Stopwatch.GetTimestamp();

    public static double Seconds(long ticks) => ticks / (double)Stopwatch.Frequency;
}
