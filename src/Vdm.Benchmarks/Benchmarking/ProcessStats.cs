using System.Runtime.InteropServices;
using Vdm.Runtime;

namespace Vdm.Benchmarking;

/// <summary>Whole-process figures read from Linux <c>/proc</c>: resident memory and the CPU model. Zero or
/// "unknown" where <c>/proc</c> is not available.</summary>
public static class ProcessStats
{
    /// <summary>Current resident set size (VmRSS) in bytes.</summary>
    public static long ResidentBytes() => StatusKilobytes("VmRSS:") * 1024;

    /// <summary>Peak resident set size since the process started or since <see cref="ResetPeakResident"/> (VmHWM), in bytes.</summary>
    public static long PeakResidentBytes() => StatusKilobytes("VmHWM:") * 1024;

    /// <summary>Resets VmHWM to the current RSS (writes 5 to /proc/self/clear_refs); false when not permitted.</summary>
    public static bool ResetPeakResident()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>CPU time (user + system) used by every thread of this process so far, from getrusage (microsecond
    /// resolution; /proc's jiffies are 10 ms). On a shared machine, work per CPU-second is steadier than per
    /// wall-clock second, which also counts the time slices other processes took.</summary>
    public static TimeSpan CpuTime()
    {
        if (!OperatingSystem.IsLinux()) return System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var usage = new long[18]; // struct rusage: ru_utime and ru_stime (timeval: seconds, microseconds), then 14 longs
        if (getrusage(0, usage) != 0) return System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        long micros = (usage[0] + usage[2]) * 1_000_000 + usage[1] + usage[3];
        return TimeSpan.FromMicroseconds(micros);
    }

    [DllImport("libc")]
    private static extern int getrusage(int who, [Out] long[] usage);

    /// <summary>The one-minute load average (runnable processes on the whole machine), or −1 when unknown: a
    /// benchmark on a shared machine should say how shared it was.</summary>
    public static double LoadAverage()
    {
        try
        {
            var first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
            return double.Parse(first, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return -1;
        }
    }

    /// <summary>The "model name" line of /proc/cpuinfo.</summary>
    public static string CpuModel() => CpuInfo.Model();

    /// <summary>Which of the instruction-set extensions that matter for libtorch's CPU kernels this CPU reports.</summary>
    public static string[] CpuFeatures() => CpuInfo.Features();

    private static long StatusKilobytes(string key)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
                var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
        return 0;
    }

}
