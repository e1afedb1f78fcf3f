using System.Diagnostics;
using Lmvp.Store;

namespace Lmvp.Bench.Scenarios;

/// <summary><c>lmvp diff A B --tensors</c> of two large torch checkpoints (issue 9's target: under 1 s for 2 GiB each): read from
/// the file headers and the chunk ids, never the tensor bytes.</summary>
internal static class TensorDiffScenarios
{
    private const double TargetMilliseconds = 1000;

    public static void TwoCheckpoints(ScenarioContext context)
    {
        var size = context.Sizes.FileBytes;
        var label = ScenarioContext.Size(size);
        var work = Path.Combine(context.Directory, "train");
        var next = Path.Combine(context.Directory, "next");
        Directory.CreateDirectory(work);
        Directory.CreateDirectory(next);
        const int tensors = 256;
        var floats = size / 4 / tensors;
        context.Log($"writing two {label} torch.save checkpoints ({tensors} tensors; the second changes 16 of them)");
        ModelScenarios.Run("/usr/bin/python3", "-c", $$"""
            import torch
            torch.manual_seed(1)
            sd = {f"layers.{i}.weight": torch.randn({{floats}}) * 0.02 for i in range({{tensors}})}
            torch.save(sd, "{{work}}/model.pt")
            for i in range(0, {{tensors}}, {{tensors / 16}}):
                sd[f"layers.{i}.weight"] += 0.001
            torch.save(sd, "{{next}}/model.pt")
            """);

        context.Cli.Run(work, "init").EnsureSuccess("init");
        context.Cli.Run(work, "commit", "-m", "epoch 1").EnsureSuccess("commit");
        File.Move(Path.Combine(next, "model.pt"), Path.Combine(work, "model.pt"), overwrite: true);
        var second = context.Cli.Run(work, "commit", "-m", "epoch 2").EnsureSuccess("commit");
        context.Note($"second commit: {second.Output.Trim().Split('\n')[^1].Trim()}");

        using (var repository = Repository.Open(work))
        {
            var samples = new List<double>();
            for (var i = 0; i < 5; i++)
            {
                var clock = Stopwatch.StartNew();
                var diff = repository.DiffTensors("HEAD~1", "HEAD").Tensors!.Single();
                samples.Add(clock.Elapsed.TotalMilliseconds);
                if (diff.Count(TensorChange.Changed) != 16 || diff.Count(TensorChange.Unchanged) != tensors - 16)
                {
                    throw new InvalidOperationException($"expected 16 changed tensors, found {diff.Count(TensorChange.Changed)}");
                }
            }

            context.Add($"Repository.DiffTensors of two {label} checkpoints, in-process (median of 5)", ScenarioContext.Median(samples), "ms",
                Goal.Max(TargetMilliseconds), note: $"first {samples[0]:0.0} ms; 16 of {tensors} tensors changed", samples: samples);
        }

        var runs = new List<CliRun>();
        for (var i = 0; i < 3; i++)
        {
            runs.Add(context.Cli.Run(work, "diff", "HEAD~1", "HEAD", "--tensors").EnsureSuccess("diff --tensors"));
        }

        var walls = runs.Select(r => r.Elapsed.TotalMilliseconds).ToList();
        context.Add($"`lmvp diff HEAD~1 HEAD --tensors` of two {label} checkpoints, lmvp binary (wall time incl. process start; median of 3)", ScenarioContext.Median(walls),
            "ms", Goal.Max(TargetMilliseconds), note: runs[^1].DescribeCpu(), samples: walls);
        var show = context.Cli.Run(work, "show", "HEAD", "--", "model.pt", "--tensors").EnsureSuccess("show --tensors");
        context.Add($"`lmvp show HEAD -- model.pt --tensors` of a {label} checkpoint, lmvp binary (for reference)", show.Elapsed.TotalMilliseconds, "ms",
            note: show.DescribeCpu());
        context.AddPeakMemory("peak RSS of lmvp diff --tensors", runs.Max(r => r.PeakRss));
    }
}
