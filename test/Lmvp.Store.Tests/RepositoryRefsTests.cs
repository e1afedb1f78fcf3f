using Lmvp.Store.Tests.Support;

namespace Lmvp.Store.Tests;

public class RepositoryRefsTests
{
    private static (ScratchRepository Scratch, ObjectId[] Commits) History(int count)
    {
        var scratch = new ScratchRepository("refs");
        var commits = new ObjectId[count];
        for (var i = 0; i < count; i++)
        {
            scratch.Write("w.bin", [(byte)i]);
            commits[i] = scratch.Commit($"c{i}").Commit.Id;
        }

        return (scratch, commits);
    }

    [Test]
    public void ResolveCommit_AcceptsIdsShortIdsBranchesTagsHeadAndAncestry()
    {
        var (scratch, c) = History(4);
        using var owner = scratch;
        var repo = scratch.Repository;
        repo.CreateTag("v1", c[1].ToString());
        repo.CreateBranch("old", "HEAD~2");

        repo.ResolveCommit(c[2].ToString()).Should().Be(c[2]);
        repo.ResolveCommit(c[2].ToString().ToUpperInvariant()).Should().Be(c[2]);
        repo.ResolveCommit(c[2].ToShortString()).Should().Be(c[2]);
        repo.ResolveCommit(c[2].ToString()[..8]).Should().Be(c[2]);
        repo.ResolveCommit("HEAD").Should().Be(c[3]);
        repo.ResolveCommit("@").Should().Be(c[3]);
        repo.ResolveCommit("main").Should().Be(c[3]);
        repo.ResolveCommit("refs/heads/main").Should().Be(c[3]);
        repo.ResolveCommit("HEAD~1").Should().Be(c[2]);
        repo.ResolveCommit("HEAD~3").Should().Be(c[0]);
        repo.ResolveCommit("HEAD^^").Should().Be(c[1]);
        repo.ResolveCommit("HEAD~").Should().Be(c[2]);
        repo.ResolveCommit("main~1^").Should().Be(c[1]);
        repo.ResolveCommit("v1").Should().Be(c[1]);
        repo.ResolveCommit("v1~1").Should().Be(c[0]);
        repo.ResolveCommit("old").Should().Be(c[1]);
        repo.ResolveCommit("HEAD~0").Should().Be(c[3]);
    }

    [TestCase("HEAD~4", "past the first commit")]
    [TestCase("nope", "Unknown revision 'nope'")]
    [TestCase("abc", "Unknown revision")] // too short to be an id prefix
    [TestCase("0000000000000000", "Unknown revision")]
    [TestCase("HEAD~x", "Unknown revision")]
    [TestCase("HEAD~2147483647~1", "past the first commit")] // the sum overflows an int
    [TestCase("HEAD~1~2147483647", "past the first commit")]
    public void ResolveCommit_Unresolvable_ThrowsObjectNotFoundWithTheRevision(string revision, string message)
    {
        var (scratch, _) = History(4);
        using var owner = scratch;
        var resolve = () => scratch.Repository.ResolveCommit(revision);
        resolve.Should().Throw<ObjectNotFoundException>().WithMessage($"*{message}*");
        scratch.Repository.TryResolveCommit(revision, out _).Should().BeFalse();
    }

    [Test]
    public void ResolveCommit_AHugeAncestryCount_IsAClearError()
    {
        var (scratch, _) = History(1);
        using var owner = scratch;
        var resolve = () => scratch.Repository.ResolveCommit("HEAD~99999999999999999999");
        resolve.Should().Throw<LmvpException>();
    }

    [Test]
    public void ResolveCommit_BeforeTheFirstCommit_SaysSo()
    {
        using var scratch = new ScratchRepository("refs-empty");
        var resolve = () => scratch.Repository.ResolveCommit("HEAD");
        resolve.Should().Throw<ObjectNotFoundException>().WithMessage("*first commit*");
    }

    [Test]
    public void Branches_CreateListRenameAndDelete()
    {
        var (scratch, c) = History(2);
        using var owner = scratch;
        var repo = scratch.Repository;

        repo.CreateBranch("exp/lr-0.1", c[0].ToString());
        repo.ListBranches().Should().Equal(new BranchInfo("exp/lr-0.1", c[0], false), new BranchInfo("main", c[1], true));

        var again = () => repo.CreateBranch("exp/lr-0.1");
        again.Should().Throw<RefConflictException>();
        repo.CreateBranch("exp/lr-0.1", force: true);
        repo.GetRef("refs/heads/exp/lr-0.1").Should().Be(c[1]);

        repo.RenameBranch("main", "trunk");
        repo.CurrentBranch.Should().Be("trunk");
        repo.Head.Should().Be(c[1]);
        var renameOnto = () => repo.RenameBranch("trunk", "exp/lr-0.1");
        renameOnto.Should().Throw<RefConflictException>();

        var deleteCurrent = () => repo.DeleteBranch("trunk");
        deleteCurrent.Should().Throw<LmvpException>().WithMessage("*checked out*");
        repo.DeleteBranch("exp/lr-0.1");
        repo.ListBranches().Select(b => b.Name).Should().Equal("trunk");
        var deleteMissing = () => repo.DeleteBranch("exp/lr-0.1");
        deleteMissing.Should().Throw<ObjectNotFoundException>();
    }

    [TestCase("")]
    [TestCase(" ")]
    [TestCase("-dash")]
    [TestCase("/lead")]
    [TestCase("trail/")]
    [TestCase("a..b")]
    [TestCase("a//b")]
    [TestCase("x.lock")]
    [TestCase("HEAD")]
    [TestCase("@")]
    [TestCase("with space")]
    [TestCase("tilde~1")]
    [TestCase("caret^")]
    [TestCase("colon:x")]
    [TestCase("star*")]
    [TestCase("q?")]
    [TestCase("br[acket")]
    [TestCase("back\\slash")]
    [TestCase("ctl\u0007")]
    public void CreateBranchOrTag_InvalidName_IsAnArgumentError(string name)
    {
        var (scratch, _) = History(1);
        using var owner = scratch;
        var branch = () => scratch.Repository.CreateBranch(name);
        branch.Should().Throw<ArgumentException>();
        var tag = () => scratch.Repository.CreateTag(name);
        tag.Should().Throw<ArgumentException>();
        scratch.Repository.ListRefs().Select(r => r.Key).Should().Equal("refs/heads/main");
    }

    [Test]
    public void Tags_CreateListAndDelete()
    {
        var (scratch, c) = History(2);
        using var owner = scratch;
        var repo = scratch.Repository;
        repo.CreateTag("v1", c[0].ToShortString());
        repo.CreateTag("v2");
        repo.ListTags().Should().Equal(new KeyValuePair<string, ObjectId>("v1", c[0]), new KeyValuePair<string, ObjectId>("v2", c[1]));
        var again = () => repo.CreateTag("v1");
        again.Should().Throw<RefConflictException>();
        repo.DeleteTag("v1");
        var deleteMissing = () => repo.DeleteTag("v1");
        deleteMissing.Should().Throw<ObjectNotFoundException>();
    }

    [Test]
    public void UpdateRef_CompareAndSwap_RefusesWhenTheRefMoved_AndUnknownCommits()
    {
        var (scratch, c) = History(3);
        using var owner = scratch;
        var repo = scratch.Repository;

        repo.UpdateRef("refs/remotes/origin/main", c[0], expected: null, checkExpected: true);
        repo.UpdateRef("refs/remotes/origin/main", c[1], expected: c[0], checkExpected: true);
        var stale = () => repo.UpdateRef("refs/remotes/origin/main", c[2], expected: c[0], checkExpected: true);
        stale.Should().Throw<RefConflictException>();
        repo.GetRef("refs/remotes/origin/main").Should().Be(c[1]);
        repo.ResolveCommit("origin/main").Should().Be(c[1]);

        var unknown = () => repo.UpdateRef("refs/heads/x", ObjectId.Compute("no such commit"u8));
        unknown.Should().Throw<ObjectNotFoundException>();
        var notACommit = () => repo.UpdateRef("refs/heads/x", repo.GetCommit(c[0]).TreeId);
        notACommit.Should().Throw<ObjectNotFoundException>();
    }

    [Test]
    public void Log_FromABranch_AndIsAncestor()
    {
        var (scratch, c) = History(3);
        using var owner = scratch;
        var repo = scratch.Repository;
        repo.Log(c[1].ToString()).Select(x => x.Id).Should().Equal(c[1], c[0]);
        repo.IsAncestor(c[0], c[2]).Should().BeTrue();
        repo.IsAncestor(c[2], c[0]).Should().BeFalse();
        repo.IsAncestor(c[1], c[1]).Should().BeTrue();
        repo.CountAheadBehind(c[2], c[0]).Should().Be((2, 0));
    }
}
