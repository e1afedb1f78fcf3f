using System.Text.RegularExpressions;
using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.EndToEnd;

/// <summary>A real torch training loop (Debian's python3-torch) commits every epoch through the real lmvp binary, with
/// params and metrics written by Python's json.dump; the last epoch diverges to NaN. log, diff, log --best and the
/// server's web history show it all, and the best checkpoint comes back torch.equal.</summary>
[TestFixture]
[NonParallelizable]
public sealed partial class TorchTrainingLoopTests : ServerWithAliceFixture
{
    private const string Script = """
        import json, os, subprocess, sys
        import torch

        torch.manual_seed(0)
        x = torch.randn(256, 8)
        y = x @ torch.randn(8, 1) + 0.1 * torch.randn(256, 1)
        model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
        params = {"batch_size": 32, "model": {"hidden": 16, "activation": "relu"}}
        with open("params.json", "w") as f:
            json.dump(params, f)

        # Three sensible epochs, then one with a learning rate that blows the weights up: the loss becomes NaN.
        for epoch, lr in enumerate([0.05, 0.05, 0.05, 1e20], start=1):
            opt = torch.optim.SGD(model.parameters(), lr=lr)
            for i in range(0, 256, params["batch_size"]):
                opt.zero_grad()
                loss = torch.nn.functional.mse_loss(model(x[i:i + 32]), y[i:i + 32])
                loss.backward()
                opt.step()
            with torch.no_grad():
                val_loss = torch.nn.functional.mse_loss(model(x), y).item()
            torch.save(model.state_dict(), "model.pt")
            if epoch == 3:
                torch.save(model.state_dict(), os.path.join(sys.argv[1], "epoch3.pt"))
            with open("metrics.json", "w") as f:
                json.dump({"loss": loss.item(), "val_loss": val_loss, "epoch": epoch}, f)
            subprocess.run(["lmvp", "commit", "-m", f"epoch {epoch}", "--metrics-file", "metrics.json",
                            "--params-file", "params.json", "--param", f"lr={lr}", "--param", "optimizer=sgd"], check=True)
        print(json.dumps({"last_val_loss": val_loss}))
        """;

    private const string Verify = """
        import sys, torch
        a = torch.load("model.pt")
        b = torch.load(sys.argv[1])
        print(all(torch.equal(a[k], b[k]) for k in a) and a.keys() == b.keys())
        """;

    [Test]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task TrainingLoop_RecordsParamsAndANaNLoss_ThatLogDiffBestAndTheWebHistoryShow()
    {
        var fullName = await Server.CreateRepositoryAsync(Alice.WriteToken, "mlp", isPrivate: false);
        using var machine = new ClientMachine(Alice.WriteToken);
        using var bin = new TempDirectory("torch-bin");
        using var outside = new TempDirectory("torch-copies");
        LmvpProcess.WriteShim(bin.Path);
        Directory.CreateDirectory(machine.PathOf("run"));
        await machine.LmvpOkAsync("run", "init");
        await File.WriteAllTextAsync(outside.Combine("train.py"), Script);
        var environment = new Dictionary<string, string>(machine.Environment) { ["PATH"] = bin.Path + ":" + Environment.GetEnvironmentVariable("PATH") };

        var training = await LmvpProcess.RunProgramAsync("/usr/bin/python3", [outside.Combine("train.py"), outside.Path], machine.PathOf("run"), environment);

        training.ExitCode.Should().Be(0, training.ToString());
        training.Out.Should().Contain("\"last_val_loss\": NaN", "the last epoch diverged");

        var log = (await machine.LmvpOkAsync("run", "log", "--oneline")).OutLines;
        log.Should().HaveCount(4);
        log[0].Should().Contain("epoch 4").And.Contain("val_loss=NaN");
        log.Skip(1).Should().OnlyContain(l => ValLoss().IsMatch(l));
        (await machine.LmvpOkAsync("run", "show")).Out.Should().Contain("Params:  batch_size=32 lr=1e+20 model.activation=relu model.hidden=16 optimizer=sgd");

        var diff = (await machine.LmvpOkAsync("run", "diff", "HEAD~1", "HEAD")).Out;
        diff.Should().Contain("param     lr        0.05 -> 1e+20").And.MatchRegex(@"metric    val_loss  [0-9.e-]+ -> NaN  \(NaN\)");

        var best = (await machine.LmvpOkAsync("run", "log", "--best", "val_loss", "--oneline")).OutLines;
        best.Should().ContainSingle().Which.Should().Contain("epoch 3", "the lowest finite val_loss; NaN never ranks first");
        var bestId = best[0].Split(' ')[0];
        await machine.LmvpOkAsync("run", "checkout", bestId);
        var same = await LmvpProcess.RunProgramAsync("/usr/bin/python3", ["-c", Verify, outside.Combine("epoch3.pt")], machine.PathOf("run"), environment);
        same.Out.Trim().Should().Be("True", same.ToString());
        await machine.LmvpOkAsync("run", "checkout", "main");

        await machine.LmvpOkAsync("run", "remote", "add", "origin", $"{Server.BaseUrl}/{fullName}");
        await machine.LmvpOkAsync("run", "push");
        using var site = await SiteClient.SignInAsync(Server.BaseUrl, Alice.Name, Alice.Password);
        var http = site.Http;
        var history = await http.GetStringAsync($"repos/{fullName}/history?branch=main");
        history.Should().Contain("data-param=\"lr\"").And.Contain("data-param=\"optimizer\"").And.Contain("data-param=\"model.hidden\"");
        history.Should().Contain("<td class=\"num nonfinite\">NaN</td>", "the diverged epoch's loss shows as NaN");
        var filtered = System.Net.WebUtility.HtmlDecode(await http.GetStringAsync($"repos/{fullName}/history?branch=main&param.lr=1e%2B20"));
        filtered.Should().Contain("1 with lr = 1e+20").And.Contain("epoch 4").And.NotContain("epoch 3");
        var sorted = await http.GetStringAsync($"repos/{fullName}/history?branch=main&sort=val_loss");
        sorted.IndexOf("epoch 3", StringComparison.Ordinal).Should().BeLessThan(sorted.IndexOf("epoch 4", StringComparison.Ordinal), "NaN sorts last");
        var charts = await http.GetStringAsync($"repos/{fullName}/metrics?branch=main");
        charts.Should().Contain("class=\"gap\"", "a NaN is a gap in the line, marked where it is");
    }

    [GeneratedRegex(@"val_loss=\d")]
    private static partial Regex ValLoss();
}
