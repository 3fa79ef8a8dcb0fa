using System.Runtime.InteropServices;

namespace Colo.LoadGen;

/// <summary>Linux calls for precise pacing (sub-millisecond sleeps) and /proc tick conversion.</summary>
internal static partial class Native
{
    private const int ClockMonotonic = 1;
    private const int TimerAbstime = 1;
    private const int PrSetTimerslack = 29;
    private const int ScClkTck = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clock, int flags, in Timespec request, IntPtr remain);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGettime(int clock, out Timespec time);

    [LibraryImport("libc", EntryPoint = "prctl")]
    private static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long Sysconf(int name);

    /// <summary>Linux rounds sleeps up by the thread's timer slack (50 us by default): make it 1 ns.</summary>
    public static void MinimiseTimerSlack()
    {
        if (OperatingSystem.IsLinux())
            _ = Prctl(PrSetTimerslack, 1, 0, 0, 0);
    }

    /// <summary>Clock ticks per second for /proc/PID/stat times (USER_HZ, 100 almost everywhere).</summary>
    public static long ClockTicksPerSecond()
    {
        if (!OperatingSystem.IsLinux())
            return 100;
        long ticks = Sysconf(ScClkTck);
        return ticks > 0 ? ticks : 100;
    }

    /// <summary>Sleeps for <paramref name="nanoseconds"/> (CLOCK_MONOTONIC), falling back to Thread.Sleep.</summary>
    public static void SleepNanoseconds(long nanoseconds)
    {
        if (nanoseconds <= 0)
            return;
        if (!OperatingSystem.IsLinux())
        {
            Thread.Sleep(TimeSpan.FromTicks(Math.Max(1, nanoseconds / 100)));
            return;
        }

        if (ClockGettime(ClockMonotonic, out Timespec now) != 0)
        {
            Thread.Sleep(1);
            return;
        }

        long total = now.Nanoseconds + nanoseconds;
        var until = new Timespec { Seconds = now.Seconds + (total / 1_000_000_000), Nanoseconds = total % 1_000_000_000 };
        _ = ClockNanosleep(ClockMonotonic, TimerAbstime, in until, IntPtr.Zero);
    }
}
