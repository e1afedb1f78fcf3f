using Lmvp.Cli.Tests.Support;
using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Commands;

/// <summary>NaN and infinite metrics, and params, through commit, log, show, diff and --json.</summary>
public sealed class MetricsAndParamsTests
{
    [Test]
    public async Task Commit_NaNAndInfiniteMetrics_AreRecordedExactlyAndShown()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");

        var head = await repo.CommitAsync("diverged", "--metric", "loss=nan", "--metric", "grad=inf", "--metric", "low=-Infinity", "--metric", "acc=0.5");

        using (var store = Repository.Open(repo.Root))
        {
            var metrics = store.GetCommit(head).Metrics.ToDictionary(m => m.Key, m => m.Value);
            double.IsNaN(metrics["loss"]).Should().BeTrue();
            metrics["grad"].Should().Be(double.PositiveInfinity);
            metrics["low"].Should().Be(double.NegativeInfinity);
        }

        (await repo.RunOkAsync("log")).Out.Should().Contain("Metrics: acc=0.5 grad=inf loss=NaN low=-inf");
        (await repo.RunOkAsync("show")).Out.Should().Contain("Metrics: acc=0.5 grad=inf loss=NaN low=-inf");
    }

    [Test]
    public async Task Commit_MetricsFileAsPythonJsonDumpWritesIt_ReadsNaNInfinityAndNestedNames()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        repo.Write("metrics.json", """{"loss": NaN, "val": {"loss": Infinity, "acc": -Infinity}, "step": 3}""");

        var head = await repo.CommitAsync("epoch 3", "--metrics-file", "metrics.json");

        using var store = Repository.Open(repo.Root);
        var metrics = store.GetCommit(head).Metrics;
        metrics.Select(m => m.Key).Should().Equal("loss", "step", "val.acc", "val.loss");
        double.IsNaN(metrics[0].Value).Should().BeTrue();
        metrics[2].Value.Should().Be(double.NegativeInfinity);
        metrics[3].Value.Should().Be(double.PositiveInfinity);
    }

    [Test]
    public async Task Commit_Params_FromFlagsJsonAndKeyValueFiles_AreTypedAndShown()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        repo.Write("params.json", """{"optim": {"name": "adamw", "lr": 3e-4}, "amp": true, "layers": [1, 2], "note": null}""");
        repo.Write("params.txt", "# from argparse\nbatch_size = 32\ndataset=imagenet-v2\nversion=\"1.10\"\n");

        var head = await repo.CommitAsync("epoch 1", "--params-file", "params.json", "--param", "seed=42", "--param", "optim.lr=1e-3");
        repo.Write("a.txt", "2");
        var second = await repo.CommitAsync("epoch 2", "--params-file", "params.txt");

        using (var store = Repository.Open(repo.Root))
        {
            var first = store.GetCommit(head).Params.ToDictionary(p => p.Key, p => p.Value);
            first["optim.name"].Should().Be(ParamValue.FromString("adamw"));
            first["optim.lr"].Should().Be(ParamValue.FromNumber(1e-3), "a flag wins over the file");
            first["seed"].Number.Should().Be(42);
            first["amp"].Text.Should().Be("true");
            first["layers"].Text.Should().Be("[1, 2]");
            first["note"].Text.Should().Be("null");
            var next = store.GetCommit(second).Params.ToDictionary(p => p.Key, p => p.Value);
            next["batch_size"].Should().Be(ParamValue.FromNumber(32));
            next["dataset"].Text.Should().Be("imagenet-v2");
            next["version"].Text.Should().Be("1.10", "a quoted value stays a string");
        }

        (await repo.RunOkAsync("log", "-n", "1")).Out.Should().Contain("Params:  batch_size=32 dataset=imagenet-v2 version=\"1.10\"");
        (await repo.RunOkAsync("show", head.ToString())).Out.Should().Contain("Params:  amp=true layers=\"[1, 2]\" note=null optim.lr=0.001 optim.name=adamw seed=42");
        var diff = (await repo.RunOkAsync("diff", "HEAD~1", "HEAD")).Out;
        diff.Should().Contain("param     seed        42 -> (none)").And.Contain("param     batch_size  (none) -> 32");
    }

    [TestCase("{\"lr\": 1,\n \"opt\" \"adam\"}", "params file 'p.json' is not valid JSON: line 2, column 8: expected ':'")]
    [TestCase("lr=1\nadam\n", "params file 'p.json' line 2: expected name=value")]
    public async Task Commit_BadParamsFile_ExitsTwoWithLineAndColumn(string text, string expected)
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        repo.Write("p.json", text);

        var result = await repo.RunAsync("commit", "-m", "x", "--params-file", "p.json");

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: " + expected);
    }

    [Test]
    public async Task Metrics_ShowSixDigitsInTablesAndFullPrecisionInShowAndJson()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        await repo.CommitAsync("e1", "--metric", "loss=2.1469829082489014", "--metric", "tiny=1e-7");

        (await repo.RunOkAsync("log", "--oneline")).Out.Should().Contain("loss=2.14698 tiny=1e-07");
        (await repo.RunOkAsync("log")).Out.Should().Contain("Metrics: loss=2.14698 tiny=1e-07");
        (await repo.RunOkAsync("show")).Out.Should().Contain("Metrics: loss=2.1469829082489014 tiny=1e-07");
        (await repo.RunOkAsync("log", "--json")).Out.Should().Contain("\"loss\": 2.1469829082489014");
    }

    [Test]
    public async Task Json_WithNaNAndParams_IsReadByPythonJsonLoadsAsFloats()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        await repo.CommitAsync("e1", "--metric", "loss=nan", "--metric", "grad=inf", "--param", "lr=3e-4", "--param", "opt=adamw");

        var json = (await repo.RunOkAsync("log", "--json")).Out;

        var script = "import json, math, sys; c = json.loads(sys.stdin.read())[0]; "
            + "print(math.isnan(c['metrics']['loss']), c['metrics']['grad'] == float('inf'), c['params']['lr'], c['params']['opt'])";
        (await Python(script, json)).Should().Be("True True 0.0003 adamw");
    }

    [Test]
    public async Task Diff_NaNOnBothSides_IsNotAChange_ButNaNToNumberIs()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        await repo.CommitAsync("e1", "--metric", "loss=nan", "--metric", "acc=nan");
        await repo.CommitAsync("e2", "--allow-empty", "--metric", "loss=nan", "--metric", "acc=0.5");

        var diff = (await repo.RunOkAsync("diff", "HEAD~1", "HEAD")).Out;

        diff.Should().Contain("metric    acc  NaN -> 0.5  (NaN)").And.NotContain("loss");
    }

    [Test]
    public async Task Log_SortAndBest_RankByTheMetricWithNaNAndMissingLast()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        await repo.CommitAsync("a", "--metric", "val_loss=0.5", "--metric", "acc=0.7");
        await repo.CommitAsync("b", "--allow-empty", "--metric", "val_loss=nan", "--metric", "acc=0.1");
        await repo.CommitAsync("c", "--allow-empty", "--metric", "val_loss=0.2", "--metric", "acc=0.9");
        await repo.CommitAsync("d", "--allow-empty", "--metric", "acc=0.8");
        await repo.CommitAsync("e", "--allow-empty", "--metric", "val_loss=0.9");

        static List<string> Subjects(string output) =>
            [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^\S+ (?:\([^)]*\) )?(\S+)").Groups[1].Value)];

        Subjects((await repo.RunOkAsync("log", "--oneline", "--sort", "val_loss")).Out).Should().Equal("c", "a", "e", "b", "d");
        Subjects((await repo.RunOkAsync("log", "--oneline", "--sort", "val_loss", "--reverse")).Out).Should().Equal("e", "a", "c", "b", "d");
        Subjects((await repo.RunOkAsync("log", "--oneline", "--sort", "acc")).Out).Should().Equal("c", "d", "a", "b", "e");
        Subjects((await repo.RunOkAsync("log", "--oneline", "--sort", "acc", "--better", "lower")).Out).Should().Equal("b", "a", "d", "c", "e");
        Subjects((await repo.RunOkAsync("log", "--oneline", "--best", "val_loss")).Out).Should().Equal("c");
        (await repo.RunOkAsync("log", "--best", "acc")).Out.Should().StartWith("commit ").And.Contain("    c");
        Subjects((await repo.RunOkAsync("log", "--oneline", "--reverse")).Out).Should().Equal("a", "b", "c", "d", "e");

        var typo = await repo.RunAsync("log", "--best", "val_los");
        typo.ExitCode.Should().Be(2);
        typo.ErrorLines.Should().ContainSingle().Which.Should().Be("error: no commit in this history has the metric 'val_los'; did you mean 'val_loss'?");
    }

    internal static async Task<string> Python(string script, string stdin)
    {
        var result = await LmvpProcess.RunProgramAsync("/usr/bin/python3", ["-c", script], Path.GetTempPath(), stdin: stdin);
        result.ExitCode.Should().Be(0, result.ToString());
        return result.Out.Trim();
    }
}
