using System.Diagnostics;
using System.Globalization;

namespace Lmvp.Bench;

/// <summary>CPU time one thread used during a profiled operation.</summary>
/// <param name="Name">"main" for the thread that called the operation, else the kernel's thread name.</param>
/// <param name="CpuSeconds">User plus system CPU seconds within the window.</param>
internal sealed record ThreadCpu(string Name, double CpuSeconds);

/// <summary>Where the time of one operation went: wall time, process CPU, and the CPU of each busy thread.</summary>
internal sealed record Profile(string Scenario, string Operation, double WallSeconds, double ProcessCpuSeconds, double SystemCpuSeconds, IReadOnlyList<ThreadCpu> Threads);

/// <summary>Samples /proc/self/task every few milliseconds to attribute CPU time to threads.</summary>
/// <remarks>
/// Pipeline threads are created and end within one operation and their /proc entries vanish with them, so the
/// sampler polls and keeps the last value it saw for each thread: a thread's figure may miss at most its last
/// poll interval. A thread that is near 100% of wall time is the one the operation waits for.
/// </remarks>
internal sealed class ThreadCpuSampler : IDisposable
{
    private const int PollMilliseconds = 20;
    private const int MaxSeparateThreads = 3;
    private const double TicksPerSecond = 100; // USER_HZ on every Linux the bench targets

    private readonly Dictionary<int, (string Name, long Start, long Last)> _threads = [];
    private readonly Thread _poller;
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly (double User, double System) _cpuStart = ProcessStats.SelfCpu();
    private readonly int _pollerId;
    private volatile bool _stop;

    private ThreadCpuSampler()
    {
        Poll(initial: true);
        using var ready = new ManualResetEventSlim();
        var pollerId = 0;
        _poller = new Thread(() =>
        {
            pollerId = GetTid();
            ready.Set();
            while (!_stop)
            {
                Thread.Sleep(PollMilliseconds);
                Poll(initial: false);
            }
        })
        { IsBackground = true, Name = "cpu-sampler" };
        _poller.Start();
        ready.Wait();
        _pollerId = pollerId;
    }

    /// <summary>Starts sampling now.</summary>
    public static ThreadCpuSampler Start() => new();

    /// <summary>Stops sampling and returns the profile of the window.</summary>
    public Profile Stop(string scenario, string operation, int top = 4)
    {
        _stop = true;
        _poller.Join();
        Poll(initial: false);
        _wall.Stop();
        var (user, system) = ProcessStats.SelfCpu();
        system -= _cpuStart.System;
        var cpu = user - _cpuStart.User + system;
        var main = Environment.ProcessId;
        var threads = _threads
            .Where(kv => kv.Key != _pollerId && kv.Value.Last > kv.Value.Start)
            .Select(kv => (Name: kv.Key == main ? "main" : Describe(kv.Value.Name), Ticks: kv.Value.Last - kv.Value.Start))
            .GroupBy(t => t.Name)
            // Per-file threads of a many-file commit are summed; a few threads stay separate, since which one is busiest matters.
            .SelectMany(g => g.Count() <= MaxSeparateThreads
                ? g.Select(t => new ThreadCpu(t.Name, t.Ticks / TicksPerSecond))
                : [new ThreadCpu($"{g.Count()} {g.Key}s", g.Sum(t => t.Ticks) / TicksPerSecond)])
            .OrderByDescending(t => t.CpuSeconds)
            .Take(top)
            .ToList();
        return new Profile(scenario, operation, _wall.Elapsed.TotalSeconds, cpu, system, threads);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _stop = true;
        if (_poller.IsAlive)
        {
            _poller.Join();
        }
    }

    /// <summary>Names the runtime's threads by role (the kernel truncates names to 15 characters).</summary>
    private static string Describe(string name) => name switch
    {
        _ when name.StartsWith(".NET Long Run", StringComparison.Ordinal) => "pipeline worker",
        _ when name.StartsWith(".NET Tiered", StringComparison.Ordinal) => "JIT tier-up",
        _ when name.StartsWith(".NET TP Worker", StringComparison.Ordinal) => "thread-pool worker",
        _ => name,
    };

    private static int GetTid()
    {
        // /proc/thread-self points at /proc/<pid>/task/<tid>.
        var target = new DirectoryInfo("/proc/thread-self").ResolveLinkTarget(returnFinalTarget: false)?.Name;
        return int.TryParse(target, NumberStyles.Integer, CultureInfo.InvariantCulture, out var tid) ? tid : 0;
    }

    private void Poll(bool initial)
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories("/proc/self/task");
        }
        catch (IOException)
        {
            return;
        }

        foreach (var task in tasks)
        {
            if (!int.TryParse(Path.GetFileName(task), NumberStyles.Integer, CultureInfo.InvariantCulture, out var tid))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue; // the thread ended between listing and reading
            }

            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            var name = stat[(open + 1)..close];
            var fields = stat[(close + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            lock (_threads)
            {
                if (_threads.TryGetValue(tid, out var known))
                {
                    // Keep the latest name: a new thread shows the process's name until the runtime names it.
                    _threads[tid] = (name, known.Start, ticks);
                }
                else
                {
                    // A thread first seen after the start was born inside the window: all its CPU counts.
                    _threads[tid] = (name, initial ? ticks : 0, ticks);
                }
            }
        }
    }
}
