using System.Globalization;

namespace Lmvp.Bench.Scenarios;

internal static partial class SyncScenarios
{
    /// <summary>The size of each version in the history clone (the 104 MB checkpoints).</summary>
    private const long HistoryVersionBytes = 100L * 1024 * 1024;

    private const int HistoryVersions = 5;

    /// <summary>Clone of the newest of five versions, each all new bytes: only the checked-out snapshot's chunks travel (older
    /// versions' come on demand), next to a plain GET of the same file from the same server in the same run; then a checkout
    /// of the oldest version, which fetches its chunks on demand.</summary>
    private static void HistoryClone(ScenarioContext context, RunningServer running, string token)
    {
        var label = ScenarioContext.Size(HistoryVersionBytes);
        var work = Path.Combine(context.Directory, "history");
        Directory.CreateDirectory(work);
        context.Cli.Run(work, "init").EnsureSuccess("init");
        context.Cli.Run(work, "remote", "add", "origin", $"{running.Url}/bench/history").EnsureSuccess("remote add");
        context.Log($"committing {HistoryVersions} versions of a {label} file and pushing them");
        string? oldest = null;
        for (var v = 1; v < HistoryVersions; v++)
        {
            WeightData.WriteFile(Path.Combine(work, "weights.bin"), HistoryVersionBytes, (ulong)(100 + v));
            context.Cli.Run(work, "commit", "-m", $"epoch {v}").EnsureSuccess("commit");
            if (oldest is null)
            {
                using var repository = Lmvp.Store.Repository.Open(work);
                oldest = repository.Head!.Value.ToString();
            }
        }

        context.Cli.Run(work, "push").EnsureSuccess("push");

        // The newest version (all new data) is pushed alone: the first push of a new version, next to a plain PUT of the same file.
        WeightData.WriteFile(Path.Combine(work, "weights.bin"), HistoryVersionBytes, 100 + HistoryVersions);
        context.Cli.Run(work, "commit", "-m", $"epoch {HistoryVersions}").EnsureSuccess("commit");
        ProcessStats.SyncDisks();
        ScenarioContext.Warm(work);
        var push = Measure(context, running, "lmvp push of a new version", work, "push", "--json");
        var pushTransfer = Transfer(push.Run.Output, "transfer");
        context.Add($"first push of a new {label} version, lmvp binary (wall time incl. process start)", ScenarioContext.MBps(HistoryVersionBytes, push.Run.Elapsed), "MB/s",
            note: $"{push.Run.Elapsed.TotalSeconds:0.000} s; {pushTransfer.Describe(sent: true)}; client {push.Run.DescribeCpu()}; server CPU {push.Server.CpuSeconds:0.00} s");
        var put = PlainPut(context, Path.Combine(work, "weights.bin"), label);
        context.Add($"first push of a new {label} version / plain PUT (speed ratio)", put / push.Run.Elapsed.TotalSeconds, "x", Goal.Min(0.5),
            note: "push MB/s over the MB/s of curl -T to the dropping sink");
        context.AddPeakMemory($"peak RSS of lmvp push of the new {label} version", push.Run.PeakRss);
        context.AddPeakMemory($"peak RSS of lmvp-server during that push", push.Server.PeakRss);
        ProcessStats.SyncDisks();

        var url = $"{running.Url}/api/v1/repos/bench/history/resolve/main/weights.bin";
        var curl = new CliRunner("/usr/bin/curl");
        var get = Measure(context, curl, running, "curl GET of the newest version (peer)", work, "-sSf", "-o", "/dev/null", "-H", $"Authorization: Bearer {token}", url);
        context.Add($"plain HTTP GET of the newest {label} version with curl to /dev/null (peer, same run)", ScenarioContext.MBps(HistoryVersionBytes, get.Run.Elapsed), "MB/s",
            note: $"{get.Run.Elapsed.TotalSeconds:0.000} s; server CPU {get.Server.CpuSeconds:0.00} s");

        ProcessStats.SyncDisks();
        var cloneDir = Path.Combine(context.Directory, "history-clone");
        var clone = Measure(context, running, $"lmvp clone of the newest of {HistoryVersions} versions", context.Directory, "clone", "--json", $"{running.Url}/bench/history", cloneDir);
        var transfer = Transfer(clone.Run.Output, "fetch", "transfer");
        VerifySameFile(Path.Combine(work, "weights.bin"), Path.Combine(cloneDir, "weights.bin"));
        context.Add($"clone of the newest of {HistoryVersions} {label} versions, lmvp binary (wall time incl. process start)",
            ScenarioContext.MBps(HistoryVersionBytes, clone.Run.Elapsed), "MB/s",
            note: $"{clone.Run.Elapsed.TotalSeconds:0.000} s; {transfer.Describe(sent: false)}; client {clone.Run.DescribeCpu()}");
        context.Add("bytes received by that clone, % of the snapshot (history is 5x the snapshot)", 100.0 * transfer.WireBytes / HistoryVersionBytes, "%", Goal.Max(105),
            note: string.Create(CultureInfo.InvariantCulture, $"{transfer.WireBytes / 1e6:0.0} MB received for a {HistoryVersionBytes / 1e6:0.0} MB snapshot of a {HistoryVersions * HistoryVersionBytes / 1e6:0} MB history"));
        context.Add("clone time / plain GET time of the same file", clone.Run.Elapsed / get.Run.Elapsed, "x", Goal.Max(2));
        context.AddPeakMemory("peak RSS of lmvp clone of the newest version", clone.Run.PeakRss);
        context.AddPeakMemory("peak RSS of lmvp-server during that clone", clone.Server.PeakRss);

        // The oldest version on demand: its chunks come from origin during the checkout, verified, and stay.
        ProcessStats.SyncDisks();
        var checkout = Measure(context, running, "lmvp checkout of the oldest version (chunks on demand)", cloneDir, "checkout", oldest!);
        context.Add($"checkout of the oldest {label} version in that clone, chunks fetched on demand (wall time incl. process start)",
            ScenarioContext.MBps(HistoryVersionBytes, checkout.Run.Elapsed), "MB/s", note: $"{checkout.Run.Elapsed.TotalSeconds:0.000} s; client {checkout.Run.DescribeCpu()}");
        Directory.Delete(cloneDir, recursive: true);
    }
}
