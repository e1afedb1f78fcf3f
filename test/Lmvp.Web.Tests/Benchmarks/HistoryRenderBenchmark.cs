using System.Diagnostics;
using System.Globalization;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Sync;
using Lmvp.Testing;
using Lmvp.Web.Tests.Support;

namespace Lmvp.Web.Tests.Benchmarks;

/// <summary>How long the history page of a 5,000-commit branch with 10 metrics takes; run by hand, never in CI:
/// <c>dotnet test test/Lmvp.Web.Tests -c Release --filter FullyQualifiedName~HistoryRenderBenchmark</c>.</summary>
[TestFixture]
[Explicit("a benchmark: run it by hand")]
internal sealed class HistoryRenderBenchmark
{
    private static readonly RefMoveLog TestMove = new(RefMoveKinds.Create, "push", null, "bench", null, "token");

    private const int Commits = 5000;
    private const int Metrics = 10;

    [Test]
    public async Task HistoryOfFiveThousandCommitsWithTenMetrics()
    {
        await using var server = await TestServer.StartAsync();
        var owner = await server.CreateUserAsync("bench");
        var write = Stopwatch.StartNew();
        foreach (var name in new[] { "warm-up", "long-run" })
        {
            await server.CreateRepositoryAsync(owner.WriteToken, name, isPrivate: true);
            await WriteHistoryAsync(server, (await server.Metadata.Repositories.FindRepositoryAsync("bench", name, default))!);
        }

        TestContext.Out.WriteLine($"wrote 2 x {Commits} commits in {write.ElapsedMilliseconds} ms");

        using var client = await SiteClient.SignInAsync(server.BaseUrl, "bench", owner.Password);

        // The first request of a process also compiles the page code; it is measured on another repository so that the
        // cold figure below is what a running server pays the first time anyone opens a freshly pushed branch.
        var jit = await TimeAsync(client, "repos/bench/warm-up/history?page=all");
        TestContext.Out.WriteLine($"first request of the process (JIT + cold): {jit.Milliseconds:0} ms");

        var all = "repos/bench/long-run/history?page=all";
        var cold = await TimeAsync(client, all);
        TestContext.Out.WriteLine($"all {Commits} rows, cold (every commit read from SQLite, verified and decoded): {cold.Milliseconds:0} ms, {cold.Bytes / 1024} KiB of HTML");

        // What the metadata store alone costs: one GetObjectAsync per commit, as the history walk makes them.
        var record = (await server.Metadata.Repositories.FindRepositoryAsync("bench", "warm-up", default))!;
        var head = (await server.Metadata.Refs.ListRefsAsync(record.Id, default))[0].Value;
        var reads = Stopwatch.StartNew();
        for (ObjectId? id = head; id is { } current;)
        {
            var stored = (await server.Metadata.Objects.GetObjectAsync(record.Id, current, default))!.Value;
            var decoded = Commit.Decode(stored.Data.Span, current);
            id = decoded.Parents.Count > 0 ? decoded.Parents[0] : null;
        }

        TestContext.Out.WriteLine($"{Commits} sequential GetObjectAsync + Commit.Decode: {reads.ElapsedMilliseconds} ms");

        // The web UI's walk (with its cache) over a third, never-read copy, in process.
        await server.CreateRepositoryAsync(owner.WriteToken, "third", isPrivate: true);
        var third = (await server.Metadata.Repositories.FindRepositoryAsync("bench", "third", default))!;
        await WriteHistoryAsync(server, third);
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = server.Services };
        var web = (await Lmvp.Server.Web.WebContext.BindAsync(http, null!))!;
        var view = Lmvp.Server.Web.Data.RepositoryView.Open(web, third, AccessLevel.Admin);
        var walk = Stopwatch.StartNew();
        var history = await view.HistoryAsync((await server.Metadata.Refs.ListRefsAsync(third.Id, default))[0].Value);
        TestContext.Out.WriteLine($"RepositoryView.HistoryAsync, cold, in process: {walk.ElapsedMilliseconds} ms for {history.Count} commits");

        var warm = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            warm.Add((await TimeAsync(client, all)).Milliseconds);
        }

        var sorted = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            sorted.Add((await TimeAsync(client, $"repos/bench/long-run/history?sort=metric_03&dir={(i % 2 == 0 ? "asc" : "desc")}&page=all")).Milliseconds);
        }

        var paged = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            paged.Add((await TimeAsync(client, "repos/bench/long-run/history?sort=metric_07")).Milliseconds);
        }

        var charts = new List<double>();
        for (var i = 0; i < 10; i++)
        {
            charts.Add((await TimeAsync(client, "repos/bench/long-run/metrics")).Milliseconds);
        }

        // A look at the thinned charts and a long table, for people.
        using (var browser = Support.Browser.Start(server.BaseUrl))
        {
            browser.SignIn("bench", owner.Password);
            browser.Open("/repos/bench/long-run/metrics");
            browser.FullPageScreenshot("bench-metrics-5000", 3200);
            browser.Open("/repos/bench/long-run/history?sort=metric_03");
            browser.Screenshot("bench-history-5000");
        }

        TestContext.Out.WriteLine($"all rows, warm: median {Median(warm):0.0} ms, max {warm.Max():0.0} ms");
        TestContext.Out.WriteLine($"all rows sorted by a metric, warm: median {Median(sorted):0.0} ms, max {sorted.Max():0.0} ms");
        TestContext.Out.WriteLine($"first page (100 rows) sorted by a metric: median {Median(paged):0.0} ms");
        TestContext.Out.WriteLine($"metrics page (10 charts of {Commits} points): median {Median(charts):0.0} ms");
    }

    private static async Task WriteHistoryAsync(TestServer server, RepositoryRecord repository)
    {
        var tree = Tree.Create([]);
        var objects = new List<MetadataObject> { new(tree.Id, ObjectKind.Tree, tree.Encoded) };
        var parent = (ObjectId?)null;
        var start = DateTimeOffset.UtcNow.AddDays(-30);
        var random = new Random(5);
        for (var i = 0; i < Commits; i++)
        {
            var metrics = Enumerable.Range(0, Metrics).Select(m => new KeyValuePair<string, double>(
                "metric_" + m.ToString("00", CultureInfo.InvariantCulture),
                Math.Round(0.2 + (0.8 * Math.Exp(-i / (300.0 * (m + 1)))) + (0.03 * Math.Sin(i / 150.0)) + (random.NextDouble() * 0.02), 6)));
            var commit = Commit.Create(tree.Id, parent is { } p ? [p] : [], "Bench <bench@example.com>", start.AddMinutes(i),
                $"epoch {i + 1}", metrics, new Provenance("0123456789abcdef0123456789abcdef01234567", "main", false, null));
            objects.Add(new MetadataObject(commit.Id, ObjectKind.Commit, commit.Encoded));
            parent = commit.Id;
        }

        await server.Metadata.Objects.PutObjectsAsync(repository.Id, objects.ToAsyncEnumerable(), default);
        (await server.Metadata.Refs.CompareAndSwapRefAsync(repository.Id, "refs/heads/main", null, parent!.Value, TestMove, default)).Should().Be(RefUpdateOutcome.Updated);
    }

    private static async Task<(double Milliseconds, long Bytes)> TimeAsync(SiteClient client, string path)
    {
        // Wall time suffers when other work shares the two cores; the process's CPU time (server and client are both in
        // this process) says what the request itself cost.
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        using var response = await client.Http.GetAsync(path);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var elapsed = watch.Elapsed.TotalMilliseconds;
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        response.EnsureSuccessStatusCode();
        if (response.Headers.TryGetValues("Server-Timing", out var timing))
        {
            TestContext.Out.WriteLine($"    {path}: {elapsed:0.0} ms end to end, {cpuMs:0} ms CPU; server: {string.Join(", ", timing)}");
        }

        return (elapsed, bytes.Length);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
