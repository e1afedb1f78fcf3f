using System.Text.Json;
using Lmvp.Cli.Tests.Support;
using Lmvp.Store;

namespace Lmvp.Cli.Tests.Commands;

public sealed class BranchCommandTests
{
    private static async Task<(CliRepository Repo, ObjectId First, ObjectId Second)> TwoCommitsAsync()
    {
        var repo = await CliRepository.InitAsync();
        repo.Write("model.bin", "1");
        var first = await repo.CommitAsync("first", "--metric", "loss=0.5");
        repo.Write("model.bin", "2");
        var second = await repo.CommitAsync("second", "--metric", "loss=0.4");
        return (repo, first, second);
    }

    [Test]
    public async Task Branch_List_MarksTheCurrentBranchAndShowsShortIdAndSubject()
    {
        var (repo, first, second) = await TwoCommitsAsync();
        using var _ = repo;
        await repo.RunOkAsync("branch", "exp", "HEAD~1");

        var result = await repo.RunOkAsync("branch");

        result.OutLines.Should().Equal(
            $"  exp   {first.ToShortString()} first",
            $"* main  {second.ToShortString()} second");
        (await repo.RunOkAsync("branch", "-v")).OutLines.Should().Equal(
            $"  exp   {first.ToShortString()} first  [loss=0.5]",
            $"* main  {second.ToShortString()} second  [loss=0.4]");
    }

    [Test]
    public async Task Branch_List_DetachedHeadComesFirst()
    {
        var (repo, first, _) = await TwoCommitsAsync();
        using var __ = repo;
        await repo.RunOkAsync("checkout", first.ToString());

        var result = await repo.RunOkAsync("branch");

        result.OutLines[0].Should().Be($"* (HEAD detached at {first.ToShortString()})  {first.ToShortString()} first");
        result.OutLines[1].Should().StartWith("  main");
    }

    [Test]
    public async Task Branch_Json_ListsNamesTargetsAndTheCurrentOne()
    {
        var (repo, first, second) = await TwoCommitsAsync();
        using var _ = repo;
        await repo.RunOkAsync("branch", "exp", first.ToShortString());

        using var doc = JsonDocument.Parse((await repo.RunOkAsync("branch", "--json")).Out);

        doc.RootElement.GetProperty("detachedHead").ValueKind.Should().Be(JsonValueKind.Null);
        var rows = doc.RootElement.GetProperty("branches").EnumerateArray().ToList();
        rows.Select(r => r.GetProperty("name").GetString()).Should().Equal("exp", "main");
        rows.Select(r => r.GetProperty("current").GetBoolean()).Should().Equal(false, true);
        rows.Select(r => r.GetProperty("id").GetString()).Should().Equal(first.ToString(), second.ToString());
        rows[0].GetProperty("metrics").GetProperty("loss").GetDouble().Should().Be(0.5);
    }

    [Test]
    public async Task Branch_Create_DefaultsToHeadAndDoesNotSwitch()
    {
        var (repo, _, second) = await TwoCommitsAsync();
        using var __ = repo;

        var result = await repo.RunOkAsync("branch", "feature/lr");

        result.Out.Should().BeEmpty();
        using var store = Repository.Open(repo.Root);
        store.GetRef("refs/heads/feature/lr").Should().Be(second);
        store.CurrentBranch.Should().Be("main");
    }

    [Test]
    public async Task Branch_CreateExisting_ExitsOneUnlessForced()
    {
        var (repo, first, second) = await TwoCommitsAsync();
        using var _ = repo;
        await repo.RunOkAsync("branch", "exp");

        var refused = await repo.RunAsync("branch", "exp", first.ToShortString());
        refused.ExitCode.Should().Be(1);
        refused.ErrorLines.Should().ContainSingle().Which.Should().Be("error: A branch named 'exp' already exists.");

        await repo.RunOkAsync("branch", "-f", "exp", first.ToShortString());
        using var store = Repository.Open(repo.Root);
        store.GetRef("refs/heads/exp").Should().Be(first);
        store.GetRef("refs/heads/main").Should().Be(second);
    }

    [Test]
    public async Task Branch_ForceMoveOfTheCurrentBranch_IsRefused()
    {
        var (repo, first, second) = await TwoCommitsAsync();
        using var _ = repo;

        var result = await repo.RunAsync("branch", "-f", "main", first.ToShortString());

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Contain("checked out");
        repo.Head().Should().Be(second);
    }

    [TestCase("bad name")]
    [TestCase("-x")]
    [TestCase("a..b")]
    [TestCase("HEAD")]
    [TestCase("x~1")]
    public async Task Branch_InvalidName_IsAUsageError(string name)
    {
        var (repo, _, _) = await TwoCommitsAsync();
        using var __ = repo;

        var result = await repo.RunAsync("branch", "--", name);

        result.ExitCode.Should().Be(2, result.ToString());
        result.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: ");
    }

    [Test]
    public async Task Branch_CreateAtUnknownStart_ExitsOne()
    {
        var (repo, _, _) = await TwoCommitsAsync();
        using var __ = repo;

        var result = await repo.RunAsync("branch", "exp", "nowhere");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be("error: Unknown revision 'nowhere'.");
    }

    [Test]
    public async Task Branch_DeleteMerged_RemovesItAndSaysWhereItWas()
    {
        var (repo, first, _) = await TwoCommitsAsync();
        using var __ = repo;
        await repo.RunOkAsync("branch", "old", first.ToShortString());

        var result = await repo.RunOkAsync("branch", "-d", "old");

        result.OutLines.Should().Equal($"Deleted branch old (was {first.ToShortString()}).");
        (await repo.RunOkAsync("branch")).OutLines.Should().ContainSingle();
    }

    [Test]
    public async Task Branch_DeleteCurrent_IsRefused()
    {
        var (repo, _, _) = await TwoCommitsAsync();
        using var __ = repo;

        foreach (var flag in new[] { "-d", "-D", "--delete" })
        {
            var result = await repo.RunAsync("branch", flag, "main");
            result.ExitCode.Should().Be(1);
            result.ErrorLines.Should().ContainSingle().Which.Should().Be("error: Cannot delete branch 'main': it is checked out.");
        }

        repo.CurrentBranch().Should().Be("main");
    }

    [Test]
    public async Task Branch_DeleteUnmerged_IsRefusedUnlessForced()
    {
        var (repo, first, _) = await TwoCommitsAsync();
        using var __ = repo;
        await repo.RunOkAsync("checkout", "-b", "exp");
        repo.Write("model.bin", "experiment");
        var experiment = await repo.CommitAsync("experiment");
        await repo.RunOkAsync("checkout", "main");

        var refused = await repo.RunAsync("branch", "-d", "exp");
        refused.ExitCode.Should().Be(1);
        refused.ErrorLines.Should().ContainSingle().Which.Should().Contain("not fully merged").And.Contain("lmvp branch -D exp");

        var deleted = await repo.RunOkAsync("branch", "-D", "exp");
        deleted.OutLines.Should().Equal($"Deleted branch exp (was {experiment.ToShortString()}).");
        deleted.ErrorLines.Should().Contain($"hint: to get it back: lmvp branch exp {experiment}");

        // The hint works, and the reflog shows where the branch was before and after.
        await repo.RunOkAsync("gc");
        await repo.RunOkAsync("branch", "exp", experiment.ToString());
        (await repo.RunOkAsync("log", "exp", "--oneline")).OutLines.Should().Contain(l => l.Contains("experiment", StringComparison.Ordinal),
            "gc right after the deletion kept the branch's commits for its reflog");
        var reflog = (await repo.RunOkAsync("reflog", "exp")).OutLines;
        reflog.Should().HaveCount(4);
        reflog[0].Should().StartWith($"{experiment.ToShortString()} exp@{{0}}: branch: created from {experiment}");
        reflog[1].Should().Contain("exp@{1}: branch: deleted").And.Contain($"(was {experiment.ToShortString()})");
        reflog[2].Should().StartWith($"{experiment.ToShortString()} exp@{{2}}: commit: experiment");
        reflog[3].Should().Contain("exp@{3}: branch: created from HEAD");
        (await repo.RunOkAsync("reflog")).OutLines.Should().Contain(l => l.Contains("HEAD@{", StringComparison.Ordinal) && l.Contains("checkout: moving from exp to main", StringComparison.Ordinal));
        await repo.RunOkAsync("branch", "-D", "exp");
        (await repo.RunOkAsync("gc", "--prune=now")).OutLines.Single().Should().Contain("unreachable chunk");
        (await repo.RunAsync("log", experiment.ToString())).ExitCode.Should().NotBe(0, "--prune=now dropped what only the reflog reached");
        (await repo.RunAsync("gc", "--prune=sometime")).ExitCode.Should().Be(2);
        await repo.RunOkAsync("branch", "exp2", first.ToShortString());
        await repo.RunOkAsync("branch", "-d", "--force", "exp2");
        (await repo.RunOkAsync("branch")).OutLines.Should().ContainSingle();
    }

    [Test]
    public async Task Branch_DeleteMissing_ExitsOne()
    {
        var (repo, _, _) = await TwoCommitsAsync();
        using var __ = repo;

        var result = await repo.RunAsync("branch", "-d", "ghost");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be("error: Branch 'ghost' not found.");
    }

    [Test]
    public async Task Branch_Rename_MovesTheRefAndHeadFollowsTheCurrentBranch()
    {
        var (repo, first, second) = await TwoCommitsAsync();
        using var _ = repo;
        await repo.RunOkAsync("branch", "exp", first.ToShortString());

        await repo.RunOkAsync("branch", "-m", "exp", "lr-sweep");
        await repo.RunOkAsync("branch", "--move", "trunk");

        using var store = Repository.Open(repo.Root);
        store.ListBranches().Select(b => (b.Name, b.Target, b.IsCurrent)).Should().Equal(("lr-sweep", first, false), ("trunk", second, true));
        store.CurrentBranch.Should().Be("trunk");
    }

    [Test]
    public async Task Branch_RenameOntoAnExistingBranch_ExitsOneUnlessForced()
    {
        var (repo, first, _) = await TwoCommitsAsync();
        using var __ = repo;
        await repo.RunOkAsync("branch", "a", first.ToShortString());
        await repo.RunOkAsync("branch", "b");

        var refused = await repo.RunAsync("branch", "-m", "a", "b");
        refused.ExitCode.Should().Be(1);
        refused.ErrorLines.Should().ContainSingle().Which.Should().Be("error: A branch named 'b' already exists.");

        await repo.RunOkAsync("branch", "-m", "-f", "a", "b");
        using var store = Repository.Open(repo.Root);
        store.ListBranches().Select(b => b.Name).Should().Equal("b", "main");
        store.GetRef("refs/heads/b").Should().Be(first);
    }

    [Test]
    public async Task Branch_DeleteAndMoveTogether_IsAUsageError()
    {
        var (repo, _, _) = await TwoCommitsAsync();
        using var __ = repo;

        (await repo.RunAsync("branch", "-d", "-m", "main")).ExitCode.Should().Be(2);
        (await repo.RunAsync("branch", "-d")).ExitCode.Should().Be(2);
        (await repo.RunAsync("branch", "a", "b", "c")).ExitCode.Should().Be(2);
    }
}
