using System.Globalization;
using System.Text;
using Lmvp.Store;

namespace Lmvp.Web.Tests.Support;

/// <summary>One commit of <see cref="SweepRun"/>: its branch, its 1-based number on that branch, its commit and its metrics.</summary>
internal sealed record SweepCommit(string Branch, int Number, ObjectId Commit, double Step, double Epoch, double Loss, double ValLoss, double Accuracy, double Margin);

/// <summary><c>alice/sweep</c>: a run compared with a branch of it, made with the real CLI, for the charts and the history.</summary>
/// <remarks>
/// main has <see cref="MainCommits"/> commits with step, epoch (a quarter per commit, so x-by-epoch differs from x-by-commit),
/// a noisy falling loss, a U-shaped val_loss (lowest at <see cref="BestValLossAt"/>, tagged <c>best-val</c>), accuracy and
/// <c>margin</c>, whose direction only the repository's <c>.lmvpmetrics</c> gives (higher; the name alone would say lower).
/// <see cref="Branch"/> (a name with a slash) forks after commit <see cref="ForkAfter"/> with a higher learning rate; its loss
/// is NaN at <see cref="DivergedAt"/>. The snapshot also holds a JSON config, Markdown notes and a 96 KiB log for previews.
/// </remarks>
internal static class SweepRun
{
    public const string Repository = "sweep";
    public const string Branch = "exp/lr-sweep";
    public const string Tag = "best-val";
    public const int MainCommits = 12;
    public const int ForkAfter = 4;
    public const int BranchCommits = 6;
    public const int BestValLossAt = 8;
    public const int DivergedAt = 7;
    public const int LogBytes = 96 * 1024;
    public const string MetricDirections = "# which end is better, where the name does not say\nmargin = higher\n";
    public const string Notes = "# Sweep notes\n\nThe **lr** sweep: `3e-4` against `1e-3`.\n\n<script>alert('notes')</script>\n";

    private static readonly double[] Noise = [0.07, -0.03, 0.05, 0.01, -0.06, 0.04, -0.02, 0.06, -0.05, 0.03, -0.01, 0.02];

    /// <summary>The metrics of commit <paramref name="n"/> (1-based, counted from the root) on main or on the branch.</summary>
    public static (double Step, double Epoch, double Loss, double ValLoss, double Accuracy, double Margin) Metrics(int n, bool branch)
    {
        var loss = branch && n == DivergedAt ? double.NaN : Math.Round((branch ? 1.6 : 2.0) * Math.Exp(-n / (branch ? 3.5 : 5.0)) + 0.1 + Noise[n - 1], 4);
        var valLoss = Math.Round(0.5 + (0.02 * (n - BestValLossAt) * (n - BestValLossAt)) + (branch ? 0.05 : 0) + (0.001 * n), 4);
        var accuracy = Math.Round(0.5 + (0.03 * n) + (branch ? 0.01 : 0), 4);
        var margin = Math.Round(0.3 + (0.2 * Math.Sin(n * 0.9)), 4);
        return (50 * n, 0.25 * n, loss, valLoss, accuracy, margin);
    }

    /// <summary>Makes the run in <paramref name="dir"/> with the real lmvp and pushes both branches and the tag to <paramref name="remote"/>.</summary>
    public static async Task<IReadOnlyList<SweepCommit>> PushAsync(string dir, string remote, string token, string scratch)
    {
        Directory.CreateDirectory(dir);
        await LmvpCli.RunOkAsync(dir, null, "init");
        File.WriteAllText(Path.Combine(dir, ".lmvpmetrics"), MetricDirections);
        File.WriteAllText(Path.Combine(dir, "config.json"), "{\"lr\":0.0003,\"schedule\":{\"warmup\":100,\"decay\":\"cosine\"},\"layers\":[64,64]}");
        File.WriteAllText(Path.Combine(dir, "notes.md"), Notes);
        var log = new StringBuilder();
        for (var line = 0; log.Length < LogBytes; line++)
        {
            log.Append(CultureInfo.InvariantCulture, $"step {line,6} loss {1.0 / (line + 1):0.000000} lr 0.0003 grad_norm {0.5 + (line % 7) * 0.01:0.00}\n");
        }

        File.WriteAllText(Path.Combine(dir, "train.log"), log.ToString()[..LogBytes]);
        var made = new List<SweepCommit>();
        for (var n = 1; n <= MainCommits; n++)
        {
            made.Add(await CommitAsync(dir, scratch, "main", n, onBranch: false));
            if (n == ForkAfter)
            {
                await LmvpCli.RunOkAsync(dir, null, "branch", Branch);
            }

            if (n == BestValLossAt)
            {
                await LmvpCli.RunOkAsync(dir, null, "tag", Tag);
            }
        }

        await LmvpCli.RunOkAsync(dir, null, "checkout", Branch);
        for (var n = ForkAfter + 1; n <= ForkAfter + BranchCommits; n++)
        {
            made.Add(await CommitAsync(dir, scratch, Branch, n, onBranch: true));
        }

        await LmvpCli.RunOkAsync(dir, null, "remote", "add", "origin", remote);
        await LmvpCli.RunOkAsync(dir, token, "push", "origin", "main", "--tags");
        await LmvpCli.RunOkAsync(dir, token, "push", "origin", Branch);

        using var repository = Lmvp.Store.Repository.Open(dir);
        var main = repository.Log("main").Reverse().Select(c => c.Id).ToList();
        var side = repository.Log(Branch).Reverse().Select(c => c.Id).ToList();
        return [.. made.Select(c => c with { Commit = (c.Branch == "main" ? main : side)[c.Number - 1] })];
    }

    private static async Task<SweepCommit> CommitAsync(string dir, string scratch, string branch, int n, bool onBranch)
    {
        var m = Metrics(n, onBranch);
        File.WriteAllText(Path.Combine(dir, "state.txt"), $"{branch} {n}\n");
        var metricsFile = Path.Combine(scratch, "sweep-metrics.json");
        File.WriteAllText(metricsFile, "{" + string.Join(", ", new (string, double)[]
        {
            ("step", m.Step), ("epoch", m.Epoch), ("loss", m.Loss), ("val_loss", m.ValLoss), ("accuracy", m.Accuracy), ("margin", m.Margin),
        }.Select(p => $"\"{p.Item1}\": {(double.IsNaN(p.Item2) ? "NaN" : p.Item2.ToString("R", CultureInfo.InvariantCulture))}")) + "}");
        await LmvpCli.RunOkAsync(dir, null, "commit", "-m", $"{(onBranch ? "lr 1e-3, " : "")}epoch {m.Epoch.ToString(CultureInfo.InvariantCulture)} (step {m.Step})",
            "--author", "Sweeper <sweep@example.com>", "--metrics-file", metricsFile, "--param", $"lr={(onBranch ? "0.001" : "0.0003")}");
        return new SweepCommit(branch, n, ObjectId.Zero, m.Step, m.Epoch, m.Loss, m.ValLoss, m.Accuracy, m.Margin);
    }
}
