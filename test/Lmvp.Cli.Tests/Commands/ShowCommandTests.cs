using System.Text.Json;
using Lmvp.Cli.Tests.Support;
using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Commands;

public sealed class ShowCommandTests
{
    private static async Task<(CliRepository Repo, ObjectId First, ObjectId Second)> TwoCommitsAsync()
    {
        var repo = await CliRepository.InitAsync();
        repo.Write("model.bin", TestData.Random(2048, 1));
        var first = await repo.CommitAsync("first");
        repo.Write("model.bin", TestData.Random(3 * 1024 * 1024, 2));
        repo.Write("run.sh", "#!/bin/sh\necho train\n");
        FileModes.MakeExecutable(repo.PathOf("run.sh"));
        repo.Write("dir with space/ünï.txt", "");
        File.CreateSymbolicLink(repo.PathOf("latest"), "model.bin");
        var second = await repo.CommitAsync("second\n\nbody line", "--metric", "loss=0.25", "--metric", "acc=0.875");
        return (repo, first, second);
    }

    [Test]
    public async Task Show_Head_PrintsMetadataMessageAndFilesWithModesAndSizes()
    {
        var (repo, first, second) = await TwoCommitsAsync();
        using var _ = repo;

        var result = await repo.RunOkAsync("show");

        result.OutLines.Should().StartWith([
            $"commit {second} (HEAD -> main)",
            $"Parent:  {first.ToShortString()}",
            $"Author:  {CliRepository.Author}",
        ]);
        result.OutLines[3].Should().MatchRegex(@"^Date:    \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$");
        result.OutLines.Skip(4).Should().Equal(
            "Metrics: acc=0.875 loss=0.25",
            "",
            "    second",
            "    ",
            "    body line",
            "",
            "4 files, 3.0 MiB",
            "  100644      0 B  dir with space/ünï.txt",
            "  120000      9 B  latest -> model.bin",
            "  100644  3.0 MiB  model.bin",
            "  100755     21 B  run.sh");
    }

    [Test]
    public async Task Show_RootCommit_HasNoParentLine()
    {
        var (repo, first, _) = await TwoCommitsAsync();
        using var __ = repo;

        var result = await repo.RunOkAsync("show", first.ToString());

        result.OutLines[0].Should().Be($"commit {first}");
        result.OutLines[1].Should().StartWith("Author:");
        result.OutLines.Should().Contain("  100644  2.0 KiB  model.bin");
    }

    [Test]
    public async Task Show_Json_ListsCommitAndFilesWithKindsSizesIdsAndTargets()
    {
        var (repo, first, second) = await TwoCommitsAsync();
        using var _ = repo;

        using var doc = JsonDocument.Parse((await repo.RunOkAsync("show", "--json")).Out);

        var commit = doc.RootElement.GetProperty("commit");
        commit.GetProperty("id").GetString().Should().Be(second.ToString());
        commit.GetProperty("parents").EnumerateArray().Select(p => p.GetString()).Should().Equal(first.ToString());
        commit.GetProperty("message").GetString().Should().Be("second\n\nbody line");
        commit.GetProperty("metrics").GetProperty("acc").GetDouble().Should().Be(0.875);
        var files = doc.RootElement.GetProperty("files").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!);
        files.Keys.Should().Equal("dir with space/ünï.txt", "latest", "model.bin", "run.sh");
        files["model.bin"].GetProperty("size").GetInt64().Should().Be(3 * 1024 * 1024);
        files["model.bin"].GetProperty("kind").GetString().Should().Be("file");
        files["run.sh"].GetProperty("executable").GetBoolean().Should().BeTrue();
        files["model.bin"].GetProperty("executable").GetBoolean().Should().BeFalse();
        files["latest"].GetProperty("kind").GetString().Should().Be("symlink");
        files["latest"].GetProperty("target").GetString().Should().Be("model.bin");
        files["model.bin"].GetProperty("id").GetString().Should().HaveLength(64);
        doc.RootElement.GetProperty("totalSize").GetInt64().Should().Be((3 * 1024 * 1024) + 9 + 21);
    }

    [Test]
    public async Task Show_ShortIdsHeadTildeAndCaret_ResolveToTheRightCommits()
    {
        var (repo, first, second) = await TwoCommitsAsync();
        using var _ = repo;
        async Task<string> ShownId(string revision)
        {
            using var doc = JsonDocument.Parse((await repo.RunOkAsync("show", "--json", revision)).Out);
            return doc.RootElement.GetProperty("commit").GetProperty("id").GetString()!;
        }

        (await ShownId(first.ToString()[..4])).Should().Be(first.ToString());
        (await ShownId(first.ToString()[..10].ToUpperInvariant())).Should().Be(first.ToString());
        (await ShownId(second.ToShortString())).Should().Be(second.ToString());
        (await ShownId("HEAD~1")).Should().Be(first.ToString());
        (await ShownId("HEAD^")).Should().Be(first.ToString());
        (await ShownId("main~0")).Should().Be(second.ToString());
        (await ShownId("@")).Should().Be(second.ToString());
    }

    [TestCase("nope")]
    [TestCase("HEAD~2")]
    [TestCase("abc")]
    [TestCase("0000000000")]
    public async Task Show_UnknownRevision_ExitsOneWithOneLine(string revision)
    {
        var (repo, _, _) = await TwoCommitsAsync();
        using var __ = repo;

        var result = await repo.RunAsync("show", revision);

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: ").And.Contain(revision);
        result.Out.Should().BeEmpty();
    }

    [Test]
    public async Task Show_NoCommitsYet_ExitsOne()
    {
        using var repo = await CliRepository.InitAsync();

        var result = await repo.RunAsync("show");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Contain("first commit");
    }
}
