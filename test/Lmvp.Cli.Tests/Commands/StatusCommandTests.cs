using System.Text.Json;
using Lmvp.Cli.Tests.Support;

namespace Lmvp.Cli.Tests.Commands;

public sealed class StatusCommandTests
{
    [Test]
    public async Task Status_ShowsNewModifiedAndDeletedInGitShortFormat()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("keep.txt", "same");
        repo.Write("change.bin", "before");
        repo.Write("gone.txt", "bye");
        await repo.CommitAsync("first");
        repo.Write("change.bin", "after!");
        File.Delete(repo.PathOf("gone.txt"));
        repo.Write("sub/new file ü.txt", "hello");

        var result = await repo.RunOkAsync("status");

        result.OutLines.Should().Equal("## main", " M change.bin", " D gone.txt", "?? sub/new file ü.txt");
    }

    [Test]
    public async Task Status_CleanTree_PrintsOnlyTheBranchLine()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "a");
        await repo.CommitAsync("first");

        (await repo.RunOkAsync("status")).OutLines.Should().Equal("## main");
    }

    [Test]
    public async Task Status_Json_ListsBranchHeadAndChanges()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "a");
        var head = await repo.CommitAsync("first");
        repo.Write("b.txt", "b");

        using var doc = JsonDocument.Parse((await repo.RunOkAsync("status", "--json")).Out);

        doc.RootElement.GetProperty("branch").GetString().Should().Be("main");
        doc.RootElement.GetProperty("head").GetString().Should().Be(head.ToString());
        var change = doc.RootElement.GetProperty("changes").EnumerateArray().Should().ContainSingle().Subject;
        change.GetProperty("path").GetString().Should().Be("b.txt");
        change.GetProperty("change").GetString().Should().Be("added");
    }

    [Test]
    public async Task Status_DetachedHead_SaysDetachedAt()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "a");
        var head = await repo.CommitAsync("first");
        await repo.RunOkAsync("checkout", head.ToString());

        (await repo.RunOkAsync("status")).OutLines[0].Should().Be($"## HEAD (detached at {head.ToShortString()})");
    }
}
