using System.Diagnostics;
using System.Net.Http.Headers;
using Lmvp.Store;
using Lmvp.Store.Sync;

namespace Lmvp.Bench.Scenarios;

/// <summary>The content API and the Python package against a real lmvp-server (issue 8): a notebook's update and download of a
/// new model next to lmvp push, a plain curl GET and lmvp get of the same bytes, and history as JSON.</summary>
internal static partial class SyncScenarios
{
    private const double DownloadTargetMBps = 500;
    private const double UpdateTargetMBps = 250;
    private const double UnchangedUpdateTargetMs = 1000;
    private const double HistoryTargetMs = 100;
    private const int HistoryCommits = 5000;
    private const int HistoryMetrics = 10;

    /// <summary>Python update and download of a new file, re-update with nothing changed, and the commits of a 5,000-commit branch.</summary>
    public static void Api(ScenarioContext context)
    {
        var size = context.Sizes.FileBytes;
        var label = ScenarioContext.Size(size);
        var serverData = Path.Combine(context.Directory, "server");
        var notebook = Path.Combine(context.Directory, "notebook");
        var work = Path.Combine(context.Directory, "train");
        Directory.CreateDirectory(notebook);
        Environment.SetEnvironmentVariable("LMVP_CONFIG_DIR", Path.Combine(context.Directory, "config"));
        Environment.SetEnvironmentVariable("LMVP_CACHE", Path.Combine(context.Directory, "cache"));
        Environment.SetEnvironmentVariable("PYTHONPATH", Path.Combine(RepositoryRoot(), "python"));
        var server = ServerBinary.Locate();
        server.Admin(["--data", serverData], "create-user", "bench");
        var token = server.Admin(["--data", serverData], "create-token", "bench", "--scope", "write").Trim();
        Environment.SetEnvironmentVariable("LMVP_TOKEN", token);
        foreach (var name in new[] { "api", "cli", "history" })
        {
            server.Admin(["--data", serverData], "create-repo", "bench/" + name);
        }

        context.Log($"generating two {label} files of float32 weights");
        WeightData.WriteFile(Path.Combine(notebook, "weights.bin"), size, 11);
        WeightData.WriteFile(Path.Combine(work, "weights.bin"), size, 12);
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(notebook);
        ScenarioContext.Warm(work);
        var python = new CliRunner(Python());
        var curl = new CliRunner("/usr/bin/curl");
        using var running = server.Start(serverData);
        var api = $"{running.Url}/bench/api";
        context.Note($"python: {python.Describe()} with PYTHONPATH=python/ (the lmvp package, standard library only); peer GET: {curl.Describe()}");

        // The peer for the upload: the CLI's commit + push of a file of the same size, in the same run.
        context.Cli.Run(work, "init").EnsureSuccess("init");
        var commit = context.Cli.Run(work, "commit", "-m", "bench").EnsureSuccess("commit");
        context.Cli.Run(work, "remote", "add", "origin", $"{running.Url}/bench/cli").EnsureSuccess("remote add");
        ProcessStats.SyncDisks();
        var push = Measure(context, running, $"lmvp push of a new {label} file (peer of the update)", work, "push", "origin");
        var cliSeconds = commit.Elapsed.TotalSeconds + push.Run.Elapsed.TotalSeconds;
        context.Add($"lmvp commit + push of a new {label} file (the CLI's way to publish, for comparison)", size / cliSeconds / 1e6, "MB/s",
            note: $"commit {commit.Elapsed.TotalSeconds:0.00} s + push {push.Run.Elapsed.TotalSeconds:0.00} s");

        ProcessStats.SyncDisks();
        var update = Measure(context, python, running, $"python lmvp.update of a new {label} file", notebook, "-c",
            $"import lmvp; c = lmvp.update('{api}', 'weights.bin', 'bench'); print(c.id)");
        context.Add($"python lmvp.update of a new {label} file (wall time incl. interpreter start: SHA-256, upload, server chunking, commit)",
            ScenarioContext.MBps(size, update.Run.Elapsed), "MB/s", Goal.Min(UpdateTargetMBps),
            note: $"client {update.Run.DescribeCpu()}; server CPU {update.Server.CpuSeconds:0.00} s (kernel {update.Server.SystemSeconds:0.00} s)");
        context.AddPeakMemory("peak RSS of python during the update", update.Run.PeakRss);
        context.AddPeakMemory($"peak RSS of lmvp-server during the {label} update", update.Server.PeakRss,
            note: $"VmHWM reset just before; RSS before it {update.Server.RssBefore / 1e6:0} MB");

        var again = Measure(context, python, running, "python lmvp.update with nothing changed", notebook, "-c",
            $"import lmvp; lmvp.update('{api}', 'weights.bin', 'bench again')");
        context.Add($"python lmvp.update of the same {label} file again (nothing changed: hash locally, compare, no upload)",
            again.Run.Elapsed.TotalMilliseconds, "ms", Goal.Max(UnchangedUpdateTargetMs), note: $"client {again.Run.DescribeCpu()}");

        // Downloads of the same file: the package, a plain GET of the same route, and lmvp get.
        ProcessStats.SyncDisks();
        var download = Measure(context, python, running, $"python lmvp.download of the {label} file", notebook, "-c",
            $"import lmvp; print(lmvp.download('{api}', 'weights.bin'))");
        VerifySameFile(Path.Combine(notebook, "weights.bin"), download.Run.Output.Trim());
        context.Add($"python lmvp.download of the {label} file into an empty cache (verified SHA-256; wall time incl. interpreter start)",
            ScenarioContext.MBps(size, download.Run.Elapsed), "MB/s", Goal.Min(DownloadTargetMBps),
            note: $"client {download.Run.DescribeCpu()}; server CPU {download.Server.CpuSeconds:0.00} s");
        context.AddPeakMemory("peak RSS of python during the download", download.Run.PeakRss);
        context.AddPeakMemory($"peak RSS of lmvp-server during the {label} download", download.Server.PeakRss);
        File.Delete(download.Run.Output.Trim());

        var get = Measure(context, curl, running, $"curl GET of resolve/main/weights.bin (peer)", notebook, "-sSf", "-o", "/dev/null",
            "-H", $"Authorization: Bearer {token}", $"{api.Replace("/bench/api", "/api/v1/repos/bench/api", StringComparison.Ordinal)}/resolve/main/weights.bin");
        context.Add($"plain HTTP GET of the same file with curl to /dev/null (peer: the server's streaming, no client work)",
            ScenarioContext.MBps(size, get.Run.Elapsed), "MB/s", note: $"server CPU {get.Server.CpuSeconds:0.00} s");
        var lmvpGet = Measure(context, running, $"lmvp get of the {label} file", notebook, "get", api, "weights.bin", "-o", "got.bin");
        context.Add($"lmvp get of the same file (verified BLAKE3)", ScenarioContext.MBps(size, lmvpGet.Run.Elapsed), "MB/s", note: lmvpGet.Run.DescribeCpu());
        File.Delete(Path.Combine(notebook, "got.bin"));

        History(context, running, token);
    }

    /// <summary>A branch of 5,000 commits with 10 metrics each, pushed; then its commits as one JSON answer, cold and warm.</summary>
    private static void History(ScenarioContext context, RunningServer running, string token)
    {
        var directory = Path.Combine(context.Directory, "history");
        Directory.CreateDirectory(directory);
        context.Log($"making {HistoryCommits} commits with {HistoryMetrics} metrics each");
        using (var repository = Repository.Init(directory))
        {
            var file = Path.Combine(directory, "step.txt");
            for (var i = 0; i < HistoryCommits; i++)
            {
                File.WriteAllText(file, i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                var metrics = Enumerable.Range(0, HistoryMetrics).ToDictionary(m => $"metric_{m}", m => Math.Sin(i + m));
                repository.Commit(new CommitOptions { Message = $"step {i}", Metrics = metrics, RecordProvenance = false });
            }

            repository.AddRemote("origin", $"{running.Url}/bench/history");
            repository.PushAsync("origin", "main", options: new SyncOptions { Token = token }).GetAwaiter().GetResult();
        }

        using var http = new HttpClient { BaseAddress = new Uri(running.Url + "/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var route = $"api/v1/repos/bench/history/commits?limit={HistoryCommits}";
        double Time()
        {
            var clock = Stopwatch.StartNew();
            var body = http.GetByteArrayAsync(route).GetAwaiter().GetResult();
            clock.Stop();
            _lastBytes = body.Length;
            return clock.Elapsed.TotalMilliseconds;
        }

        var cold = Time();
        var warm = Enumerable.Range(0, 7).Select(_ => Time()).ToList();
        context.Add($"GET commits of a {HistoryCommits}-commit branch with {HistoryMetrics} metrics, one page (request to last byte over loopback; median of 7)",
            ScenarioContext.Median(warm), "ms", Goal.Max(HistoryTargetMs), note: $"{_lastBytes / 1e6:0.0} MB of JSON; first request after the push {cold:0} ms", samples: warm);
    }

    private static long _lastBytes;

    private static string Python() => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    /// <summary>The checkout the bench was built from (it holds python/lmvp).</summary>
    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "python", "lmvp", "__init__.py")))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException("Cannot find python/lmvp above the bench's build directory.");
    }
}
