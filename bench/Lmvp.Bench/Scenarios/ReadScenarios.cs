using Lmvp.Store;

namespace Lmvp.Bench.Scenarios;

/// <summary>Reading history back: checkout with verification, and log over many commits.</summary>
internal static class ReadScenarios
{
    private const double CheckoutTargetMBps = 1000;
    private const double LogTargetMs = 300;
    private const int LogRepeats = 5;
    private const int CliLogRepeats = 3;

    /// <summary>Writes a committed big file back out, verified, via Checkout, Restore and the lmvp binary.</summary>
    public static void Checkout(ScenarioContext context)
    {
        var size = context.Sizes.FileBytes;
        var label = ScenarioContext.Size(size);
        var repoDir = Path.Combine(context.Directory, "repo");
        const string name = "weights.bin";
        var file = Path.Combine(repoDir, name);

        using var repo = Repository.Init(repoDir);
        var empty = repo.Commit(new CommitOptions { Message = "bench: empty", AllowEmpty = true }).Commit.Id;
        context.Log($"generating and committing a {label} file of float32 weights");
        WeightData.WriteFile(file, size, 500);
        var committed = repo.Commit(new CommitOptions { Message = "bench: weights" });
        var fileId = repo.ListFiles(committed.Commit.Id).Single().Value.Id;

        // Leave the file absent, then make sure the packs (not the old file) are what sits in the page cache.
        repo.Checkout(empty.ToString());
        if (File.Exists(file))
        {
            throw new InvalidOperationException("Checkout of the empty commit left the file behind.");
        }

        ProcessStats.SyncDisks();
        ScenarioContext.Warm(Path.Combine(repo.RepositoryDirectory, "packs"));

        var read = context.Profiled("read + verify every chunk, nothing written", () => StoreInternals.ReadAndVerifyChunks(repo, fileId));
        context.Add("stage: read + verify chunks from packs (one thread, no writes)", ScenarioContext.MBps(size, read), "MB/s");
        var scratch = Path.Combine(context.Directory, "page-cache-write.tmp");
        var write = context.Profiled("write the same amount to a new file, no fsync", () => ScenarioContext.WriteFile(scratch, size, flushToDisk: false));
        File.Delete(scratch);
        context.Add($"stage: write {label} into the page cache (no fsync)", ScenarioContext.MBps(size, write), "MB/s");
        ProcessStats.SyncDisks();

        ProcessStats.ResetPeak();
        var checkout = context.Profiled("Repository.Checkout(main) writing the file", () => repo.Checkout(Repository.DefaultBranch));
        var peak = ProcessStats.PeakRss();
        Expect(file, size);
        context.Add($"checkout of {label} with verification, in-process (Repository.Checkout)", ScenarioContext.MBps(size, checkout), "MB/s", Goal.Min(CheckoutTargetMBps));
        context.AddPeakMemory("peak RSS during Repository.Checkout", peak);

        File.Delete(file);
        ProcessStats.SyncDisks();
        var restore = context.Profiled("Repository.Restore of the deleted file", () => repo.Restore([file]));
        Expect(file, size);
        context.Add($"restore of {label} with verification, in-process (Repository.Restore)", ScenarioContext.MBps(size, restore), "MB/s", Goal.Min(CheckoutTargetMBps));

        File.Delete(file);
        ProcessStats.SyncDisks();
        string[]? args = context.Cli.HasCommand(repoDir, "restore") ? ["restore", name]
            : context.Cli.HasCommand(repoDir, "checkout") ? ["checkout", "--force", Repository.DefaultBranch]
            : null;
        if (args is null)
        {
            context.Note("this lmvp build has neither `restore` nor `checkout`, so the CLI checkout was not measured.");
            return;
        }

        var cli = context.Cli.Run(repoDir, args).EnsureSuccess(string.Join(' ', args));
        Expect(file, size);
        context.Add($"`lmvp {string.Join(' ', args)}` of {label}, lmvp binary (wall time incl. process start)", ScenarioContext.MBps(size, cli.Elapsed), "MB/s",
            Goal.Min(CheckoutTargetMBps), note: cli.DescribeCpu());
        context.AddPeakMemory($"peak RSS of lmvp {args[0]}", cli.PeakRss);
    }

    /// <summary>History of many commits with metrics: the library walk and <c>lmvp log --oneline</c>.</summary>
    public static void Log(ScenarioContext context)
    {
        var commits = context.Sizes.Commits;
        var repoDir = Path.Combine(context.Directory, "repo");
        Directory.CreateDirectory(repoDir);
        File.WriteAllText(Path.Combine(repoDir, "config.json"), """{"model":"bench","lr":0.0003}""");
        using var repo = Repository.Init(repoDir);
        context.Log($"creating {commits} commits with metrics");
        var start = DateTimeOffset.UtcNow.AddSeconds(-commits);
        var create = ScenarioContext.Time(() =>
        {
            for (var i = 0; i < commits; i++)
            {
                repo.Commit(new CommitOptions
                {
                    Message = $"epoch {i}",
                    Author = "bench <bench@example.invalid>",
                    AllowEmpty = true,
                    RecordProvenance = false,
                    Time = start.AddSeconds(i),
                    Metrics = new Dictionary<string, double>
                    {
                        ["loss"] = 2.0 / (1 + (i * 0.01)),
                        ["accuracy"] = 1 - (0.5 / (1 + (i * 0.01))),
                        ["lr"] = 3e-4,
                    },
                });
            }
        });
        var packs = Directory.GetFiles(Path.Combine(repo.RepositoryDirectory, "packs")).Length;
        context.Add($"create {commits} commits through Repository.Commit (for reference)", commits / create.TotalSeconds, "commits/s",
            note: $"{create.TotalSeconds:0.0} s in all; {packs} pack files afterwards");

        ProcessStats.ResetPeak();
        var samples = new List<double>();
        for (var i = 0; i < LogRepeats; i++)
        {
            var count = 0;
            var elapsed = ScenarioContext.Time(() => count = repo.Log().ToList().Count);
            if (count != commits)
            {
                throw new InvalidOperationException($"Log returned {count} commits, expected {commits}.");
            }

            samples.Add(elapsed.TotalMilliseconds);
        }

        var peak = ProcessStats.PeakRss();
        context.Add($"log over {commits} commits, in-process (Repository.Log().ToList())", ScenarioContext.Median(samples), "ms", Goal.Max(LogTargetMs),
            note: $"median of {LogRepeats}; first {samples[0]:0} ms", samples: samples);
        context.AddPeakMemory("peak RSS during Repository.Log", peak);

        var cliSamples = new List<double>();
        CliRun? last = null;
        for (var i = 0; i < CliLogRepeats; i++)
        {
            var run = last = context.Cli.Run(repoDir, "log", "--oneline").EnsureSuccess("log --oneline");
            var lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
            if (lines != commits)
            {
                throw new InvalidOperationException($"lmvp log --oneline printed {lines} lines, expected {commits}.");
            }

            cliSamples.Add(run.Elapsed.TotalMilliseconds);
        }

        context.Add($"`lmvp log --oneline` over {commits} commits, lmvp binary (wall time incl. process start)", ScenarioContext.Median(cliSamples), "ms",
            Goal.Max(LogTargetMs), note: $"median of {CliLogRepeats}; last run's {last!.DescribeCpu()}", samples: cliSamples);
        var sorted = new List<double>();
        for (var i = 0; i < CliLogRepeats; i++)
        {
            var run = context.Cli.Run(repoDir, "log", "--oneline", "--sort", "loss").EnsureSuccess("log --sort");
            if (!run.Output.StartsWith(run.Output.Split(' ')[0] + " (HEAD -> main) epoch ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("lmvp log --sort loss should put the newest epoch (the lowest loss) first.");
            }

            sorted.Add(run.Elapsed.TotalMilliseconds);
        }

        context.Add($"`lmvp log --oneline --sort loss` over {commits} commits, lmvp binary (wall time incl. process start)", ScenarioContext.Median(sorted), "ms",
            note: $"median of {CliLogRepeats}; against the unsorted figure above", samples: sorted);
        var full = context.Cli.Run(repoDir, "log").EnsureSuccess("log");
        context.Add($"`lmvp log` (full format, metrics shown) over {commits} commits (for reference)", full.Elapsed.TotalMilliseconds, "ms",
            note: $"{full.Output.Length / 1e6:0.0} MB of output");
        var startOnly = context.Cli.Run(repoDir, "--help").EnsureSuccess("--help");
        context.Add("`lmvp --help` (process start, for reference)", startOnly.Elapsed.TotalMilliseconds, "ms", note: startOnly.DescribeCpu());
        context.AddPeakMemory("peak RSS of lmvp log (largest of its runs)", context.Cli.MaxPeakRss);
    }

    /// <summary>Fails the scenario unless <paramref name="file"/> was written back at <paramref name="size"/> bytes.</summary>
    internal static void Expect(string file, long size)
    {
        var info = new FileInfo(file);
        if (!info.Exists || info.Length != size)
        {
            throw new InvalidOperationException($"{file} was not written back at {size} bytes.");
        }
    }
}
