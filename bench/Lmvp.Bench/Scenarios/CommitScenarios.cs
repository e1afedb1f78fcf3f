using Lmvp.Store;

namespace Lmvp.Bench.Scenarios;

/// <summary>Commit end to end: a new big file, re-committing an unchanged tree, and a 5% in-place edit.</summary>
internal static class CommitScenarios
{
    private const double CommitTargetMBps = 1000;
    private const double RecommitTargetMs = 100;
    private const double EditStoredTargetPercent = 6;
    private const double EditFraction = 0.05;
    private const int RecommitRepeats = 7;
    private const int CliRepeats = 5;

    /// <summary>A new file of float32 weights: stages one by one, then Repository.Commit, then the lmvp binary.</summary>
    public static void NewFile(ScenarioContext context)
    {
        var size = context.Sizes.FileBytes;
        var repoDir = Path.Combine(context.Directory, "repo");
        var cliDir = Path.Combine(context.Directory, "repo-cli");
        var file = Path.Combine(repoDir, "weights.bin");
        var cliFile = Path.Combine(cliDir, "weights.bin");
        context.Log($"generating two {ScenarioContext.Size(size)} files of float32 weights");
        WeightData.WriteFile(file, size, 1);
        WeightData.WriteFile(cliFile, size, 2);
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(file);
        ScenarioContext.Warm(cliFile);
        var label = ScenarioContext.Size(size);

        // Stages, each on its own, so the end-to-end figure can be explained.
        var read = ScenarioContext.Time(() => ScenarioContext.ReadAll(file));
        context.Add($"stage: read {label} from the page cache (8 MiB reads)", ScenarioContext.MBps(size, read), "MB/s");

        // Twice: on a VM whose freed memory goes back to the host, the first write into pages it has not touched lately
        // costs far more kernel time than the second, which reuses the pages the first one just freed.
        var scratch = Path.Combine(context.Directory, "disk-write.tmp");
        var disk = context.Profiled("write the same amount to a file, then fsync", () => ScenarioContext.WriteFile(scratch, size, flushToDisk: true));
        File.Delete(scratch);
        context.Add($"stage: write {label} to disk and fsync (what publishing packs waits for)", ScenarioContext.MBps(size, disk), "MB/s");
        var again = context.Profiled("the same write + fsync again at once (reusing the pages just freed)", () => ScenarioContext.WriteFile(scratch, size, flushToDisk: true));
        File.Delete(scratch);
        context.Add($"stage: the same write + fsync again at once (reuses the page-cache pages just freed)", ScenarioContext.MBps(size, again), "MB/s");

        // The first run in a process also pays for JIT warm-up, as every `lmvp commit` does; the second shows steady state.
        var cold = context.Profiled("ChunkPipeline, chunks discarded (first run in the process)", () => StoreInternals.PipelineOnly(file));
        context.Add("stage: ChunkPipeline read + chunk + hash, no pack writes (first run: includes JIT warm-up)", ScenarioContext.MBps(size, cold), "MB/s");
        var warm = context.Profiled("ChunkPipeline, chunks discarded (second run)", () => StoreInternals.PipelineOnly(file));
        context.Add("stage: ChunkPipeline read + chunk + hash, no pack writes (second run: steady state)", ScenarioContext.MBps(size, warm), "MB/s");

        var stageDir = Path.Combine(context.Directory, "stage-repo");
        using (var stageRepo = Repository.Init(stageDir))
        {
            var write = TimeSpan.Zero;
            var publish = TimeSpan.Zero;
            context.Profiled("ChunkPipeline into ObjectWriter + final publish", () => (write, publish, _) = StoreInternals.PipelineIntoPacks(stageRepo, file));
            context.Add("stage: ChunkPipeline into packs (ObjectWriter, incl. fsync of each full 1 GiB pack)", ScenarioContext.MBps(size, write), "MB/s");
            context.Add("stage: final publish (trailer, fsync, rename, index rows)", publish.TotalMilliseconds, "ms");
        }

        Directory.Delete(stageDir, recursive: true);
        ProcessStats.SyncDisks();

        using var repo = Repository.Init(repoDir);
        CommitResult? result = null;
        ProcessStats.ResetPeak();
        var elapsed = context.Profiled("Repository.Commit of the new file", () => result = repo.Commit(new CommitOptions { Message = "bench: new weights" }));
        var peak = ProcessStats.PeakRss();
        context.Add($"commit new {label} file, in-process (Repository.Commit)", ScenarioContext.MBps(size, elapsed), "MB/s", Goal.Min(CommitTargetMBps),
            note: $"{result!.NewChunks} chunks, stored {100.0 * result.BytesStored / size:0.0}% of the file");
        context.AddPeakMemory("peak RSS during Repository.Commit", peak);

        context.Cli.Run(cliDir, "init").EnsureSuccess("init");
        ProcessStats.SyncDisks();
        var cli = context.Cli.Run(cliDir, "commit", "-m", "bench: new weights").EnsureSuccess("commit");
        context.Add($"commit new {label} file, lmvp binary (wall time incl. process start)", ScenarioContext.MBps(size, cli.Elapsed), "MB/s", Goal.Min(CommitTargetMBps),
            note: $"{cli.Output.Split('\n', 3).ElementAtOrDefault(1)?.Trim()}; {cli.DescribeCpu()}");
        context.AddPeakMemory("peak RSS of lmvp commit", cli.PeakRss);
    }

    /// <summary>Nothing changed since the last commit: the stat cache must answer without reading any file.</summary>
    public static void Recommit(ScenarioContext context)
    {
        var count = context.Sizes.RecommitFiles;
        var each = context.Sizes.RecommitFileBytes;
        var repoDir = Path.Combine(context.Directory, "repo");
        context.Log($"generating {count} files of {ScenarioContext.Size(each)}");
        for (var i = 0; i < count; i++)
        {
            WeightData.WriteFile(Path.Combine(repoDir, "checkpoints", $"shard-{i:00}-of-{count:00}.bin"), each, 100 + (ulong)i);
        }

        ProcessStats.SyncDisks();
        ScenarioContext.WaitOutRacyWindow(DateTime.UtcNow);
        ScenarioContext.Warm(repoDir);
        var total = each * count;
        var label = $"{count} files, {ScenarioContext.Size(total)}";

        using var repo = Repository.Init(repoDir);
        ProcessStats.ResetPeak();
        var first = context.Profiled("first Repository.Commit of the 20 files", () => repo.Commit(new CommitOptions { Message = "bench: shards" }));
        context.Add($"first commit of {label}, in-process (for reference)", ScenarioContext.MBps(total, first), "MB/s");
        context.AddPeakMemory($"peak RSS during the first commit of {label}", ProcessStats.PeakRss());
        ProcessStats.SyncDisks();

        ProcessStats.ResetPeak();
        var samples = new List<double>();
        for (var i = 0; i < RecommitRepeats; i++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                repo.Commit(new CommitOptions { Message = "bench: again" });
                throw new InvalidOperationException("Re-commit of an unchanged tree recorded a commit; it should have refused.");
            }
            catch (NothingToCommitException)
            {
                samples.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        var peak = ProcessStats.PeakRss();
        context.Add($"re-commit, nothing changed ({label}), in-process (Repository.Commit)", ScenarioContext.Median(samples), "ms", Goal.Max(RecommitTargetMs),
            note: $"median of {RecommitRepeats}", samples: samples);
        context.AddPeakMemory("peak RSS during the in-process re-commits", peak,
            note: "includes what the process kept from the first commit: the reset can only lower the peak to the current RSS");

        var cliSamples = new List<double>();
        CliRun? last = null;
        long cliPeak = 0;
        for (var i = 0; i < CliRepeats; i++)
        {
            var run = last = context.Cli.Run(repoDir, "commit", "-m", "bench: again");
            if (run.ExitCode != 1 || !run.Error.Contains("othing to commit", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"lmvp commit on an unchanged tree should refuse with 'nothing to commit'; it exited {run.ExitCode}: {run.Error.Trim()}");
            }

            cliSamples.Add(run.Elapsed.TotalMilliseconds);
            cliPeak = Math.Max(cliPeak, run.PeakRss);
        }

        context.Add($"re-commit, nothing changed ({label}), lmvp binary (wall time incl. process start)", ScenarioContext.Median(cliSamples), "ms",
            Goal.Max(RecommitTargetMs), note: $"median of {CliRepeats}; last run's {last!.DescribeCpu()}", samples: cliSamples);
        context.AddPeakMemory("peak RSS of lmvp commit (nothing to commit)", cliPeak);

        // Prove the figure above came from the stat cache: an allowed empty commit reports what it had to read.
        var check = repo.Commit(new CommitOptions { Message = "bench: check", AllowEmpty = true });
        if (check.BytesRead != 0)
        {
            context.Note($"WARNING: an unchanged re-commit read {check.BytesRead} bytes; the stat cache did not cover every file.");
        }
    }

    /// <summary>A fine-tune of a few layers: ~5% of a safetensors-like file rewritten in place as whole tensors.</summary>
    public static void EditInPlace(ScenarioContext context)
    {
        var layout = SafetensorsLayout.Create(context.Sizes.FileBytes, seed: 7);
        var repoDir = Path.Combine(context.Directory, "repo");
        Directory.CreateDirectory(repoDir);
        var file = Path.Combine(repoDir, "model.safetensors");
        var label = ScenarioContext.Size(layout.FileLength);
        context.Log($"writing a {label} safetensors-like file of {layout.Tensors.Count} tensors");
        layout.Write(file, 300);
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(file);

        using var repo = Repository.Init(repoDir);
        var packs = Path.Combine(repo.RepositoryDirectory, "packs");
        var first = context.Profiled("first Repository.Commit of the safetensors file", () => repo.Commit(new CommitOptions { Message = "bench: base model" }));
        context.Add($"first commit of the {label} safetensors-like file, in-process (for reference)", ScenarioContext.MBps(layout.FileLength, first), "MB/s");

        var picked = layout.PickForRewrite(EditFraction, seed: 11);
        var rewritten = picked.Sum(t => t.Length);
        SafetensorsLayout.Rewrite(file, picked, 900);
        ProcessStats.SyncDisks();
        var packsBefore = ScenarioContext.DirectorySize(packs);

        CommitResult? result = null;
        ProcessStats.ResetPeak();
        var elapsed = context.Profiled("Repository.Commit after the 5% rewrite", () => result = repo.Commit(new CommitOptions { Message = "bench: fine-tuned" }));
        var peak = ProcessStats.PeakRss();
        var grown = ScenarioContext.DirectorySize(packs) - packsBefore;
        context.Add("tensors rewritten in place", 100.0 * rewritten / layout.FileLength, "%",
            note: $"{picked.Count} of {layout.Tensors.Count} tensors, {ScenarioContext.Size(rewritten)}");
        context.Add("new bytes stored by the next commit, % of the file", 100.0 * grown / layout.FileLength, "%", Goal.Max(EditStoredTargetPercent),
            note: $"pack growth {ScenarioContext.Size(grown)}, of which chunk data {ScenarioContext.Size(result!.BytesStored)} in {result.NewChunks} new chunks; "
                + $"{ScenarioContext.Size(grown - rewritten)} beyond the rewritten tensors");
        context.Add("commit after the rewrite, in-process (re-reads the whole file)", ScenarioContext.MBps(layout.FileLength, elapsed), "MB/s");
        context.AddPeakMemory("peak RSS during the commit after the rewrite", peak);
    }
}
