using System.Diagnostics;
using System.Globalization;

namespace Lmvp.Bench;

/// <summary>What a scenario needs: its sizes, its scratch directory, the lmvp binary, and where to put figures.</summary>
internal sealed class ScenarioContext
{
    private const int IoBufferSize = 8 * 1024 * 1024;

    public ScenarioContext(string scenario, BenchSizes sizes, string directory, CliRunner cli)
    {
        Scenario = scenario;
        Sizes = sizes;
        Directory = directory;
        Cli = cli;
        Result = new ScenarioResult { Scenario = scenario };
    }

    public string Scenario { get; }

    public BenchSizes Sizes { get; }

    /// <summary>This scenario's own scratch directory (created empty, deleted afterwards unless --keep).</summary>
    public string Directory { get; }

    public CliRunner Cli { get; }

    public ScenarioResult Result { get; }

    public void Log(string message) => Console.WriteLine($"  [{Scenario}] {message}");

    public void Note(string note) => Result.Notes.Add(note);

    public Measurement Add(string name, double value, string unit, Goal? goal = null, string? note = null, IReadOnlyList<double>? samples = null)
    {
        var m = new Measurement(Scenario, name, value, unit)
        {
            Target = goal?.Describe(unit),
            Met = goal?.IsMet(value),
            Note = note,
            Samples = samples,
        };
        Result.Measurements.Add(m);
        var verdict = m.Met switch { true => "  [target met]", false => "  [TARGET MISSED]", null => "" };
        Log($"{name}: {Results.FormatValue(value, unit)} {unit}{verdict}");
        return m;
    }

    /// <summary>Adds the peak RSS since the last <see cref="ProcessStats.ResetPeak"/> against the 300 MB target.</summary>
    public void AddPeakMemory(string name, long bytes, string? note = null) =>
        Add(name, bytes / 1e6, "MB", Goal.Max(300), note);

    /// <summary>Runs an operation under the thread sampler and records its profile; returns the wall time.</summary>
    public TimeSpan Profiled(string operation, Action action)
    {
        using var sampler = ThreadCpuSampler.Start();
        action();
        var profile = sampler.Stop(Scenario, operation);
        Result.Profiles.Add(profile);
        return TimeSpan.FromSeconds(profile.WallSeconds);
    }

    public static TimeSpan Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed;
    }

    public static double MBps(long bytes, TimeSpan elapsed) => bytes / elapsed.TotalSeconds / 1e6;

    public static double Median(IReadOnlyList<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public static string Size(long bytes) => bytes >= 1L << 30
        ? (bytes / (double)(1L << 30)).ToString("0.##", CultureInfo.InvariantCulture) + " GiB"
        : (bytes / (double)(1L << 20)).ToString("0.#", CultureInfo.InvariantCulture) + " MiB";

    /// <summary>Reads files (or every file under a directory) so they sit in the page cache.</summary>
    public static void Warm(string path)
    {
        var files = File.Exists(path) ? [path] : System.IO.Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories);
        var buffer = new byte[IoBufferSize];
        foreach (var f in files)
        {
            ReadAll(f, buffer);
        }
    }

    /// <summary>Reads a file to its end through a buffer; returns the bytes read.</summary>
    public static long ReadAll(string path, byte[]? buffer = null)
    {
        buffer ??= new byte[IoBufferSize];
        using var stream = StoreInternals.OpenForCommit(path);
        long total = 0;
        int read;
        while ((read = stream.Read(buffer, 0, buffer.Length)) > 0)
        {
            total += read;
        }

        return total;
    }

    /// <summary>Writes <paramref name="length"/> bytes of weights to a new file, optionally ending with fsync.</summary>
    public static void WriteFile(string path, long length, bool flushToDisk)
    {
        var buffer = new byte[IoBufferSize];
        WeightData.Fill(buffer, 42);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 0);
        for (long done = 0; done < length; done += buffer.Length)
        {
            stream.Write(buffer, 0, (int)Math.Min(buffer.Length, length - done));
        }

        stream.Flush(flushToDisk);
    }

    public static long DirectorySize(string path) => System.IO.Directory.Exists(path)
        ? System.IO.Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length)
        : 0;

    /// <summary>Waits until files written just now are older than the store's racy-timestamp window, so the stat cache trusts them.</summary>
    public static void WaitOutRacyWindow(DateTime lastWriteUtc)
    {
        var wait = lastWriteUtc + TimeSpan.FromSeconds(2.2) - DateTime.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            Thread.Sleep(wait);
        }
    }
}
