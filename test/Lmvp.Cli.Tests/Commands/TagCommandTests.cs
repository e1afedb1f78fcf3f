using System.Text.Json;
using Lmvp.Cli.Tests.Support;
using Lmvp.Store;

namespace Lmvp.Cli.Tests.Commands;

public sealed class TagCommandTests
{
    private static async Task<(CliRepository Repo, ObjectId First, ObjectId Second)> TwoCommitsAsync()
    {
        var repo = await CliRepository.InitAsync();
        repo.Write("model.bin", "1");
        var first = await repo.CommitAsync("first", "--metric", "acc=0.7");
        repo.Write("model.bin", "2");
        var second = await repo.CommitAsync("second", "--metric", "acc=0.8");
        return (repo, first, second);
    }

    [Test]
    public async Task Tag_CreateAndList_ShowsNamesIdsAndSubjects()
    {
        var (repo, first, second) = await TwoCommitsAsync();
        using var _ = repo;

        (await repo.RunOkAsync("tag", "release-1")).Out.Should().BeEmpty();
        await repo.RunOkAsync("tag", "baseline", "HEAD~1");

        (await repo.RunOkAsync("tag")).OutLines.Should().Equal(
            $"baseline   {first.ToShortString()} first",
            $"release-1  {second.ToShortString()} second");
        (await repo.RunOkAsync("tag", "-v")).OutLines.Should().Equal(
            $"baseline   {first.ToShortString()} first  [acc=0.7]",
            $"release-1  {second.ToShortString()} second  [acc=0.8]");
    }

    [Test]
    public async Task Tag_Json_ListsNamesAndIds()
    {
        var (repo, first, _) = await TwoCommitsAsync();
        using var __ = repo;
        await repo.RunOkAsync("tag", "v1", first.ToShortString());

        using var doc = JsonDocument.Parse((await repo.RunOkAsync("tag", "--json")).Out);

        var tag = doc.RootElement.EnumerateArray().Should().ContainSingle().Subject;
        tag.GetProperty("name").GetString().Should().Be("v1");
        tag.GetProperty("id").GetString().Should().Be(first.ToString());
        tag.GetProperty("metrics").GetProperty("acc").GetDouble().Should().Be(0.7);
    }

    [Test]
    public async Task Tag_NoTags_ListsNothing()
    {
        var (repo, _, _) = await TwoCommitsAsync();
        using var __ = repo;

        (await repo.RunOkAsync("tag")).Out.Should().BeEmpty();
    }

    [Test]
    public async Task Tag_Existing_ExitsOneUnlessForcedThenMoves()
    {
        var (repo, first, second) = await TwoCommitsAsync();
        using var _ = repo;
        await repo.RunOkAsync("tag", "best", first.ToShortString());

        var refused = await repo.RunAsync("tag", "best");
        refused.ExitCode.Should().Be(1);
        refused.ErrorLines.Should().ContainSingle().Which.Should().Be("error: A tag named 'best' already exists.");

        var moved = await repo.RunOkAsync("tag", "-f", "best");
        moved.OutLines.Should().Equal($"Updated tag 'best' (was {first.ToShortString()})");
        using var store = Repository.Open(repo.Root);
        store.ResolveCommit("best").Should().Be(second);
    }

    [Test]
    public async Task Tag_Delete_RemovesItAndSaysWhereItWas()
    {
        var (repo, first, _) = await TwoCommitsAsync();
        using var __ = repo;
        await repo.RunOkAsync("tag", "a", first.ToShortString());
        await repo.RunOkAsync("tag", "b");

        var result = await repo.RunOkAsync("tag", "-d", "a", "b");

        result.OutLines.Should().HaveCount(2).And.HaveElementAt(0, $"Deleted tag 'a' (was {first.ToShortString()})");
        (await repo.RunOkAsync("tag")).Out.Should().BeEmpty();
        (await repo.RunAsync("show", "a")).ExitCode.Should().Be(1);
    }

    [Test]
    public async Task Tag_DeleteMissing_ExitsOne()
    {
        var (repo, _, _) = await TwoCommitsAsync();
        using var __ = repo;

        var result = await repo.RunAsync("tag", "-d", "ghost");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be("error: Tag 'ghost' not found.");
    }

    [Test]
    public async Task Tag_ResolvesAsARevisionWithAncestry()
    {
        var (repo, first, _) = await TwoCommitsAsync();
        using var __ = repo;
        await repo.RunOkAsync("tag", "v2");

        using var doc = JsonDocument.Parse((await repo.RunOkAsync("show", "--json", "v2~1")).Out);

        doc.RootElement.GetProperty("commit").GetProperty("id").GetString().Should().Be(first.ToString());
    }

    [Test]
    public async Task Tag_UsageErrors_ExitTwo()
    {
        var (repo, _, _) = await TwoCommitsAsync();
        using var __ = repo;

        (await repo.RunAsync("tag", "-d")).ExitCode.Should().Be(2);
        (await repo.RunAsync("tag", "a", "b", "c")).ExitCode.Should().Be(2);
        (await repo.RunAsync("tag", "bad:name")).ExitCode.Should().Be(2);
    }

    [Test]
    public async Task Tag_NoCommitsYet_ExitsOne()
    {
        using var repo = await CliRepository.InitAsync();

        var result = await repo.RunAsync("tag", "v1");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle();
    }
}
