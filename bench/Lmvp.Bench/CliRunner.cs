using System.Diagnostics;

namespace Lmvp.Bench;

/// <summary>What one run of the real <c>lmvp</c> binary did.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Error, TimeSpan Elapsed, double UserCpuSeconds, double SystemCpuSeconds, long PeakRss)
{
    /// <summary>"CPU user X s + kernel Y s", for a note beside a wall-time figure.</summary>
    public string DescribeCpu() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"process CPU: user {UserCpuSeconds:0.00} s + kernel {SystemCpuSeconds:0.00} s");

    public CliRun EnsureSuccess(string what) => ExitCode == 0
        ? this
        : throw new InvalidOperationException($"lmvp {what} exited with {ExitCode}: {Error.Trim()}");
}

/// <summary>Runs the real <c>lmvp</c> executable as a child process, timing it from spawn to exit.</summary>
/// <remarks>
/// The bench references the CLI project, so the build puts the <c>lmvp</c> apphost next to the bench.
/// Peak memory is read from the child's own /proc/PID/status (VmHWM) every few milliseconds while it runs. getrusage's
/// ru_maxrss would not do: Linux carries the forking parent's RSS over into the child's figure, so every child of a
/// large benchmark process would look as large as the benchmark.
/// </remarks>
internal sealed class CliRunner
{
    private readonly string _fileName;
    private readonly string[] _prefix;

    public CliRunner(string? explicitPath)
    {
        var path = explicitPath ?? Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "lmvp.exe" : "lmvp");
        if (File.Exists(path) && !path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            _fileName = path;
            _prefix = [];
        }
        else
        {
            var dll = path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase) ? path : Path.Combine(AppContext.BaseDirectory, "lmvp.dll");
            if (!File.Exists(dll))
            {
                throw new FileNotFoundException($"Cannot find the lmvp binary at {path}; build the bench (it references src/Lmvp.Cli) or pass --lmvp PATH.");
            }

            _fileName = "dotnet";
            _prefix = [dll];
        }
    }

    public string Describe() => string.Join(' ', [_fileName, .. _prefix]);

    /// <summary>Runs lmvp in <paramref name="workingDirectory"/> and waits for it, capturing its output.</summary>
    public CliRun Run(string workingDirectory, params string[] args)
    {
        var run = RunProcess(_fileName, [.. _prefix, .. args], workingDirectory);
        MaxPeakRss = Math.Max(MaxPeakRss, run.PeakRss);
        return run;
    }

    /// <summary>Runs any program (a peer such as borg or zstd) the same way: timed from spawn to exit, with its peak RSS.</summary>
    public static CliRun RunProcess(string fileName, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var before = ProcessStats.ChildrenCpu();
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        long peak = 0;
        var status = $"/proc/{process.Id}/status";
        do
        {
            peak = Math.Max(peak, ReadPeakRss(status));
        }
        while (!process.WaitForExit(PollMilliseconds));

        process.WaitForExit(); // drains the output readers
        clock.Stop();
        var after = ProcessStats.ChildrenCpu();
        return new CliRun(process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult(), clock.Elapsed,
            after.User - before.User, after.System - before.System, peak);
    }

    /// <summary>The largest peak RSS seen among the lmvp processes run so far.</summary>
    public long MaxPeakRss { get; private set; }

    private const int PollMilliseconds = 5;

    /// <summary>The directory-qualified path of <paramref name="program"/> on PATH, or null when it is not installed.</summary>
    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    private static long ReadPeakRss(string statusPath)
    {
        try
        {
            foreach (var line in File.ReadLines(statusPath))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kib = long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                    return kib * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // The process exited between polls (a zombie has no memory figures left).
        }

        return 0;
    }

    /// <summary>True when this build of lmvp lists <paramref name="command"/> among the commands in its help.</summary>
    /// <remarks>Asking for <c>lmvp COMMAND --help</c> would not do: the root's help answers for an unknown command too.</remarks>
    public bool HasCommand(string workingDirectory, string command)
    {
        var help = Run(workingDirectory, "--help").EnsureSuccess("--help").Output;
        var commands = help[(help.IndexOf("Commands:", StringComparison.Ordinal) + 1)..];
        return commands.Split('\n').Any(line => line.TrimStart().Split(' ', 2)[0] == command);
    }
}
