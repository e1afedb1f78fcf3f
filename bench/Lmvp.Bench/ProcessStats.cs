using System.Globalization;
using System.Runtime.InteropServices;

namespace Lmvp.Bench;

/// <summary>Memory and CPU figures read from Linux (/proc, getrusage).</summary>
internal static partial class ProcessStats
{
    private const int RusageChildren = -1;
    private const int RusageSize = 144;
    private const double ClockTicksPerSecond = 100; // USER_HZ

    /// <summary>Peak resident set size of this process (VmHWM) in bytes, since start or the last <see cref="ResetPeak"/>.</summary>
    public static long PeakRss() => ReadStatusKiB("VmHWM:") * 1024;

    /// <summary>Current resident set size in bytes.</summary>
    public static long CurrentRss() => ReadStatusKiB("VmRSS:") * 1024;

    /// <summary>Resets VmHWM to the current RSS (Linux 4.0+), so a later peak belongs to what runs after this call.</summary>
    /// <returns>False where the kernel does not allow it; the peak then covers the whole process.</returns>
    public static bool ResetPeak()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
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

    /// <summary>User and system CPU seconds of all the child processes this process has waited for.</summary>
    /// <remarks>Not ru_maxrss: Linux carries a forking parent's RSS into its child's figure.</remarks>
    public static (double User, double System) ChildrenCpu()
    {
        var usage = ChildrenUsage();
        return (usage.User, usage.System);
    }

    /// <summary>User and system CPU seconds this process has used (from /proc/self/stat, in clock ticks of 10 ms).</summary>
    public static (double User, double System) SelfCpu()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) / ClockTicksPerSecond,
            long.Parse(fields[12], CultureInfo.InvariantCulture) / ClockTicksPerSecond);
    }

    /// <summary>Writes every dirty page to disk, so background writeback of generated data does not disturb a measurement.</summary>
    public static void SyncDisks() => Sync();

    private static (double User, double System) ChildrenUsage()
    {
        // struct rusage on 64-bit Linux starts with ru_utime and ru_stime (timeval: seconds, microseconds).
        Span<long> usage = stackalloc long[RusageSize / sizeof(long)];
        unsafe
        {
            fixed (long* p = usage)
            {
                if (GetRusage(RusageChildren, (byte*)p) != 0)
                {
                    return (0, 0);
                }
            }
        }

        return (usage[0] + (usage[1] / 1e6), usage[2] + (usage[3] / 1e6));
    }

    private static long ReadStatusKiB(string key)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                var value = line[key.Length..].Trim();
                return long.Parse(value.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    [LibraryImport("libc", EntryPoint = "getrusage")]
    private static unsafe partial int GetRusage(int who, byte* usage);

    [LibraryImport("libc", EntryPoint = "sync")]
    private static partial void Sync();
}
