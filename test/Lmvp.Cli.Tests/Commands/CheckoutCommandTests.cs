using Lmvp.Cli.Tests.Support;
using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Commands;

public sealed class CheckoutCommandTests
{
    /// <summary>Three commits that add, change, remove files, a link and an executable bit; with a fingerprint of each tree.</summary>
    private static async Task<(CliRepository Repo, ObjectId[] Ids, Dictionary<string, string>[] Trees)> HistoryAsync()
    {
        var repo = await CliRepository.InitAsync();
        var ids = new ObjectId[3];
        var trees = new Dictionary<string, string>[3];

        repo.Write("model.bin", TestData.Random(600_000, 1));
        repo.Write("config/a.json", "{\"lr\": 1}");
        repo.Write("only-in-first.txt", "first");
        ids[0] = await repo.CommitAsync("first");
        trees[0] = repo.Fingerprint();

        var model = repo.Read("model.bin");
        TestData.Random(1000, 2).CopyTo(model, 300_000);
        repo.Write("model.bin", model);
        repo.Write("config/b.json", "{}");
        File.Delete(repo.PathOf("only-in-first.txt"));
        repo.Write("run.sh", "#!/bin/sh\n");
        FileModes.MakeExecutable(repo.PathOf("run.sh"));
        File.CreateSymbolicLink(repo.PathOf("latest"), "model.bin");
        ids[1] = await repo.CommitAsync("second");
        trees[1] = repo.Fingerprint();

        repo.Write("model.bin", TestData.Random(200_000, 3));
        Directory.Delete(repo.PathOf("config"), recursive: true);
        ids[2] = await repo.CommitAsync("third");
        trees[2] = repo.Fingerprint();
        return (repo, ids, trees);
    }

    [Test]
    public async Task Checkout_SwitchingBetweenCommits_RestoresByteIdenticalTrees()
    {
        var (repo, ids, trees) = await HistoryAsync();
        using var _ = repo;

        foreach (var i in new[] { 0, 1, 2, 1, 0, 2 })
        {
            await repo.RunOkAsync("checkout", ids[i].ToString());
            repo.Fingerprint().Should().Equal(trees[i], "the tree of commit {0} should come back byte for byte", i);
            (await repo.RunOkAsync("status")).OutLines.Should().ContainSingle("nothing differs after a checkout");
        }

        await repo.RunOkAsync("checkout", ids[1].ToShortString());
        FileModes.IsExecutable(repo.PathOf("run.sh")).Should().BeTrue();
        FileModes.IsExecutable(repo.PathOf("model.bin")).Should().BeFalse();
        new FileInfo(repo.PathOf("latest")).LinkTarget.Should().Be("model.bin");
        Directory.Exists(repo.PathOf("config")).Should().BeTrue();

        await repo.RunOkAsync("checkout", "main");
        Directory.Exists(repo.PathOf("config")).Should().BeFalse("a directory emptied by the checkout is removed");
    }

    [Test]
    public async Task Checkout_Branch_AttachesHeadAndSaysSwitched()
    {
        var (repo, ids, trees) = await HistoryAsync();
        using var _ = repo;
        await repo.RunOkAsync("branch", "exp", ids[0].ToShortString());

        var result = await repo.RunOkAsync("checkout", "exp");

        result.Out.Should().BeEmpty();
        result.ErrorLines.Should().Equal("Switched to branch 'exp'");
        repo.CurrentBranch().Should().Be("exp");
        repo.Head().Should().Be(ids[0]);
        repo.Fingerprint().Should().Equal(trees[0]);
        (await repo.RunOkAsync("checkout", "exp")).ErrorLines.Should().Equal("Already on 'exp'");
    }

    [Test]
    public async Task Checkout_Revision_DetachesHeadAndSaysWhereItIs()
    {
        var (repo, ids, _) = await HistoryAsync();
        using var __ = repo;

        var result = await repo.RunOkAsync("checkout", "HEAD~2");

        repo.CurrentBranch().Should().BeNull();
        repo.Head().Should().Be(ids[0]);
        result.ErrorLines.Should().HaveCount(2);
        result.ErrorLines[0].Should().StartWith("Note: switching to 'HEAD~2': HEAD is now detached.");
        result.ErrorLines[1].Should().Be($"HEAD is now at {ids[0].ToShortString()} first");

        var next = await repo.RunOkAsync("checkout", ids[1].ToShortString());
        next.ErrorLines.Should().Equal($"Previous HEAD position was {ids[0].ToShortString()} first", $"HEAD is now at {ids[1].ToShortString()} second");

        (await repo.RunOkAsync("checkout", "main")).ErrorLines.Should().Equal($"Previous HEAD position was {ids[1].ToShortString()} second", "Switched to branch 'main'");
        repo.CurrentBranch().Should().Be("main");
    }

    [Test]
    public async Task Checkout_UncommittedChangeToATrackedFile_RefusesAndChangesNothing()
    {
        var (repo, ids, trees) = await HistoryAsync();
        using var _ = repo;
        repo.Write("model.bin", "precious unsaved weights");
        var before = repo.Fingerprint();

        var result = await repo.RunAsync("checkout", ids[0].ToString());

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be(
            "error: Checkout would overwrite uncommitted changes in model.bin; commit them, or use --force to discard them.");
        repo.Fingerprint().Should().Equal(before);
        repo.Head().Should().Be(ids[2]);
        repo.CurrentBranch().Should().Be("main");
    }

    [Test]
    public async Task Checkout_LocalChangesToFilesTheTargetShares_AreCarriedOver()
    {
        var (repo, ids, trees) = await HistoryAsync();
        using var _ = repo;
        repo.Write("run.sh", "#!/bin/sh\necho edited\n");
        File.Delete(repo.PathOf("latest"));
        var edited = repo.Fingerprint()["run.sh"];

        await repo.RunOkAsync("checkout", ids[1].ToString());

        var now = repo.Fingerprint();
        now["run.sh"].Should().Be(edited, "run.sh is the same in both commits, so the edit survives as git keeps it");
        now.Should().NotContainKey("latest", "the local deletion of a file both commits share survives too");
        now["model.bin"].Should().Be(trees[1]["model.bin"]);
        now["config/a.json"].Should().Be(trees[1]["config/a.json"]);
        (await repo.RunOkAsync("status")).OutLines.Skip(1).Should().Equal(" D latest", " M run.sh");

        await repo.RunOkAsync("checkout", "-b", "wip");
        repo.Fingerprint()["run.sh"].Should().Be(edited);
    }

    [Test]
    public async Task Checkout_DeletedTrackedFile_CountsAsAnUncommittedChange()
    {
        var (repo, ids, _) = await HistoryAsync();
        using var __ = repo;
        File.Delete(repo.PathOf("run.sh"));

        var result = await repo.RunAsync("checkout", ids[0].ToString());

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("run.sh");
    }

    [Test]
    public async Task Checkout_UntrackedFileInTheWay_Refuses()
    {
        var (repo, ids, _) = await HistoryAsync();
        using var __ = repo;
        repo.Write("config/a.json", "my own untracked file");

        var result = await repo.RunAsync("checkout", ids[0].ToString());

        result.ExitCode.Should().Be(1);
        result.Error.Should().Contain("config/a.json");
        repo.Read("config/a.json").Should().Equal("my own untracked file"u8.ToArray());
    }

    [Test]
    public async Task Checkout_Force_DiscardsUncommittedChanges()
    {
        var (repo, ids, trees) = await HistoryAsync();
        using var _ = repo;
        repo.Write("model.bin", "unsaved");
        File.Delete(repo.PathOf("run.sh"));

        (await repo.RunOkAsync("checkout", "--force", ids[1].ToString())).ExitCode.Should().Be(0);
        repo.Fingerprint().Should().Equal(trees[1]);

        repo.Write("model.bin", "unsaved again");
        await repo.RunOkAsync("checkout", "-f", "main");
        repo.Fingerprint().Should().Equal(trees[2]);
    }

    [Test]
    public async Task Checkout_RemovesTrackedFilesAbsentFromTheTargetAndKeepsUntrackedOnes()
    {
        var (repo, ids, trees) = await HistoryAsync();
        using var _ = repo;
        repo.Write("notes.md", "untracked notes");
        repo.Write("config/untracked.txt", "mine");

        await repo.RunOkAsync("checkout", ids[1].ToString());
        await repo.RunOkAsync("checkout", ids[2].ToString());

        repo.Exists("config/a.json").Should().BeFalse("tracked in the source, absent in the target");
        repo.Exists("config/b.json").Should().BeFalse();
        repo.Read("notes.md").Should().Equal("untracked notes"u8.ToArray());
        repo.Read("config/untracked.txt").Should().Equal("mine"u8.ToArray(), "a directory that still holds untracked files stays");
        var expected = new Dictionary<string, string>(trees[2])
        {
            ["notes.md"] = repo.Fingerprint()["notes.md"],
            ["config/untracked.txt"] = repo.Fingerprint()["config/untracked.txt"],
        };
        repo.Fingerprint().Should().Equal(expected);
    }

    [Test]
    public async Task Checkout_DashB_CreatesABranchAtTheStartAndSwitchesToIt()
    {
        var (repo, ids, trees) = await HistoryAsync();
        using var _ = repo;

        var result = await repo.RunOkAsync("checkout", "-b", "lr-sweep", ids[0].ToShortString());

        result.ErrorLines.Should().Equal("Switched to a new branch 'lr-sweep'");
        repo.CurrentBranch().Should().Be("lr-sweep");
        repo.Head().Should().Be(ids[0]);
        repo.Fingerprint().Should().Equal(trees[0]);

        await repo.RunOkAsync("checkout", "-b", "from-here");
        repo.CurrentBranch().Should().Be("from-here");
        repo.Head().Should().Be(ids[0]);
    }

    [Test]
    public async Task Checkout_DashB_ExistingBranch_ExitsOne()
    {
        var (repo, _, _) = await HistoryAsync();
        using var __ = repo;

        var result = await repo.RunAsync("checkout", "-b", "main");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be("error: A branch named 'main' already exists.");
    }

    [Test]
    public async Task Checkout_DashB_RefusedBecauseOfChanges_LeavesNoBranchBehind()
    {
        var (repo, ids, _) = await HistoryAsync();
        using var __ = repo;
        repo.Write("model.bin", "unsaved");

        var result = await repo.RunAsync("checkout", "-b", "exp", ids[0].ToString());

        result.ExitCode.Should().Be(1);
        (await repo.RunOkAsync("branch")).OutLines.Should().ContainSingle().Which.Should().StartWith("* main");
    }

    [Test]
    public async Task Checkout_NoArgument_IsAUsageError()
    {
        var (repo, _, _) = await HistoryAsync();
        using var __ = repo;

        var result = await repo.RunAsync("checkout");

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: checkout needs");
    }

    [Test]
    public async Task Checkout_UnknownRevision_ExitsOneAndChangesNothing()
    {
        var (repo, ids, trees) = await HistoryAsync();
        using var _ = repo;

        var result = await repo.RunAsync("checkout", "no-such-branch");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be("error: Unknown revision 'no-such-branch'.");
        repo.Fingerprint().Should().Equal(trees[2]);
        repo.Head().Should().Be(ids[2]);
    }

    [Test]
    public async Task Checkout_Tag_DetachesAtTheTaggedCommit()
    {
        var (repo, ids, trees) = await HistoryAsync();
        using var _ = repo;
        await repo.RunOkAsync("tag", "v1", "HEAD~1");

        await repo.RunOkAsync("checkout", "v1");

        repo.CurrentBranch().Should().BeNull();
        repo.Head().Should().Be(ids[1]);
        repo.Fingerprint().Should().Equal(trees[1]);
    }
}
