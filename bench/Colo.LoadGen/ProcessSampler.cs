using System.Globalization;

namespace Colo.LoadGen;

/// <summary>Reads another process's CPU time (/proc/PID/stat utime+stime, all threads) and peak RSS (VmHWM).</summary>
internal static class ProcessSampler
{
    private static readonly long TicksPerSecond = Native.ClockTicksPerSecond();

    /// <summary>CPU seconds used so far, or NaN if the process cannot be read.</summary>
    public static double CpuSeconds(int pid)
    {
        if (pid <= 0)
            return double.NaN;
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after "(comm)": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15).
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
            long stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (utime + stime) / (double)TicksPerSecond;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return double.NaN;
        }
    }

    /// <summary>A /proc/PID/status field in kB (VmHWM = peak RSS, VmRSS = current), or -1.</summary>
    public static long StatusKilobytes(int pid, string field)
    {
        if (pid <= 0)
            return -1;
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith(field, StringComparison.Ordinal) || line.Length <= field.Length || line[field.Length] != ':')
                    continue;
                string value = line[(field.Length + 1)..].Trim();
                int space = value.IndexOf(' ', StringComparison.Ordinal);
                return long.Parse(space > 0 ? value[..space] : value, CultureInfo.InvariantCulture);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }

        return -1;
    }
}
