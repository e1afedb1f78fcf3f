using Lmvp.Store;

namespace Lmvp.Bench.Scenarios;

/// <summary>Commit, restore and checkout of 104 MB and 330 MB float32 checkpoints (every version new data, from the page
/// cache), in-process and through the lmvp binary, next to borg, restic, zstd and cp + sync of the same file in the same run.</summary>
internal static class CheckpointScenarios
{
    private const double CommitTargetSeconds = 0.15;
    private const double RestoreTargetSeconds = 0.12;
    private const double BorgRatioTarget = 2.5;
    private const double MemoryTargetMB = 100;
    private const string ResticPassword = "lmvp-bench";

    private static readonly long[] Sizes = [104_000_000, 330_000_000];

    public static void Run(ScenarioContext context)
    {
        context.Note("Peers: borg create with --compression lz4 (borg 1.2's default) and the default buzhash chunker, --encryption=none; "
            + "restic backup with its defaults (repository format 2, compression auto); zstd -1 single-threaded (its default); "
            + "cp then sync FILE as the floor. Each figure is one run; a second version of the file (new data) is what is timed. Before every "
            + "restore, checkout or extract the repository's files are read once, so every tool restores from the page cache.");
        foreach (var size in Sizes)
        {
            RunSize(context, size);
        }
    }

    private static void RunSize(ScenarioContext context, long size)
    {
        var mb = $"{size / 1e6:0} MB";
        var root = Path.Combine(context.Directory, $"{size / 1_000_000}mb");
        var layout = SafetensorsLayout.Create(size, seed: 3);
        var source = Path.Combine(root, "source");
        Directory.CreateDirectory(source);
        var v1 = Path.Combine(source, "v1.safetensors");
        var v2 = Path.Combine(source, "v2.safetensors");
        context.Log($"writing two {mb} safetensors checkpoints of float32 weights (different data)");
        layout.Write(v1, 1000);
        layout.Write(v2, 2000);
        var bytes = layout.FileLength;
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(source);

        Floor(context, root, v2, mb, bytes);
        var zstd = Zstd(context, root, v2, mb, bytes);
        var borg = Borg(context, root, v1, v2, mb, bytes);
        Restic(context, root, v1, v2, mb, bytes);
        InProcess(context, root, v1, v2, mb, bytes, borg);
        Binary(context, root, v1, v2, mb, bytes, borg, zstd);
        Directory.Delete(root, recursive: true);
    }

    private static void InProcess(ScenarioContext context, string root, string v1, string v2, string mb, long bytes, double? borgMBps)
    {
        var repoDir = Path.Combine(root, "lmvp");
        Directory.CreateDirectory(repoDir);
        var file = Path.Combine(repoDir, "model.safetensors");
        using var repo = Repository.Init(repoDir);
        File.Copy(v1, file);
        var first = repo.Commit(new CommitOptions { Message = "v1" }).Commit.Id;
        File.Copy(v2, file, overwrite: true);
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(file);

        var pipeline = context.Profiled($"{mb}: chunk pipeline only (read, cut, file id + chunk ids), chunks discarded", () => StoreInternals.PipelineOnly(file));
        context.Add($"{mb} stage: chunk pipeline only (read + cut + BLAKE3 of the file and of each chunk)", pipeline.TotalSeconds, "s");

        CommitResult? result = null;
        ProcessStats.ResetPeak();
        var commit = context.Profiled($"{mb}: Repository.Commit of a new version", () => result = repo.Commit(new CommitOptions { Message = "v2" }));
        var peak = ProcessStats.PeakRss();
        context.Add($"{mb}: commit of a new version, in-process (Repository.Commit)", commit.TotalSeconds, "s", Goal.Max(CommitTargetSeconds),
            note: $"{ScenarioContext.MBps(bytes, commit):0} MB/s; {result!.NewChunks} new chunks, stored {100.0 * result.BytesStored / bytes:0.0}% of the file"
                + Ratio(ScenarioContext.MBps(bytes, commit), borgMBps, "borg create"));
        if (borgMBps is { } b)
        {
            context.Add($"{mb}: in-process commit MB/s over borg create's", ScenarioContext.MBps(bytes, commit) / b, "x", Goal.Min(BorgRatioTarget));
        }

        context.Add($"{mb}: peak RSS during Repository.Commit (the bench process)", peak / 1e6, "MB",
            note: "the bench process's own RSS (generators, earlier work) is included; the binary's figure below is the client's");
        var second = repo.Head!.Value;
        var fileId = repo.ListFiles(second).Single().Value.Id;

        var read = context.Profiled($"{mb}: read + decode + verify every chunk, one thread, nothing written", () => StoreInternals.ReadAndVerifyChunks(repo, fileId));
        context.Add($"{mb} stage: read + decode + verify chunks from packs (one thread, no writes)", read.TotalSeconds, "s",
            note: $"{ScenarioContext.MBps(bytes, read):0} MB/s");

        // Once unmeasured, so the figures below are the library's steady state rather than its first JIT compilation.
        File.Delete(file);
        repo.Restore([file]);
        File.Delete(file);
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(Path.Combine(repo.RepositoryDirectory, "packs"));
        ProcessStats.ResetPeak();
        var restore = context.Profiled($"{mb}: Repository.Restore of the deleted file", () => repo.Restore([file]));
        context.Add($"{mb}: restore with verification, in-process (Repository.Restore)", restore.TotalSeconds, "s", Goal.Max(RestoreTargetSeconds),
            note: $"{ScenarioContext.MBps(bytes, restore):0} MB/s");
        ReadScenarios.Expect(file, bytes);

        ProcessStats.SyncDisks();
        var checkout = context.Profiled($"{mb}: Repository.Checkout of the previous version", () => repo.Checkout(first.ToString()));
        context.Add($"{mb}: checkout of the previous version with verification, in-process (Repository.Checkout)", checkout.TotalSeconds, "s",
            Goal.Max(RestoreTargetSeconds), note: $"{ScenarioContext.MBps(bytes, checkout):0} MB/s");
        ReadScenarios.Expect(file, bytes);
    }

    private static void Binary(ScenarioContext context, string root, string v1, string v2, string mb, long bytes, double? borgMBps, (double Compress, double Decompress)? zstd)
    {
        var repoDir = Path.Combine(root, "lmvp-cli");
        Directory.CreateDirectory(repoDir);
        var file = Path.Combine(repoDir, "model.safetensors");
        context.Cli.Run(repoDir, "init").EnsureSuccess("init");
        File.Copy(v1, file);
        context.Cli.Run(repoDir, "commit", "-m", "v1").EnsureSuccess("commit");
        File.Copy(v2, file, overwrite: true);
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(file);

        var commit = context.Cli.Run(repoDir, "commit", "-m", "v2").EnsureSuccess("commit");
        context.Add($"{mb}: `lmvp commit` of a new version, lmvp binary (wall incl. process start)", commit.Elapsed.TotalSeconds, "s", Goal.Max(CommitTargetSeconds),
            note: $"{ScenarioContext.MBps(bytes, commit.Elapsed):0} MB/s; {commit.DescribeCpu()}" + Ratio(ScenarioContext.MBps(bytes, commit.Elapsed), borgMBps, "borg create")
                + (zstd is { } z ? $"; zstd -1 of the same file {z.Compress:0.000} s" : ""));
        if (borgMBps is { } b)
        {
            context.Add($"{mb}: `lmvp commit` MB/s over borg create's", ScenarioContext.MBps(bytes, commit.Elapsed) / b, "x", Goal.Min(BorgRatioTarget));
        }

        context.Add($"{mb}: peak RSS of lmvp commit", commit.PeakRss / 1e6, "MB", Goal.Max(MemoryTargetMB));

        File.Delete(file);
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(Path.Combine(repoDir, ".lmvp", "packs"));
        var restore = context.Cli.Run(repoDir, "restore", "model.safetensors").EnsureSuccess("restore");
        ReadScenarios.Expect(file, bytes);
        context.Add($"{mb}: `lmvp restore` with verification, lmvp binary (wall incl. process start)", restore.Elapsed.TotalSeconds, "s", Goal.Max(RestoreTargetSeconds),
            note: $"{ScenarioContext.MBps(bytes, restore.Elapsed):0} MB/s; {restore.DescribeCpu()}" + (zstd is { } z2 ? $"; zstd -d of the same file {z2.Decompress:0.000} s" : ""));
        context.Add($"{mb}: peak RSS of lmvp restore", restore.PeakRss / 1e6, "MB", Goal.Max(MemoryTargetMB));

        ProcessStats.SyncDisks();
        // HEAD~1 is the first version; checking it out rewrites the whole file (new data in every version).
        var checkout = context.Cli.Run(repoDir, "checkout", "HEAD~1").EnsureSuccess("checkout");
        ReadScenarios.Expect(file, bytes);
        context.Add($"{mb}: `lmvp checkout` of the previous version with verification, lmvp binary (wall incl. process start)", checkout.Elapsed.TotalSeconds, "s",
            Goal.Max(RestoreTargetSeconds), note: $"{ScenarioContext.MBps(bytes, checkout.Elapsed):0} MB/s; {checkout.DescribeCpu()}");
        context.Add($"{mb}: peak RSS of lmvp checkout", checkout.PeakRss / 1e6, "MB", Goal.Max(MemoryTargetMB));
    }

    /// <summary>cp into the page cache, then sync of that file: the floor for a commit (read + one durable write) and, without
    /// the sync, for a restore.</summary>
    private static void Floor(ScenarioContext context, string root, string file, string mb, long bytes)
    {
        var copy = Path.Combine(root, "floor.copy");
        var cp = CliRunner.RunProcess("cp", [file, copy], root).EnsureSuccess("cp");
        var sync = CliRunner.RunProcess("sync", [copy], root).EnsureSuccess("sync");
        context.Add($"{mb} floor: cp (into the page cache)", cp.Elapsed.TotalSeconds, "s", note: $"{ScenarioContext.MBps(bytes, cp.Elapsed):0} MB/s");
        context.Add($"{mb} floor: cp + sync FILE (one durable write)", (cp.Elapsed + sync.Elapsed).TotalSeconds, "s",
            note: $"{ScenarioContext.MBps(bytes, cp.Elapsed + sync.Elapsed):0} MB/s");
        File.Delete(copy);
    }

    private static (double Compress, double Decompress)? Zstd(ScenarioContext context, string root, string file, string mb, long bytes)
    {
        if (CliRunner.FindOnPath("zstd") is not { } zstd)
        {
            context.Note("zstd is not installed: its figures were skipped.");
            return null;
        }

        var packed = Path.Combine(root, "v2.zst");
        var c = CliRunner.RunProcess(zstd, ["-1", "-q", "-f", file, "-o", packed], root).EnsureSuccess("zstd -1");
        var d = CliRunner.RunProcess(zstd, ["-d", "-q", "-f", packed, "-o", Path.Combine(root, "v2.unzstd")], root).EnsureSuccess("zstd -d");
        context.Add($"{mb} peer: zstd -1 of the file", c.Elapsed.TotalSeconds, "s",
            note: $"{ScenarioContext.MBps(bytes, c.Elapsed):0} MB/s, {100.0 * new FileInfo(packed).Length / bytes:0.0}% of the file; RSS {c.PeakRss / 1e6:0} MB");
        context.Add($"{mb} peer: zstd -d of it", d.Elapsed.TotalSeconds, "s", note: $"{ScenarioContext.MBps(bytes, d.Elapsed):0} MB/s; RSS {d.PeakRss / 1e6:0} MB");
        File.Delete(packed);
        File.Delete(Path.Combine(root, "v2.unzstd"));
        return (c.Elapsed.TotalSeconds, d.Elapsed.TotalSeconds);
    }

    /// <summary>borg create of two versions (the second timed), then borg extract of it; the MB/s of the create, or null without borg.</summary>
    private static double? Borg(ScenarioContext context, string root, string v1, string v2, string mb, long bytes)
    {
        if (CliRunner.FindOnPath("borg") is not { } borg)
        {
            context.Note("borg is not installed: its figures were skipped.");
            return null;
        }

        var repo = Path.Combine(root, "borg-repo");
        var work = Path.Combine(root, "borg-work");
        Directory.CreateDirectory(work);
        var env = new Dictionary<string, string>
        {
            ["BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK"] = "yes",
            ["BORG_BASE_DIR"] = Path.Combine(root, "borg-home"),
        };
        CliRunner.RunProcess(borg, ["init", "--encryption=none", repo], root, env).EnsureSuccess("borg init");
        File.Copy(v1, Path.Combine(work, "model.safetensors"));
        CliRunner.RunProcess(borg, ["create", "--compression", "lz4", repo + "::v1", "model.safetensors"], work, env).EnsureSuccess("borg create");
        File.Copy(v2, Path.Combine(work, "model.safetensors"), overwrite: true);
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(work);
        var create = CliRunner.RunProcess(borg, ["create", "--compression", "lz4", repo + "::v2", "model.safetensors"], work, env).EnsureSuccess("borg create");
        var mbps = ScenarioContext.MBps(bytes, create.Elapsed);
        context.Add($"{mb} peer: borg create of the new version", create.Elapsed.TotalSeconds, "s",
            note: $"{mbps:0} MB/s; {create.DescribeCpu()}; RSS {create.PeakRss / 1e6:0} MB");
        var target = Path.Combine(root, "borg-extract");
        Directory.CreateDirectory(target);
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(repo);
        var extract = CliRunner.RunProcess(borg, ["extract", repo + "::v2"], target, env).EnsureSuccess("borg extract");
        ReadScenarios.Expect(Path.Combine(target, "model.safetensors"), bytes);
        context.Add($"{mb} peer: borg extract of it", extract.Elapsed.TotalSeconds, "s",
            note: $"{ScenarioContext.MBps(bytes, extract.Elapsed):0} MB/s; {extract.DescribeCpu()}; RSS {extract.PeakRss / 1e6:0} MB");
        Directory.Delete(repo, recursive: true);
        Directory.Delete(work, recursive: true);
        Directory.Delete(target, recursive: true);
        return mbps;
    }

    private static void Restic(ScenarioContext context, string root, string v1, string v2, string mb, long bytes)
    {
        if (CliRunner.FindOnPath("restic") is not { } restic)
        {
            context.Note("restic is not installed: its figures were skipped.");
            return;
        }

        var repo = Path.Combine(root, "restic-repo");
        var work = Path.Combine(root, "restic-work");
        Directory.CreateDirectory(work);
        var env = new Dictionary<string, string>
        {
            ["RESTIC_PASSWORD"] = ResticPassword,
            ["RESTIC_REPOSITORY"] = repo,
            ["RESTIC_CACHE_DIR"] = Path.Combine(root, "restic-cache"),
        };
        CliRunner.RunProcess(restic, ["init"], root, env).EnsureSuccess("restic init");
        File.Copy(v1, Path.Combine(work, "model.safetensors"));
        CliRunner.RunProcess(restic, ["backup", "--quiet", "model.safetensors"], work, env).EnsureSuccess("restic backup");
        File.Copy(v2, Path.Combine(work, "model.safetensors"), overwrite: true);
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(work);
        var backup = CliRunner.RunProcess(restic, ["backup", "--quiet", "model.safetensors"], work, env).EnsureSuccess("restic backup");
        context.Add($"{mb} peer: restic backup of the new version", backup.Elapsed.TotalSeconds, "s",
            note: $"{ScenarioContext.MBps(bytes, backup.Elapsed):0} MB/s; {backup.DescribeCpu()}; RSS {backup.PeakRss / 1e6:0} MB");
        var target = Path.Combine(root, "restic-restore");
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(repo);
        var restore = CliRunner.RunProcess(restic, ["restore", "latest", "--target", target], root, env).EnsureSuccess("restic restore");
        // restic keeps the absolute path of what it backed up, so the file lands under the target at that path.
        ReadScenarios.Expect(Directory.EnumerateFiles(target, "model.safetensors", SearchOption.AllDirectories).Single(), bytes);
        context.Add($"{mb} peer: restic restore of it", restore.Elapsed.TotalSeconds, "s",
            note: $"{ScenarioContext.MBps(bytes, restore.Elapsed):0} MB/s; {restore.DescribeCpu()}; RSS {restore.PeakRss / 1e6:0} MB");
        Directory.Delete(repo, recursive: true);
        Directory.Delete(work, recursive: true);
        Directory.Delete(target, recursive: true);
    }

    private static string Ratio(double mbps, double? peer, string name) => peer is { } p ? $"; {mbps / p:0.00}x {name}'s {p:0} MB/s" : "";
}
