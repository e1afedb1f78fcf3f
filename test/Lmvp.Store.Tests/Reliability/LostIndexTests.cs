using Lmvp.Testing;

namespace Lmvp.Store.Tests.Reliability;

/// <summary>lmvp.db deleted or damaged with the packs intact, recovered through the real <c>lmvp</c> program.</summary>
public sealed class LostIndexTests
{
    private static async Task<ObjectId> CommitAsync(TempDirectory dir, string message)
    {
        var run = await LmvpProcess.RunAsync(dir.Path, "commit", "-m", message);
        run.ExitCode.Should().Be(0, run.ToString());
        using var repository = Repository.Open(dir.Path);
        return repository.Head!.Value;
    }

    private static async Task RunOkAsync(TempDirectory dir, params string[] args)
    {
        var run = await LmvpProcess.RunAsync(dir.Path, args);
        run.ExitCode.Should().Be(0, $"lmvp {string.Join(' ', args)}: {run}");
    }

    [Test]
    public async Task DatabaseDeleted_FsckRebuildIndex_RecoversEveryFileAndTheHistoryAndSaysHowRefsWereRepointed()
    {
        using var dir = new TempDirectory("lost-db");
        await RunOkAsync(dir, "init");
        dir.WriteFile("model.bin", TestData.Random(1_200_000, 1));
        dir.WriteFile("metrics.txt", "loss 0.9"u8.ToArray());
        var one = await CommitAsync(dir, "epoch 1");
        dir.WriteFile("model.bin", TestData.Random(1_200_000, 2));
        var two = await CommitAsync(dir, "epoch 2");
        await RunOkAsync(dir, "checkout", "-b", "experiment");
        var experimentModel = TestData.Random(1_200_000, 3);
        dir.WriteFile("model.bin", experimentModel);
        dir.WriteFile("extra/head.bin", TestData.Random(200_000, 4));
        var experiment = await CommitAsync(dir, "try a new head");
        await RunOkAsync(dir, "checkout", "main");
        var mainModel = TestData.Random(1_200_000, 5);
        dir.WriteFile("model.bin", mainModel);
        var three = await CommitAsync(dir, "epoch 3");
        foreach (var f in Directory.GetFiles(dir.Combine(Repository.DirectoryName), "lmvp.db*"))
        {
            File.Delete(f);
        }

        var rebuild = await LmvpProcess.RunAsync(dir.Path, "fsck", "--rebuild-index");

        rebuild.ExitCode.Should().Be(0, rebuild.ToString());
        rebuild.OutLines[0].Should().MatchRegex(@"^rebuilt the index from 4 packs: \d+ chunks, 4 commits, \d+ trees, \d+ files$");
        rebuild.OutLines.Should().Contain($"pointed main -> {three.ToShortString()} (the newest commit that no other commit has as parent)");
        rebuild.OutLines.Should().Contain($"created branch recovered-{experiment.ToShortString()} -> {experiment.ToShortString()} (another line of history no ref reached)");
        rebuild.OutLines[^1].Should().EndWith(": ok");

        var log = await LmvpProcess.RunAsync(dir.Path, "log", "--oneline");
        log.ExitCode.Should().Be(0, log.ToString());
        log.OutLines.Select(l => l.Split(' ')[0]).Should().Equal(three.ToShortString(), two.ToShortString(), one.ToShortString());
        log.OutLines[0].Should().EndWith("epoch 3");

        File.Delete(dir.Combine("model.bin"));
        await RunOkAsync(dir, "checkout", "--force", "recovered-" + experiment.ToShortString());
        File.ReadAllBytes(dir.Combine("model.bin")).Should().Equal(experimentModel);
        File.ReadAllBytes(dir.Combine("extra", "head.bin")).Should().Equal(TestData.Random(200_000, 4));
        await RunOkAsync(dir, "checkout", "main");
        File.ReadAllBytes(dir.Combine("model.bin")).Should().Equal(mainModel);
        File.Exists(dir.Combine("extra", "head.bin")).Should().BeFalse();
        (await LmvpProcess.RunAsync(dir.Path, "fsck")).ExitCode.Should().Be(0);
    }

    [Test]
    public async Task DatabaseDamaged_FsckSaysHowToRecover_AndRebuildIndexMovesItAside()
    {
        using var dir = new TempDirectory("bad-db");
        await RunOkAsync(dir, "init");
        dir.WriteFile("model.bin", TestData.Random(500_000, 1));
        var one = await CommitAsync(dir, "one");
        var dbPath = dir.Combine(Repository.DirectoryName, "lmvp.db");
        File.WriteAllBytes(dbPath, TestData.Random(100_000, 2));

        var fsck = await LmvpProcess.RunAsync(dir.Path, "fsck");
        fsck.ExitCode.Should().Be(1);
        fsck.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: ").And.EndWith("run 'lmvp fsck --rebuild-index' to rebuild it from the packs.");

        var rebuild = await LmvpProcess.RunAsync(dir.Path, "fsck", "--rebuild-index");

        rebuild.ExitCode.Should().Be(0, rebuild.ToString());
        var aside = Directory.GetFiles(dir.Combine(Repository.DirectoryName), "lmvp.db.corrupt-*").Should().ContainSingle().Subject;
        File.ReadAllBytes(aside).Should().Equal(TestData.Random(100_000, 2));
        rebuild.OutLines.Should().Contain(l => l.StartsWith("note: the index was damaged (", StringComparison.Ordinal) && l.EndsWith(Path.GetFileName(aside), StringComparison.Ordinal));
        rebuild.OutLines.Should().Contain($"pointed main -> {one.ToShortString()} (the newest commit that no other commit has as parent)");
        var status = await LmvpProcess.RunAsync(dir.Path, "status");
        status.ExitCode.Should().Be(0, status.ToString());
    }
}
