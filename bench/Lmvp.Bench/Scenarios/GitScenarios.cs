using System.Diagnostics;
using Lmvp.Store;

namespace Lmvp.Bench.Scenarios;

/// <summary>What leaving git's files to git costs: status of a training directory that is a git work tree.</summary>
internal static class GitScenarios
{
    private const int SourceFiles = 5000;
    private const int Checkpoints = 4;
    private const int Repeats = 7;

    /// <summary>5,000 git-tracked source files and 4 untracked checkpoints. Status is measured three ways in one run: with
    /// git's files left to git (the default: git's index is read, those files are not hashed or compared), with
    /// snapshot.includeGitTracked (every file is lmvp's), and in a copy of the checkpoints alone outside git (the floor).</summary>
    public static void Status(ScenarioContext context)
    {
        var repoDir = Path.Combine(context.Directory, "git-work-tree");
        var plainDir = Path.Combine(context.Directory, "no-git");
        var checkpointBytes = Math.Max(1 << 20, context.Sizes.FileBytes / 64);
        for (var i = 0; i < SourceFiles; i++)
        {
            var path = Path.Combine(repoDir, "src", $"pkg{i / 100:00}", $"module{i:0000}.py");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, $"# module {i}\n" + new string('x', 1000) + "\n");
        }

        for (var i = 0; i < Checkpoints; i++)
        {
            WeightData.WriteFile(Path.Combine(repoDir, "checkpoints", $"epoch{i}.bin"), checkpointBytes, 300 + (ulong)i);
            WeightData.WriteFile(Path.Combine(plainDir, "checkpoints", $"epoch{i}.bin"), checkpointBytes, 300 + (ulong)i);
        }

        Git(repoDir, "init", "-q", "-b", "main");
        Git(repoDir, "add", "src");
        Git(repoDir, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-q", "-m", "code");
        ProcessStats.SyncDisks();
        ScenarioContext.WaitOutRacyWindow(DateTime.UtcNow);

        using var repo = Repository.Init(repoDir);
        repo.Commit(new CommitOptions { Message = "bench: checkpoints", Author = "bench" });
        repo.SetConfig(Repository.IncludeGitTrackedKey, "true");
        repo.Commit(new CommitOptions { Message = "bench: everything", Author = "bench" });
        using var plain = Repository.Init(plainDir);
        plain.Commit(new CommitOptions { Message = "bench: checkpoints", Author = "bench" });

        var label = $"{SourceFiles} git-tracked files + {Checkpoints} checkpoints";
        Measure(context, $"status, {label}, snapshot.includeGitTracked=true (every file lmvp's; baseline)", repo);
        repo.UnsetConfig(Repository.IncludeGitTrackedKey);
        repo.Commit(new CommitOptions { Message = "bench: checkpoints again", Author = "bench" });
        Measure(context, $"status, {label}, git's files left to git (default: git index read)", repo);
        Measure(context, $"status, {Checkpoints} checkpoints outside git (floor)", plain);

        var cli = new List<double>();
        for (var i = 0; i < Repeats; i++)
        {
            cli.Add(context.Cli.Run(repoDir, "status").EnsureSuccess("status").Elapsed.TotalMilliseconds);
        }

        context.Add($"`lmvp status`, {label}, git's files left to git, lmvp binary (wall time incl. process start)", ScenarioContext.Median(cli), "ms",
            note: $"median of {Repeats}", samples: cli);
        context.AddPeakMemory("peak RSS of lmvp status", context.Cli.MaxPeakRss);
    }

    private static void Measure(ScenarioContext context, string name, Repository repository)
    {
        repository.GetStatus(); // warm: stat cache refreshed, git index in the page cache
        ProcessStats.ResetPeak();
        var samples = new List<double>();
        for (var i = 0; i < Repeats; i++)
        {
            var clean = false;
            samples.Add(ScenarioContext.Time(() => clean = repository.GetStatus().IsClean).TotalMilliseconds);
            if (!clean)
            {
                throw new InvalidOperationException($"{name}: the working tree should be clean.");
            }
        }

        context.Add(name + ", in-process (Repository.GetStatus)", ScenarioContext.Median(samples), "ms", note: $"median of {Repeats}", samples: samples);
        context.AddPeakMemory("peak RSS during " + name, ProcessStats.PeakRss());
    }

    private static void Git(string directory, params string[] args)
    {
        var start = new ProcessStartInfo("git") { WorkingDirectory = directory, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"git {string.Join(' ', args)} failed: {error.Trim()}");
        }
    }
}
