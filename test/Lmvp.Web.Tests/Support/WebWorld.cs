using System.Globalization;
using System.Security.Cryptography;
using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Web.Tests.Support;

/// <summary>One epoch of the training run in <see cref="WebWorld"/>: its commit and what it holds.</summary>
internal sealed record Epoch(int Number, ObjectId Commit, double Loss, double ValLoss, double Accuracy, byte[] Model);

/// <summary>The data every browser test reads: a real lmvp-server with users, and repositories pushed by the real CLI.</summary>
/// <remarks>
/// <c>alice/resnet</c> (private): eight epochs of a training run in a git work tree (so commits carry provenance), each
/// rewriting a 96 KiB stretch of a 1 MiB checkpoint, with loss, val_loss and accuracy; val_loss is lowest at epoch 6.
/// Tag v1.0 marks epoch 5. <c>alice/sweep</c> (private) is a run and a branch of it for comparing runs (<see cref="SweepRun"/>).
/// <c>alice/hostile</c> (private): a file named like markup, a commit message and metric
/// names with script in them, and a hostile model card. <c>alice/llm</c> (private): model files of every format (a real
/// torch.save checkpoint, safetensors with a tensor named like markup, ONNX, GGUF), then a commit that changes a tensor of
/// each. <c>bob</c> starts with access to none of them.
/// </remarks>
internal sealed class WebWorld : IAsyncDisposable
{
    public const int Epochs = 8;
    public const int ModelSize = 1024 * 1024;
    public const int BestValLossEpoch = 6;
    public const string HostileFileName = "<img src=x onerror=alert(1)>.bin";
    public const string HostileMessage = "<script>alert('message')</script> epoch <b>bold</b>";
    public const string HostileMetric = "<script>alert(2)</script>";

    /// <summary>A param value that would run script if a page wrote it unencoded (the hostile commit's param is named <see cref="HostileMetric"/>).</summary>
    public const string HostileParamValue = "<img src=x onerror=alert(3)>";

    /// <summary>The first epoch trained with lr 0.0005 (the ones before used 0.001).</summary>
    public const int LowerLrFrom = 5;
    public const string HostileAttributeMetric = "x\" onmouseover=\"alert(3)";

    public const string HostileModelCard = """
        # Model card <script>alert('card')</script>

        <img src="x" onerror="alert('img')">

        [click me](javascript:alert('link')) and <a href="javascript:alert('a')">raw link</a>

        <iframe src="javascript:alert('frame')"></iframe>
        <div onmouseover="alert('div')" style="background:url(javascript:alert('css'))">hover</div>
        <svg><script>alert('svg')</script></svg>
        <form action="https://evil.example/"><button>Win</button></form>

        | metric | value |
        |---|---|
        | accuracy | 0.93 |

        See [the config](config/hparams.json).
        """;

    private readonly TempDirectory _root = new("web-world");

    private WebWorld(TestServer server)
    {
        Server = server;
    }

    public TestServer Server { get; }

    public TestUser Alice { get; private set; } = null!;

    public TestUser Bob { get; private set; } = null!;

    public string BaseUrl => Server.BaseUrl;

    public IReadOnlyList<Epoch> Runs { get; private set; } = [];

    public ObjectId HostileCommit { get; private set; }

    /// <summary>The commits of <c>alice/sweep</c> (<see cref="SweepRun"/>): main's first, then the branch's own.</summary>
    public IReadOnlyList<SweepCommit> Sweep { get; private set; } = [];

    /// <summary>Commit <paramref name="number"/> of <paramref name="branch"/> in <c>alice/sweep</c> (the branch shares main's first commits).</summary>
    public SweepCommit SweepAt(string branch, int number) =>
        Sweep.First(c => c.Number == number && (c.Branch == branch || (number <= SweepRun.ForkAfter && c.Branch == "main")));
    /// <summary>The two commits of alice/llm: model files of every format, then a fine-tune that changed one tensor of each.</summary>
    public (ObjectId First, ObjectId Second) ModelCommits { get; private set; }

    /// <summary>A tensor name that is markup, in alice/llm's safetensors file.</summary>
    public const string HostileTensor = "<img src=x onerror=alert(4)>.weight";

    public string TrainingDirectory => _root.Combine("resnet");

    public Epoch EpochAt(int number) => Runs[number - 1];

    public static async Task<WebWorld> CreateAsync()
    {
        var server = await TestServer.StartAsync();
        var world = new WebWorld(server);
        try
        {
            await world.PopulateAsync();
            return world;
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
    }

    public static double ValLossOf(int epoch) => epoch <= BestValLossEpoch ? 0.9 - (0.1 * epoch) : 0.3 + (0.05 * (epoch - BestValLossEpoch)) + 0.001;

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        _root.Dispose();
    }

    private async Task PopulateAsync()
    {
        Alice = await Server.CreateUserAsync("alice");
        Bob = await Server.CreateUserAsync("bob");
        await Server.CreateRepositoryAsync(Alice.WriteToken, "resnet", isPrivate: true);
        await Server.CreateRepositoryAsync(Alice.WriteToken, "hostile", isPrivate: true);
        await Server.CreateRepositoryAsync(Alice.WriteToken, SweepRun.Repository, isPrivate: true);
        await Server.CreateRepositoryAsync(Alice.WriteToken, "llm", isPrivate: true);
        await Task.WhenAll(PushTrainingRunAsync(), PushHostileAsync(), PushSweepAsync(), PushModelsAsync());
    }

    private async Task PushTrainingRunAsync()
    {
        var dir = Directory.CreateDirectory(TrainingDirectory).FullName;
        File.WriteAllText(Path.Combine(dir, "train.py"), "print('training')\n");
        File.WriteAllText(Path.Combine(dir, ".gitignore"), "ckpt/\n.lmvp/\n.lmvp-test-config/\n");
        CommitTrainingCode(dir);
        await LmvpCli.RunOkAsync(dir, null, "init");
        Directory.CreateDirectory(Path.Combine(dir, "ckpt"));
        Directory.CreateDirectory(Path.Combine(dir, "config"));
        File.WriteAllText(Path.Combine(dir, "config", "hparams.json"), "{\"lr\": 0.001, \"batch\": 64}\n");
        File.WriteAllText(Path.Combine(dir, "README.md"), """
            # ResNet-50 on flowers

            Fine-tuned from ImageNet weights on **102 flower species**.

            | split | images |
            |---|---|
            | train | 6,149 |
            | val | 1,020 |

            Hyperparameters: [config/hparams.json](config/hparams.json).
            """);

        var random = new Random(20240601);
        var model = new byte[ModelSize];
        random.NextBytes(model);
        var runs = new List<Epoch>();
        for (var e = 1; e <= Epochs; e++)
        {
            // Each epoch rewrites one 96 KiB stretch of the checkpoint, as fine-tuning a few layers does.
            random.NextBytes(model.AsSpan(64 * 1024 * (e + 2), 96 * 1024));
            await File.WriteAllBytesAsync(Path.Combine(dir, "ckpt", "model.bin"), model);
            File.WriteAllText(Path.Combine(dir, "ckpt", "state.txt"), $"epoch {e}\n");
            var loss = Math.Round(1.0 / e, 4);
            var valLoss = Math.Round(ValLossOf(e), 4);
            var accuracy = Math.Round(0.5 + (0.05 * e), 4);
            await LmvpCli.RunOkAsync(dir, null, "commit", "-m", $"epoch {e}\n\nlr 0.001, batch 64", "--author", "Trainer <trainer@example.com>",
                "--metric", Metric("loss", loss), "--metric", Metric("val_loss", valLoss), "--metric", Metric("accuracy", accuracy),
                "--param", $"lr={(e <= LowerLrFrom - 1 ? "0.001" : "0.0005")}", "--param", "optimizer=sgd");
            runs.Add(new Epoch(e, ObjectId.Zero, loss, valLoss, accuracy, [.. model]));
            if (e == 5)
            {
                await LmvpCli.RunOkAsync(dir, null, "tag", "v1.0");
            }
        }

        await LmvpCli.RunOkAsync(dir, null, "remote", "add", "origin", $"{BaseUrl}/alice/resnet");
        await LmvpCli.RunOkAsync(dir, Alice.WriteToken, "push", "origin", "main", "--tags");

        using var repository = Repository.Open(dir);
        var log = repository.Log("main").Reverse().ToList();
        log.Should().HaveCount(Epochs);
        Runs = [.. runs.Select((r, i) => r with { Commit = log[i].Id })];
    }

    private async Task PushSweepAsync() =>
        Sweep = await SweepRun.PushAsync(_root.Combine(SweepRun.Repository), $"{BaseUrl}/alice/{SweepRun.Repository}", Alice.WriteToken, _root.Path);

    private async Task PushHostileAsync()
    {
        var dir = Directory.CreateDirectory(_root.Combine("hostile")).FullName;
        await LmvpCli.RunOkAsync(dir, null, "init");
        await File.WriteAllBytesAsync(Path.Combine(dir, HostileFileName), RandomNumberGenerator.GetBytes(4096));
        File.WriteAllText(Path.Combine(dir, "README.md"), HostileModelCard);
        var metricsFile = _root.Combine("hostile-metrics.json");
        File.WriteAllText(metricsFile, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, double>
        {
            [HostileMetric] = 1.5,
            [HostileAttributeMetric] = 2.5,
        }));
        await LmvpCli.RunOkAsync(dir, null, "commit", "-m", "first", "--author", "Mallory <m@example.com>", "--metrics-file", metricsFile);
        File.WriteAllText(Path.Combine(dir, "notes.txt"), "second\n");
        await LmvpCli.RunOkAsync(dir, null, "commit", "-m", HostileMessage, "--author", "<script>alert('author')</script>", "--metrics-file", metricsFile,
            "--param", $"{HostileMetric}={HostileParamValue}");
        await LmvpCli.RunOkAsync(dir, null, "remote", "add", "origin", $"{BaseUrl}/alice/hostile");
        await LmvpCli.RunOkAsync(dir, Alice.WriteToken, "push", "origin", "main");
        using var repository = Repository.Open(dir);
        HostileCommit = repository.Log("main").First().Id;
    }

    /// <summary>alice/llm: a real torch.save checkpoint, safetensors, ONNX and GGUF files; the second commit changes one tensor of each.</summary>
    private async Task PushModelsAsync()
    {
        var dir = Directory.CreateDirectory(_root.Combine("llm")).FullName;
        await LmvpCli.RunOkAsync(dir, null, "init");
        Torch.Run(dir, """
            sd = {"embed.weight": torch.randn(128, 64), "head.weight": torch.randn(32, 64), "head.bias": torch.zeros(32)}
            torch.save(sd, "model.pt")
            sd["head.bias"] = torch.ones(32)
            torch.save(sd, "../llm-e2.pt")
            """);
        void WriteOthers(int seed)
        {
            File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), ModelFiles.Safetensors(
            [
                new TestTensor("encoder.weight", "F32", [64, 64], ModelFiles.NormalFloats(64 * 64, 1)),
                new TestTensor(HostileTensor, "BF16", [64], ModelFiles.ToBFloat16(ModelFiles.NormalFloats(64, seed))),
            ]));
            File.WriteAllBytes(Path.Combine(dir, "model.onnx"), ModelFiles.Onnx([("fc.weight", 1, [16, 8], ModelFiles.NormalFloats(128, seed))]));
            File.WriteAllBytes(Path.Combine(dir, "model.gguf"), ModelFiles.Gguf([("token_embd.weight", 0, [64, 16], ModelFiles.NormalFloats(1024, 7)),
                ("blk.0.attn_q.weight", 8, [64, 2], new byte[34 * 4])]));
        }

        WriteOthers(2);
        await LmvpCli.RunOkAsync(dir, null, "commit", "-m", "pretrained", "--author", "Trainer <trainer@example.com>");
        File.Move(_root.Combine("llm-e2.pt"), Path.Combine(dir, "model.pt"), overwrite: true);
        WriteOthers(3);
        await LmvpCli.RunOkAsync(dir, null, "commit", "-m", "fine-tuned", "--author", "Trainer <trainer@example.com>");
        await LmvpCli.RunOkAsync(dir, null, "remote", "add", "origin", $"{BaseUrl}/alice/llm");
        await LmvpCli.RunOkAsync(dir, Alice.WriteToken, "push", "origin", "main");
        using var repository = Repository.Open(dir);
        var log = repository.Log("main").ToList();
        ModelCommits = (log[1].Id, log[0].Id);
    }

    /// <summary>Makes the training directory a git work tree on branch main with one commit, as a real training repository is.</summary>
    private static void CommitTrainingCode(string directory)
    {
        LibGit2Sharp.Repository.Init(directory);

        // An unborn HEAD is only a file naming its branch; whatever init.defaultBranch says, the training code is on main.
        File.WriteAllText(Path.Combine(directory, ".git", "HEAD"), "ref: refs/heads/main\n");
        using var git = new LibGit2Sharp.Repository(directory);
        LibGit2Sharp.Commands.Stage(git, "*");
        var author = new LibGit2Sharp.Signature("Trainer", "trainer@example.com", DateTimeOffset.UtcNow);
        git.Commit("training script", author, author, new LibGit2Sharp.CommitOptions());
    }

    private static string Metric(string name, double value) => name + "=" + value.ToString("R", CultureInfo.InvariantCulture);
}
