using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Lmvp.Store;
using Lmvp.Store.Sync;
using Lmvp.Testing.ScaleOut;

namespace Lmvp.Bench.Scenarios;

/// <summary>lmvp-server on PostgreSQL + Ceph RGW against the embedded backend in the same run (issue 11): push and clone of a new
/// model, a 5,000-commit history, and 50 clients at once through two servers.</summary>
internal static partial class SyncScenarios
{
    private const int Clients = 50;
    private const string Password = "bench-password-1";

    public static void ScaleOut(ScenarioContext context)
    {
        var size = context.Sizes.FileBytes;
        var label = ScenarioContext.Size(size);
        context.Log("starting PostgreSQL and a one-node Ceph RGW");
        using var postgres = PostgresService.Start();
        using var ceph = CephService.Start();
        Environment.SetEnvironmentVariable("LMVP_CONFIG_DIR", Path.Combine(context.Directory, "config"));
        var server = ServerBinary.Locate();
        server.ChildEnvironment["AWS_ACCESS_KEY_ID"] = ceph.AccessKey;
        server.ChildEnvironment["AWS_SECRET_ACCESS_KEY"] = ceph.SecretKey;
        var database = postgres.CreateDatabaseAsync("bench").GetAwaiter().GetResult();
        var backends = new (string Name, string[] Storage)[]
        {
            ("embedded", ["--data", Path.Combine(context.Directory, "server")]),
            ("PostgreSQL + RGW", ["--database", database, "--packs", $"s3://{ceph.Bucket}/bench", "--s3-endpoint", ceph.Endpoint, "--s3-region", ceph.Region]),
        };
        context.Note($"PostgreSQL {PostgresService.BinDirectory} (fsync off, as in the tests) and Ceph 16.2 RGW over a memstore OSD, on the same 2 cores as the server");
        var tokens = new Dictionary<string, string>();
        foreach (var (name, storage) in backends)
        {
            server.AdminWithInput(storage, Password + "\n", "create-user", "bench", "--password-stdin");
            tokens[name] = server.Admin(storage, "create-token", "bench", "--scope", "write").Trim();
            server.Admin(storage, "create-repo", "bench/model");
            server.Admin(storage, "create-repo", "bench/history");
        }

        var work = Path.Combine(context.Directory, "train");
        context.Log($"generating a {label} file of float32 weights");
        WeightData.WriteFile(Path.Combine(work, "weights.bin"), size, 11UL);
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(work);
        context.Cli.Run(work, "init").EnsureSuccess("init");
        context.Cli.Run(work, "commit", "-m", "bench: new weights").EnsureSuccess("commit");

        var history = Path.Combine(context.Directory, "history");
        context.Log($"making a {HistoryCommits}-commit branch");
        MakeHistory(history);

        var push = new Dictionary<string, double>();
        var clone = new Dictionary<string, double>();
        var pages = new Dictionary<string, (double First, double Deep, double Log)>();
        foreach (var (name, storage) in backends)
        {
            Environment.SetEnvironmentVariable("LMVP_TOKEN", tokens[name]);
            using var running = server.Start(storage);
            context.Log($"{name}: lmvp-server pid {running.Pid} at {running.Url}");
            var remote = name == "embedded" ? "embedded" : "scaled";
            context.Cli.Run(work, "remote", "add", remote, $"{running.Url}/bench/model").EnsureSuccess("remote add");
            ProcessStats.SyncDisks();
            var p = Measure(context, running, $"{name}: push of a new {label} file", work, "push", "--json", remote);
            push[name] = ScenarioContext.MBps(size, p.Run.Elapsed);
            context.Add($"{name}: push new {label} file, lmvp binary", push[name], "MB/s", note: $"server CPU {p.Server.CpuSeconds:0.00} s; {p.Run.DescribeCpu()}");
            context.AddPeakMemory($"{name}: peak RSS of lmvp-server during the push", p.Server.PeakRss);

            var cloneDir = Path.Combine(context.Directory, "clone-" + remote);
            ProcessStats.SyncDisks();
            var c = Measure(context, running, $"{name}: clone of the {label} repository", context.Directory, "clone", "--json", $"{running.Url}/bench/model", cloneDir);
            VerifySameFile(Path.Combine(work, "weights.bin"), Path.Combine(cloneDir, "weights.bin"));
            clone[name] = ScenarioContext.MBps(size, c.Run.Elapsed);
            context.Add($"{name}: clone of the {label} repository (fetch + verified checkout), lmvp binary", clone[name], "MB/s", note: $"server CPU {c.Server.CpuSeconds:0.00} s");
            context.AddPeakMemory($"{name}: peak RSS of lmvp-server during the clone", c.Server.PeakRss);
            Directory.Delete(cloneDir, recursive: true);

            context.Cli.Run(history, "remote", "add", remote, $"{running.Url}/bench/history").EnsureSuccess("remote add");
            var hp = context.Cli.Run(history, "push", remote).EnsureSuccess("push");
            context.Add($"{name}: push of the {HistoryCommits}-commit branch (metadata only)", hp.Elapsed.TotalSeconds, "s");
            pages[name] = MeasureHistory(context, name, running.Url, history);
        }

        const string E = "embedded", S = "PostgreSQL + RGW";
        context.Add($"push {label}: PostgreSQL + RGW / embedded", push[S] / push[E], "x", Goal.Min(0.7));
        context.Add($"clone {label}: PostgreSQL + RGW / embedded", clone[S] / clone[E], "x", Goal.Min(0.7));
        context.Add($"history page 1 of {HistoryCommits} commits: PostgreSQL / SQLite latency", pages[S].First / pages[E].First, "x", Goal.Max(1.5));
        context.Add($"history page 100 of {HistoryCommits} commits: PostgreSQL / SQLite latency", pages[S].Deep / pages[E].Deep, "x", Goal.Max(1.5));
        context.Add($"clone of the {HistoryCommits}-commit history + lmvp log: PostgreSQL / SQLite", pages[S].Log / pages[E].Log, "x", Goal.Max(1.5));

        ConcurrentClients(context, server, backends[1].Storage, tokens[S]);
    }

    private static void MakeHistory(string directory)
    {
        Directory.CreateDirectory(directory);
        using var repository = Repository.Init(directory);
        var file = Path.Combine(directory, "metrics.json");
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        for (var i = 0; i < HistoryCommits; i++)
        {
            File.WriteAllText(file, string.Create(CultureInfo.InvariantCulture, $"{{\"step\": {i}}}\n"));
            repository.Commit(new CommitOptions
            {
                Message = $"step {i}",
                Metrics = new Dictionary<string, double> { ["loss"] = 1.0 / (i + 1), ["acc"] = i / (double)HistoryCommits },
                Time = start.AddMinutes(i),
                RecordProvenance = false,
            });
        }
    }

    /// <summary>Medians of the web history page (first and 100th page of 50) and of a clone + log of the whole branch.</summary>
    private static (double First, double Deep, double Log) MeasureHistory(ScenarioContext context, string name, string url, string history)
    {
        using var http = SignIn(url);
        double Page(int page)
        {
            var samples = new List<double>();
            for (var i = 0; i < 7; i++)
            {
                var clock = Stopwatch.StartNew();
                using var response = http.GetAsync($"/repos/bench/history/history?branch=main{(page > 1 ? $"&page={page}" : "")}").GetAwaiter().GetResult();
                var body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                clock.Stop();
                if (response.StatusCode != HttpStatusCode.OK || !body.Contains("step ", StringComparison.Ordinal))
                {
                    throw new InvalidOperationException($"{name}: history page {page} answered {(int)response.StatusCode}");
                }

                samples.Add(clock.Elapsed.TotalMilliseconds);
            }

            samples.Sort();
            return samples[samples.Count / 2];
        }

        var first = Page(1);
        var deep = Page(100);
        context.Add($"{name}: web history page 1 of a {HistoryCommits}-commit branch (median of 7)", first, "ms");
        context.Add($"{name}: web history page 100 of a {HistoryCommits}-commit branch (median of 7)", deep, "ms");

        var copy = Path.Combine(context.Directory, "history-copy");
        var clock = Stopwatch.StartNew();
        context.Cli.Run(context.Directory, "clone", $"{url}/bench/history", copy).EnsureSuccess("clone");
        context.Cli.Run(copy, "log", "--oneline").EnsureSuccess("log");
        clock.Stop();
        Directory.Delete(copy, recursive: true);
        context.Add($"{name}: clone of the {HistoryCommits}-commit branch + lmvp log --oneline", clock.Elapsed.TotalSeconds, "s");
        return (first, deep, clock.Elapsed.TotalSeconds);
    }

    private static HttpClient SignIn(string url)
    {
        var cookies = new CookieContainer();
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = new Uri(url) };
        var form = http.GetStringAsync("/signin").GetAwaiter().GetResult();
        var csrf = CsrfField().Match(form).Groups[1].Value;
        using var response = http.PostAsync("/signin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_csrf"] = csrf,
            ["username"] = "bench",
            ["password"] = Password,
        })).GetAwaiter().GetResult();
        if (cookies.GetCookies(new Uri(url))["lmvp_session"] is null)
        {
            throw new InvalidOperationException($"sign-in at {url} failed: {(int)response.StatusCode}");
        }

        return http;
    }

    /// <summary>50 clients at once, alternating between two servers on the same storage: each pushes its own model to its own
    /// repository through one server and clones it back through the other.</summary>
    private static void ConcurrentClients(ScenarioContext context, ServerBinary server, string[] storage, string token)
    {
        const int fileBytes = 8 << 20;
        for (var i = 0; i < Clients; i++)
        {
            server.Admin(storage, "create-repo", $"bench/client-{i}");
        }

        using var a = server.Start(storage);
        using var b = server.Start(storage);
        var urls = new[] { a.Url, b.Url };
        var options = new SyncOptions { Credentials = CredentialStore.FromEnvironment(n => n == CredentialStore.TokenVariable ? token : null) };
        var root = Path.Combine(context.Directory, "clients");
        for (var i = 0; i < Clients; i++)
        {
            var dir = Path.Combine(root, $"c{i}");
            Directory.CreateDirectory(dir);
            WeightData.WriteFile(Path.Combine(dir, "weights.bin"), fileBytes, (ulong)(100 + i));
            using var repository = Repository.Init(dir);
            repository.Commit(new CommitOptions { Message = $"client {i}", RecordProvenance = false });
            repository.AddRemote("origin", $"{urls[i % 2]}/bench/client-{i}");
        }

        a.ResetPeak();
        b.ResetPeak();
        using var sampleA = new ChildSampler(a.Pid);
        using var sampleB = new ChildSampler(b.Pid);
        var clock = Stopwatch.StartNew();
        var failures = 0;
        var tasks = Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
        {
            try
            {
                var dir = Path.Combine(root, $"c{i}");
                using (var repository = Repository.Open(dir))
                {
                    await repository.PushAsync(options: options);
                }

                var copy = Path.Combine(root, $"copy{i}");
                await Repository.CloneAsync($"{urls[(i + 1) % 2]}/bench/client-{i}", copy, options: options);
                VerifySameFile(Path.Combine(dir, "weights.bin"), Path.Combine(copy, "weights.bin"));
            }
            catch (Exception e) when (e is LmvpException or IOException or InvalidOperationException or HttpRequestException)
            {
                Interlocked.Increment(ref failures);
                context.Log($"client {i}: {e.Message}");
            }
        })).ToArray();
        Task.WaitAll(tasks);
        clock.Stop();
        var peak = Math.Max(Math.Max(sampleA.Stop(context.Scenario, "50 clients: server A").ServerPeak, a.PeakRss()),
            Math.Max(sampleB.Stop(context.Scenario, "50 clients: server B").ServerPeak, b.PeakRss()));
        context.Add($"{Clients} clients at once through two servers (push 8 MiB + clone from the other server each): failures", failures, "count", Goal.Max(0));
        context.Add($"{Clients} clients: total time", clock.Elapsed.TotalSeconds, "s",
            note: $"{Clients * 2 * fileBytes / 1e6 / clock.Elapsed.TotalSeconds:0} MB/s through both servers together; every clone verified byte-identical");
        context.Add($"{Clients} clients: peak RSS of the larger lmvp-server", peak / 1e6, "MB",
            note: "bounded by the requests in flight: a clone's range reads of up to 8 MiB each; a push's pack is spooled to disk and sent from the file");
    }

    [GeneratedRegex("name=\"_csrf\" value=\"([^\"]+)\"")]
    private static partial Regex CsrfField();
}
