using System.Text.Json;
using Lmvp.Cli.Commands;
using Lmvp.Cli.Tests.Support;
using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Commands;

public sealed class DiffCommandTests
{
    private const int ModelSize = 4 * 1024 * 1024;
    private const int MaxChunk = 256 * 1024;

    private static JsonElement FileOf(JsonDocument doc, string path) =>
        doc.RootElement.GetProperty("files").EnumerateArray().Single(f => f.GetProperty("path").GetString() == path);

    [Test]
    public async Task Diff_TwoCommits_ListsAddedModifiedAndDeletedFilesWithSizesAndASummary()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("model.bin", TestData.Random(2000, 1));
        repo.Write("old.txt", "old file");
        var first = await repo.CommitAsync("first");
        repo.Write("model.bin", TestData.Random(3000, 2));
        File.Delete(repo.PathOf("old.txt"));
        repo.Write("notes/new.txt", "brand new");
        var second = await repo.CommitAsync("second");

        var result = await repo.RunOkAsync("diff", first.ToShortString(), second.ToShortString());

        result.OutLines.Should().Equal(
            "modified  model.bin      2.0 KiB -> 2.9 KiB, 2.9 KiB differ",
            "added     notes/new.txt  9 B",
            "deleted   old.txt        8 B",
            " 3 files changed (1 added, 1 modified, 1 deleted), 2.9 KiB differing");
    }

    [Test]
    public async Task Diff_OneRegionOfAMultiChunkFileChanged_CountsOnlyTheChangedChunks()
    {
        using var repo = await CliRepository.InitAsync();
        var model = TestData.Random(ModelSize, 7);
        repo.Write("model.bin", model);
        var first = await repo.CommitAsync("first");
        TestData.Random(4096, 8).CopyTo(model, 2 * 1024 * 1024);
        repo.Write("model.bin", model);
        var second = await repo.CommitAsync("fine-tune one layer");

        using var doc = JsonDocument.Parse((await repo.RunOkAsync("diff", "--json", first.ToString(), second.ToString())).Out);

        var file = FileOf(doc, "model.bin");
        file.GetProperty("change").GetString().Should().Be("modified");
        file.GetProperty("oldSize").GetInt64().Should().Be(ModelSize);
        file.GetProperty("newSize").GetInt64().Should().Be(ModelSize);
        var differing = file.GetProperty("bytesDiffering").GetInt64();
        differing.Should().BeGreaterThanOrEqualTo(4096, "the changed bytes lie in chunks that differ");
        differing.Should().BeLessThanOrEqualTo(3 * MaxChunk, "a 4 KiB in-place change touches at most the chunks around it, not the whole 4 MiB");
        doc.RootElement.GetProperty("summary").GetProperty("bytesDiffering").GetInt64().Should().Be(differing);
        doc.RootElement.GetProperty("summary").GetProperty("filesChanged").GetInt32().Should().Be(1);
    }

    [Test]
    public async Task Diff_OneRegionChangedInTheWorkingTree_CountsOnlyTheChangedChunks()
    {
        using var repo = await CliRepository.InitAsync();
        var model = TestData.Random(ModelSize, 7);
        repo.Write("model.bin", model);
        await repo.CommitAsync("first");
        TestData.Random(4096, 8).CopyTo(model, 1024 * 1024);
        repo.Write("model.bin", model);

        using var doc = JsonDocument.Parse((await repo.RunOkAsync("diff", "--json")).Out);

        doc.RootElement.GetProperty("to").ValueKind.Should().Be(JsonValueKind.Null);
        var differing = FileOf(doc, "model.bin").GetProperty("bytesDiffering").GetInt64();
        differing.Should().BeInRange(4096, 3 * MaxChunk);
    }

    [Test]
    public async Task Diff_TwoCommits_ShowsMetricDeltas()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("model.bin", "1");
        var first = await repo.CommitAsync("first", "--metric", "loss=0.5", "--metric", "acc=0.8", "--metric", "old=1");
        repo.Write("model.bin", "2");
        var second = await repo.CommitAsync("second", "--metric", "loss=0.41", "--metric", "acc=0.8", "--metric", "new=2.5");

        var text = await repo.RunOkAsync("diff", $"{first.ToShortString()}..{second.ToShortString()}");
        using var doc = JsonDocument.Parse((await repo.RunOkAsync("diff", "--json", "HEAD~1", "HEAD")).Out);

        text.OutLines.Should().Equal(
            "modified  model.bin  1 B -> 1 B, 1 B differ",
            "",
            "metric    loss  0.5 -> 0.41  (-0.09)",
            "metric    new   (none) -> 2.5",
            "metric    old   1 -> (none)",
            " 1 file changed (1 modified), 1 B differing");
        var metrics = doc.RootElement.GetProperty("metrics").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        metrics.Keys.Should().BeEquivalentTo("loss", "new", "old");
        metrics["loss"].GetProperty("old").GetDouble().Should().Be(0.5);
        metrics["loss"].GetProperty("new").GetDouble().Should().Be(0.41);
        metrics["loss"].GetProperty("delta").GetDouble().Should().BeApproximately(-0.09, 1e-12);
        metrics["new"].GetProperty("old").ValueKind.Should().Be(JsonValueKind.Null);
        metrics["new"].GetProperty("delta").ValueKind.Should().Be(JsonValueKind.Null);
    }

    [Test]
    public async Task Diff_NoRevision_ComparesHeadWithTheWorkingTree()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "aaaa");
        repo.Write("b.txt", "bbbb");
        await repo.CommitAsync("first", "--metric", "loss=1");
        repo.Write("a.txt", "AAAAAA");
        File.Delete(repo.PathOf("b.txt"));
        repo.Write("c.txt", "c");

        var result = await repo.RunOkAsync("diff");

        result.OutLines.Should().Equal(
            "modified  a.txt  4 B -> 6 B, 6 B differ",
            "deleted   b.txt  4 B",
            "added     c.txt  1 B",
            " 3 files changed (1 added, 1 modified, 1 deleted), 11 B differing");
    }

    [Test]
    public async Task Diff_OneRevision_ComparesThatCommitWithTheWorkingTree()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "v1");
        var first = await repo.CommitAsync("first");
        repo.Write("a.txt", "v2");
        await repo.CommitAsync("second");

        (await repo.RunOkAsync("diff")).Out.Should().BeEmpty("the working tree matches HEAD");
        (await repo.RunOkAsync("diff", first.ToShortString())).OutLines[0].Should().Be("modified  a.txt  2 B -> 2 B, 2 B differ");
    }

    [Test]
    public async Task Diff_ExecutableBitOnly_IsModifiedWithZeroBytesDiffering()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("run.sh", "echo hi");
        await repo.CommitAsync("first");
        FileModes.MakeExecutable(repo.PathOf("run.sh"));

        (await repo.RunOkAsync("diff")).OutLines[0].Should().Be("modified  run.sh  7 B -> 7 B, 0 B differ");
    }

    [Test]
    public async Task Diff_ThreeRevisions_IsAUsageError()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "v1");
        await repo.CommitAsync("first");

        var result = await repo.RunAsync("diff", "HEAD", "HEAD", "HEAD");

        result.ExitCode.Should().Be(2);
        result.ErrorLines[0].Should().StartWith("error: ");
    }

    [TestCase("nope")]
    [TestCase("HEAD..nope")]
    [TestCase("HEAD~5")]
    public async Task Diff_UnknownRevision_ExitsOneWithOneLine(string revision)
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "v1");
        await repo.CommitAsync("first");

        var result = await repo.RunAsync("diff", revision);

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: ");
    }

    [Test]
    public void SplitRevisions_MapsArgumentsToEnds()
    {
        DiffCommand.SplitRevisions([]).Should().Be(("HEAD", (string?)null));
        DiffCommand.SplitRevisions(["v1"]).Should().Be(("v1", (string?)null));
        DiffCommand.SplitRevisions(["v1", "v2"]).Should().Be(("v1", "v2"));
        DiffCommand.SplitRevisions(["v1..v2"]).Should().Be(("v1", "v2"));
        DiffCommand.SplitRevisions(["v1.."]).Should().Be(("v1", "HEAD"));
    }
}
