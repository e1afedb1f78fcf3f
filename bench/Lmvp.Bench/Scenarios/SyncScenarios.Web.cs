using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using Lmvp.Store;
using Lmvp.Store.Sync;

namespace Lmvp.Bench.Scenarios;

/// <summary>The web console's pages on a 5,000-commit branch with 10 noisy metrics (issue 14): bytes on the wire without
/// compression, with gzip and with brotli, and the server's time, for the history (all rows and the first page), the metrics
/// page, an overlay of two branches, the CSV export and the API's JSON; next to the same pages from another lmvp-server build
/// (the baseline: set LMVP_BENCH_BASELINE_SERVER to its lmvp-server.dll) on the same data, in the same run.</summary>
internal static partial class SyncScenarios
{
    private const int WebCommits = 5000;
    private const int WebMetrics = 10;
    private const int WebBranchFrom = 4000;
    private const double MetricsPageTargetKB = 300;
    private const double HistoryPageTargetKB = 700;
    private const double MetricsPageTargetMs = 100;

    /// <summary>The pages measured: a name, the path, and the target for its brotli size (KB) if any.</summary>
    private static readonly (string Name, string Path, double? TargetKB)[] WebPages =
    [
        ("history, all 5,000 rows", "repos/bench/web/history?page=all", HistoryPageTargetKB),
        ("history, first page (100 rows)", "repos/bench/web/history", null),
        ("metrics, 10 charts of 5,000 commits", "repos/bench/web/metrics", MetricsPageTargetKB),
        ("metrics, 2 branches x 2 metrics on one chart, EMA 0.9", "repos/bench/web/metrics?branch=main&branch=lr-sweep&metric=loss&metric=val_loss&overlay=1&smooth=0.9", null),
        ("history as CSV, all rows", "repos/bench/web/history.csv", null),
        ("API commits, one page of 5,000", "api/v1/repos/bench/web/commits?limit=5000", null),
        ("API metric series", "api/v1/repos/bench/web/metrics", null),
    ];

    /// <summary>Page sizes and server times of the web console (see the class summary).</summary>
    public static void Web(ScenarioContext context)
    {
        var serverData = Path.Combine(context.Directory, "server");
        var server = ServerBinary.Locate();
        server.Admin(["--data", serverData], "create-user", "bench");
        var token = server.Admin(["--data", serverData], "create-token", "bench", "--scope", "write").Trim();
        server.Admin(["--data", serverData], "create-repo", "bench/web", "--public");
        using (var running = server.Start(serverData))
        {
            PushNoisyHistory(context, running, token);
            MeasurePages(context, running, "this build", withTargets: true);
        }

        if (Environment.GetEnvironmentVariable("LMVP_BENCH_BASELINE_SERVER") is { Length: > 0 } baselineDll)
        {
            var baseline = ServerBinary.At(baselineDll);
            context.Note($"baseline: {baseline.Describe()} on the same data directory, after this build's server stopped");
            using var running = baseline.Start(serverData);
            MeasurePages(context, running, "baseline", withTargets: false);
        }
        else
        {
            context.Note("no baseline server (set LMVP_BENCH_BASELINE_SERVER to another build's lmvp-server.dll to measure its pages too)");
        }
    }

    /// <summary>main: 5,000 commits with step, epoch, loss, val_loss, accuracy and 5 more noisy metrics; lr-sweep: 1,000 more from commit 4,000.</summary>
    private static void PushNoisyHistory(ScenarioContext context, RunningServer running, string token)
    {
        var directory = Path.Combine(context.Directory, "web-history");
        Directory.CreateDirectory(directory);
        context.Log($"making {WebCommits} commits with {WebMetrics} metrics each, and a branch of {WebCommits - WebBranchFrom} more");
        using var repository = Repository.Init(directory);
        var file = Path.Combine(directory, "step.txt");
        var random = new Random(14);
        void Commit(string branchTag, int i, double rate)
        {
            File.WriteAllText(file, branchTag + i.ToString(CultureInfo.InvariantCulture));
            var decay = Math.Exp(-i * rate / 900.0);
            var metrics = new Dictionary<string, double>
            {
                ["step"] = i * 100,
                ["epoch"] = Math.Round(i / 50.0, 2),
                ["loss"] = Math.Round(0.2 + (2.0 * decay) + (random.NextDouble() * 0.15), 6),
                ["val_loss"] = Math.Round(0.3 + (1.8 * decay) + (random.NextDouble() * 0.08), 6),
                ["accuracy"] = Math.Round(0.95 - (0.6 * decay) + (random.NextDouble() * 0.02), 6),
            };
            for (var m = 0; metrics.Count < WebMetrics; m++)
            {
                metrics[$"metric_{m}"] = Math.Round(Math.Sin((i / 120.0) + m) + (random.NextDouble() * 0.3), 6);
            }

            repository.Commit(new CommitOptions { Message = $"{branchTag}step {i}", Metrics = metrics, RecordProvenance = false });
        }

        for (var i = 0; i < WebCommits; i++)
        {
            Commit("", i, 1.0);
            if (i == WebBranchFrom - 1)
            {
                repository.CreateBranch("lr-sweep");
            }
        }

        repository.Checkout("lr-sweep", force: true);
        for (var i = WebBranchFrom; i < WebCommits; i++)
        {
            Commit("lr ", i, 1.6);
        }

        repository.AddRemote("origin", $"{running.Url}/bench/web");
        foreach (var branch in new[] { "main", "lr-sweep" })
        {
            repository.PushAsync("origin", branch, options: new SyncOptions { Token = token }).GetAwaiter().GetResult();
        }
    }

    private static void MeasurePages(ScenarioContext context, RunningServer running, string build, bool withTargets)
    {
        using var handler = new HttpClientHandler { AutomaticDecompression = DecompressionMethods.None };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(running.Url + "/"), Timeout = TimeSpan.FromMinutes(2) };
        foreach (var (name, path, targetKB) in WebPages)
        {
            // The first request pays for the history walk (and, once per process, the JIT); the figures are warm.
            if (Fetch(http, path, null) is not { Status: HttpStatusCode.OK } first)
            {
                context.Note($"{build}: {path} is not served ({(int?)Fetch(http, path, null)?.Status})");
                continue;
            }

            var identity = Sample(http, path, null);
            var gzip = Sample(http, path, "gzip");
            var brotli = Sample(http, path, "br");
            var plain = identity[0].Bytes;
            VerifySameBody(gzip[0], brotli[0], plain, path);
            var unit = "KB";
            context.Add($"{build}: {name}, identity (no Accept-Encoding)", plain / 1000.0, unit, note: $"first request {first.Milliseconds:0} ms");
            context.Add($"{build}: {name}, gzip", gzip[0].Bytes / 1000.0, unit, note: Encoding(gzip[0]));
            context.Add($"{build}: {name}, brotli", brotli[0].Bytes / 1000.0, unit, withTargets && targetKB is { } t ? Goal.Max(t) : null, note: Encoding(brotli[0]));
            var server = brotli.Where(s => s.ServerMs is not null).Select(s => s.ServerMs!.Value).ToList();
            if (server.Count > 0)
            {
                context.Add($"{build}: {name}, server time (Server-Timing: history walk + render; median of 7)", ScenarioContext.Median(server), "ms",
                    withTargets && path.Contains("/metrics", StringComparison.Ordinal) && !path.Contains('?', StringComparison.Ordinal) ? Goal.Max(MetricsPageTargetMs) : null,
                    samples: server);
            }

            var wall = brotli.Select(s => s.Milliseconds).ToList();
            context.Add($"{build}: {name}, request to last byte over loopback with brotli (median of 7)", ScenarioContext.Median(wall), "ms", samples: wall);
        }
    }

    private static string Encoding(PageSample sample) => sample.ContentEncoding is { Length: > 0 } e ? "Content-Encoding: " + e : "sent uncompressed";

    private sealed record PageSample(HttpStatusCode Status, long Bytes, double Milliseconds, double? ServerMs, string? ContentEncoding, byte[] Body);

    private static List<PageSample> Sample(HttpClient http, string path, string? encoding) =>
        [.. Enumerable.Range(0, 7).Select(_ => Fetch(http, path, encoding)!)];

    private static PageSample? Fetch(HttpClient http, string path, string? encoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd(path.StartsWith("api/", StringComparison.Ordinal) ? "application/json" : "text/html");
        if (encoding is not null)
        {
            request.Headers.AcceptEncoding.ParseAdd(encoding);
        }

        var clock = Stopwatch.StartNew();
        using var response = http.Send(request, HttpCompletionOption.ResponseContentRead);
        var body = response.Content.ReadAsByteArrayAsync().GetAwaiter().GetResult();
        clock.Stop();
        double? serverMs = response.Headers.TryGetValues("Server-Timing", out var timing)
            ? timing.SelectMany(t => t.Split(',')).Select(p => p.Split(';').FirstOrDefault(x => x.Trim().StartsWith("dur=", StringComparison.Ordinal)))
                .Where(d => d is not null).Sum(d => double.Parse(d!.Trim()[4..], CultureInfo.InvariantCulture))
            : null;
        return new PageSample(response.StatusCode, body.Length, clock.Elapsed.TotalMilliseconds, serverMs, string.Join(',', response.Content.Headers.ContentEncoding), body);
    }

    /// <summary>The compressed bodies must decode to as many bytes as the plain one (the compression is real, not a truncation).</summary>
    private static void VerifySameBody(PageSample gzip, PageSample brotli, long plainBytes, string path)
    {
        static long Decoded(PageSample s)
        {
            using var input = new MemoryStream(s.Body);
            using Stream decoder = s.ContentEncoding switch
            {
                "gzip" => new GZipStream(input, CompressionMode.Decompress),
                "br" => new BrotliStream(input, CompressionMode.Decompress),
                _ => input,
            };
            using var output = new MemoryStream();
            decoder.CopyTo(output);
            return output.Length;
        }

        // Pages carry a fresh antiforgery token or time-dependent text at most; their length is stable to a few bytes.
        foreach (var s in new[] { gzip, brotli })
        {
            var decoded = Decoded(s);
            if (Math.Abs(decoded - plainBytes) > 256)
            {
                throw new InvalidOperationException($"{path} with {s.ContentEncoding}: decodes to {decoded} bytes, the plain page is {plainBytes}");
            }
        }
    }
}
