using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Lmvp.Bench;

/// <summary>Describes the machine a run happened on, so figures can be compared across runs.</summary>
internal static class Machine
{
    public static Dictionary<string, string> Describe(string scratchDirectory)
    {
        var info = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["nproc"] = Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture),
            ["cpu"] = FirstValue("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
            ["simd"] = string.Join(' ', new[] { ("sse4.1", Sse41.IsSupported), ("avx2", Avx2.IsSupported), ("avx512f", Avx512F.IsSupported) }
                .Where(x => x.Item2).Select(x => x.Item1)),
            ["memory"] = MemTotal(),
            ["kernel"] = ReadOrEmpty("/proc/sys/kernel/osrelease").Trim(),
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["scratch filesystem"] = FileSystemOf(scratchDirectory),
            ["load average at start"] = string.Join(' ', ReadOrEmpty("/proc/loadavg").Split(' ').Take(3)),
            ["build"] = IsOptimized(typeof(Lmvp.Store.Repository).Assembly) ? "Release" : "Debug (not representative)",
        };
        return info;
    }

    /// <summary>The share of the last 10 s in which some runnable task waited for a CPU (Linux PSI), in percent; null where unavailable.</summary>
    public static double? CpuPressure()
    {
        var some = ReadOrEmpty("/proc/pressure/cpu").Split('\n').FirstOrDefault(l => l.StartsWith("some ", StringComparison.Ordinal));
        var field = some?.Split(' ').FirstOrDefault(f => f.StartsWith("avg10=", StringComparison.Ordinal));
        return field is not null && double.TryParse(field["avg10=".Length..], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    /// <summary>The one-minute load average.</summary>
    public static string LoadAverage() => ReadOrEmpty("/proc/loadavg").Split(' ')[0];

    /// <summary>Waits up to <paramref name="limit"/> for other work on the machine to calm down (CPU pressure under 5%).</summary>
    public static void WaitForQuiet(TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (CpuPressure() is > 5 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(TimeSpan.FromSeconds(2));
        }
    }

    /// <summary>True when the JIT optimizes the assembly (a Release build).</summary>
    public static bool IsOptimized(Assembly assembly) =>
        assembly.GetCustomAttribute<DebuggableAttribute>() is not { IsJITOptimizerDisabled: true };

    private static string MemTotal()
    {
        var kib = FirstValue("/proc/meminfo", "MemTotal")?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return long.TryParse(kib, NumberStyles.Integer, CultureInfo.InvariantCulture, out var k)
            ? (k / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " GiB"
            : "unknown";
    }

    private static string? FirstValue(string path, string key)
    {
        foreach (var line in ReadOrEmpty(path).Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && line[..colon].Trim() == key)
            {
                return line[(colon + 1)..].Trim();
            }
        }

        return null;
    }

    private static string FileSystemOf(string directory)
    {
        // The longest mount point that prefixes the directory is the one it lives on.
        var best = (Mount: "", Type: "unknown", Device: "");
        foreach (var line in ReadOrEmpty("/proc/mounts").Split('\n'))
        {
            var parts = line.Split(' ');
            if (parts.Length < 3)
            {
                continue;
            }

            var mount = parts[1];
            var under = directory == mount || directory.StartsWith(mount.TrimEnd('/') + "/", StringComparison.Ordinal);
            if (under && mount.Length >= best.Mount.Length)
            {
                best = (mount, parts[2], parts[0]);
            }
        }

        return $"{best.Type} on {best.Device} (mounted at {best.Mount})";
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
