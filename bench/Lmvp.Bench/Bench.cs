using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Lmvp.Bench.Scenarios;

namespace Lmvp.Bench;

/// <summary>Runs scenarios in child processes and gathers their figures.</summary>
internal static class Bench
{
    private static readonly Dictionary<string, Action<ScenarioContext>> Scenarios = new(StringComparer.Ordinal)
    {
        ["chunking"] = ComponentScenarios.Chunking,
        ["blake3"] = ComponentScenarios.Blake3,
        ["commit"] = CommitScenarios.NewFile,
        ["recommit"] = CommitScenarios.Recommit,
        ["edit5"] = CommitScenarios.EditInPlace,
        ["checkout"] = ReadScenarios.Checkout,
        ["checkpoint"] = CheckpointScenarios.Run,
        ["log"] = ReadScenarios.Log,
        ["gitstatus"] = GitScenarios.Status,
        ["sync"] = SyncScenarios.PushClone,
        ["api"] = SyncScenarios.Api,
        ["scaleout"] = SyncScenarios.ScaleOut,
        ["web"] = SyncScenarios.Web,
        ["models"] = ModelScenarios.Training,
        ["tensordiff"] = TensorDiffScenarios.TwoCheckpoints,
        ["startup"] = StartupScenarios.Startup,
    };

    public static int RunParent(BenchOptions options, string[] args)
    {
        if (FindRepositoryAbove(options.Directory) is { } repositoryRoot)
        {
            Console.Error.WriteLine($"error: the scratch directory {options.Directory} is inside the source tree at {repositoryRoot}; pass --dir outside it (default {BenchOptions.DefaultDirectory}).");
            return 2;
        }

        Directory.CreateDirectory(options.Directory);
        var sizes = BenchSizes.From(options);
        var jsonPath = options.JsonPath ?? Path.Combine(options.Directory, "results.json");
        var report = new Report
        {
            Command = "dotnet run -c Release --project bench/Lmvp.Bench --" + (args.Length > 0 ? " " + string.Join(' ', args) : ""),
            StartedUtc = DateTimeOffset.UtcNow,
            Machine = Machine.Describe(options.Directory),
            Settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["size"] = ScenarioContext.Size(sizes.FileBytes),
                ["in-memory buffer"] = ScenarioContext.Size(sizes.MicroBytes),
                ["recommit files"] = $"{sizes.RecommitFiles} x {ScenarioContext.Size(sizes.RecommitFileBytes)}",
                ["log commits"] = sizes.Commits.ToString(CultureInfo.InvariantCulture),
                ["scratch"] = options.Directory,
                ["lmvp"] = new CliRunner(options.LmvpPath).Describe(),
            },
        };

        Console.WriteLine("lmvp benchmark");
        foreach (var (key, value) in report.Machine.Concat(report.Settings))
        {
            Console.WriteLine($"  {key}: {value}");
        }

        if (!Machine.IsOptimized(typeof(Lmvp.Store.Repository).Assembly))
        {
            Console.WriteLine("  WARNING: the store is a Debug build; run with -c Release for meaningful figures.");
        }

        var free = new DriveInfo(options.Directory).AvailableFreeSpace;
        if (free < sizes.FileBytes * 5)
        {
            Console.WriteLine($"  WARNING: {ScenarioContext.Size(free)} free under {options.Directory}; the commit scenario needs about {ScenarioContext.Size(sizes.FileBytes * 5)}.");
        }

        var failed = 0;
        foreach (var scenario in options.Scenarios)
        {
            if (options.WaitIdleSeconds > 0)
            {
                Machine.WaitForQuiet(TimeSpan.FromSeconds(options.WaitIdleSeconds));
            }

            Console.WriteLine($"scenario {scenario}");
            var result = RunInChild(options, scenario);
            if (result.Error is not null)
            {
                Console.WriteLine($"  [{scenario}] FAILED: {result.Error}");
                failed++;
            }

            report.Scenarios.Add(result);
        }

        var markdown = Results.Markdown(report);
        Console.WriteLine();
        Console.WriteLine(markdown);
        Directory.CreateDirectory(Path.GetDirectoryName(jsonPath)!);
        File.WriteAllText(jsonPath, JsonSerializer.Serialize(report, Results.Json));
        File.WriteAllText(Path.ChangeExtension(jsonPath, ".md"), markdown);
        Console.WriteLine($"results: {jsonPath} and {Path.ChangeExtension(jsonPath, ".md")}");
        return failed == 0 ? 0 : 1;
    }

    public static int RunChild(BenchOptions options, string scenario)
    {
        if (!Scenarios.TryGetValue(scenario, out var run) || options.ResultPath is null)
        {
            Console.Error.WriteLine($"error: bad child invocation for '{scenario}'");
            return 2;
        }

        var directory = Path.Combine(options.Directory, scenario);
        DeleteDirectory(directory);
        Directory.CreateDirectory(directory);
        var context = new ScenarioContext(scenario, BenchSizes.From(options), directory, new CliRunner(options.LmvpPath));
        context.Result.CpuPressureAtStart = Machine.CpuPressure();
        context.Result.LoadAverageAtStart = Machine.LoadAverage();
        var clock = Stopwatch.StartNew();
        try
        {
            context.Cli.Run(directory, "--help").EnsureSuccess("--help"); // loads the binary into the page cache
            run(context);
        }
        catch (Exception e)
        {
            context.Result.Error = e.Message;
            Console.Error.WriteLine(e);
        }
        finally
        {
            context.Result.ElapsedSeconds = clock.Elapsed.TotalSeconds;
            context.Result.CpuPressureAtEnd = Machine.CpuPressure();
            if (!options.Keep)
            {
                DeleteDirectory(directory);
            }
        }

        File.WriteAllText(options.ResultPath, JsonSerializer.Serialize(context.Result, Results.Json));
        return context.Result.Error is null ? 0 : 1;
    }

    private static ScenarioResult RunInChild(BenchOptions options, string scenario)
    {
        var resultPath = Path.Combine(options.Directory, scenario + ".result.json");
        File.Delete(resultPath);
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("Cannot tell which executable is running.");
        var start = new ProcessStartInfo(self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Bench).Assembly.Location);
        }

        foreach (var a in options.ChildArguments(scenario, resultPath))
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the scenario process.");
        process.WaitForExit();
        if (File.Exists(resultPath))
        {
            return JsonSerializer.Deserialize<ScenarioResult>(File.ReadAllText(resultPath), Results.Json)
                ?? new ScenarioResult { Scenario = scenario, Error = "empty result file" };
        }

        return new ScenarioResult { Scenario = scenario, Error = $"the scenario process exited with {process.ExitCode} and wrote no result" };
    }

    /// <summary>The root of a source tree (a .git or a solution file) at or above <paramref name="directory"/>, if any.</summary>
    private static string? FindRepositoryAbove(string directory)
    {
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, ".git")) || File.Exists(Path.Combine(dir.FullName, ".git"))
                || File.Exists(Path.Combine(dir.FullName, "Lmvp.Vcs.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    private static void DeleteDirectory(string directory)
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
