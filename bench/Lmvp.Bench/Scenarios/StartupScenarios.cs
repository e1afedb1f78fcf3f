using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Lmvp.Store;

namespace Lmvp.Bench.Scenarios;

/// <summary>What a command costs before it does any work: <c>lmvp --help</c>, <c>status</c> and <c>log -n 10</c> of the native
/// (ahead-of-time compiled) binary in a one-file repository, next to <c>git status</c> and <c>git log -n 10</c> of a git
/// repository with the same file and history, and the floor of starting any process (<c>/bin/true</c>).</summary>
/// <remarks>The native binary is the one <c>--lmvp PATH</c> names, else this scenario publishes one (<c>dotnet publish
/// src/Lmvp.Cli -r RID -p:PublishAot=true</c>, a minute or two). Timed with hyperfine (<c>-N</c>: no shell) when it is installed,
/// else by spawning each command from here (a few hundred microseconds more per run).</remarks>
internal static class StartupScenarios
{
    private const int Runs = 50;
    private const int Versions = 10;
    private const int FileBytes = 1 << 20;

    public static void Startup(ScenarioContext context)
    {
        var native = NativeLmvp(context);
        var lmvpDir = Path.Combine(context.Directory, "lmvp-repo");
        var gitDir = Path.Combine(context.Directory, "git-repo");
        Directory.CreateDirectory(lmvpDir);
        Directory.CreateDirectory(gitDir);
        using (var repo = Repository.Init(lmvpDir))
        {
            for (var v = 0; v < Versions; v++)
            {
                WeightData.WriteFile(Path.Combine(lmvpDir, "model.bin"), FileBytes, 700 + (ulong)v);
                repo.Commit(new CommitOptions { Message = $"epoch {v}", Author = "bench", Metrics = new Dictionary<string, double> { ["loss"] = 1.0 / (v + 1) } });
            }
        }

        Git(gitDir, "init", "-q", "-b", "main");
        for (var v = 0; v < Versions; v++)
        {
            WeightData.WriteFile(Path.Combine(gitDir, "model.bin"), FileBytes, 700 + (ulong)v);
            Git(gitDir, "add", "model.bin");
            Git(gitDir, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid", "commit", "-q", "-m", $"epoch {v}");
        }

        ScenarioContext.WaitOutRacyWindow(DateTime.UtcNow);
        Run(lmvpDir, native, "status").EnsureClean("lmvp status"); // refreshes the stat cache: later runs stat, never read
        Run(gitDir, "git", "status", "--porcelain").EnsureClean("git status");

        var hyperfine = Which("hyperfine");
        context.Note(hyperfine is null
            ? $"hyperfine is not installed: each command spawned {Runs} times from the benchmark process (Stopwatch from spawn to exit)"
            : $"timed with {hyperfine} -N --warmup 5 --runs {Runs} (no shell between runs)");
        context.Note($"one {ScenarioContext.Size(FileBytes)} file, {Versions} commits; lmvp: {native}");

        Measure(context, hyperfine, context.Directory, "process start floor: /bin/true", null, "/bin/true");
        Measure(context, hyperfine, lmvpDir, "lmvp --help (native)", Goal.Max(15), native, "--help");
        Measure(context, hyperfine, lmvpDir, "lmvp --version (native)", null, native, "--version");
        Measure(context, hyperfine, lmvpDir, "lmvp status (native)", Goal.Max(20), native, "status");
        Measure(context, hyperfine, gitDir, "git status (same file, same history)", null, "git", "status");
        Measure(context, hyperfine, lmvpDir, "lmvp log -n 10 (native)", Goal.Max(20), native, "log", "-n", "10");
        Measure(context, hyperfine, gitDir, "git log -n 10 (same history)", null, "git", "--no-pager", "log", "-n", "10");
    }

    private static void Measure(ScenarioContext context, string? hyperfine, string directory, string name, Goal? goal, string program, params string[] args)
    {
        var samples = hyperfine is null ? SpawnTimes(directory, program, args) : HyperfineTimes(hyperfine, directory, program, args);
        var sorted = samples.Order().ToList();
        context.Add(name + ", median", ScenarioContext.Median(samples), "ms", goal, note: string.Create(CultureInfo.InvariantCulture,
            $"min {sorted[0]:0.0} ms, p90 {sorted[(int)(sorted.Count * 0.9)]:0.0} ms, {samples.Count} runs"), samples: samples);
    }

    private static List<double> SpawnTimes(string directory, string program, string[] args)
    {
        var samples = new List<double>();
        for (var i = 0; i < Runs + 5; i++)
        {
            var clock = Stopwatch.StartNew();
            Run(directory, program, args).EnsureSuccess(program);
            if (i >= 5)
            {
                samples.Add(clock.Elapsed.TotalMilliseconds);
            }
        }

        return samples;
    }

    private static List<double> HyperfineTimes(string hyperfine, string directory, string program, string[] args)
    {
        var export = Path.Combine(Path.GetTempPath(), $"lmvp-bench-hyperfine-{Environment.ProcessId}.json");
        var command = string.Join(' ', new[] { program }.Concat(args).Select(a => a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a));
        try
        {
            Run(directory, hyperfine, "-N", "--warmup", "5", "--runs", Runs.ToString(CultureInfo.InvariantCulture), "--export-json", export, "--style", "none", command)
                .EnsureSuccess("hyperfine " + command);
            using var json = JsonDocument.Parse(File.ReadAllText(export));
            return json.RootElement.GetProperty("results")[0].GetProperty("times").EnumerateArray().Select(t => t.GetDouble() * 1000).ToList();
        }
        finally
        {
            File.Delete(export);
        }
    }

    /// <summary>The native lmvp: --lmvp PATH when it names one (no lmvp.dll beside it), else a fresh Native AOT publish.</summary>
    private static string NativeLmvp(ScenarioContext context)
    {
        var given = context.Cli.Describe();
        if (!given.Contains(' ', StringComparison.Ordinal) && File.Exists(given) && !File.Exists(Path.ChangeExtension(given, ".dll")))
        {
            return given;
        }

        var root = SourceRoot() ?? throw new InvalidOperationException("no native lmvp: pass --lmvp PATH (dotnet publish src/Lmvp.Cli -r linux-x64 -p:PublishAot=true)");
        var output = Path.Combine(context.Directory, "native");
        var rid = System.Runtime.InteropServices.RuntimeInformation.RuntimeIdentifier;
        context.Log($"publishing a native lmvp ({rid}) into {output}");
        Run(root, "dotnet", "publish", Path.Combine(root, "src", "Lmvp.Cli"), "-c", "Release", "-r", rid, "-p:PublishAot=true", "-o", output, "--nologo", "-v", "quiet")
            .EnsureSuccess("dotnet publish");
        return Path.Combine(output, "lmvp");
    }

    private static string? SourceRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Lmvp.Vcs.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    private static void Git(string directory, params string[] args) => Run(directory, "git", args).EnsureSuccess("git " + args[0]);

    private static Output Run(string directory, string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return new Output(process.ExitCode, output.GetAwaiter().GetResult(), error);
    }

    private sealed record Output(int ExitCode, string Out, string Error)
    {
        public Output EnsureSuccess(string what) =>
            ExitCode == 0 ? this : throw new InvalidOperationException($"{what} exited with {ExitCode}: {Error.Trim()}");

        public void EnsureClean(string what)
        {
            EnsureSuccess(what);
            // git status --porcelain prints nothing when clean; lmvp status to a pipe prints only its "## branch" line.
            if (Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Any(line => !line.StartsWith("##", StringComparison.Ordinal)))
            {
                throw new InvalidOperationException($"{what}: the working tree should be clean, got: {Out.Trim()}");
            }
        }
    }
}
