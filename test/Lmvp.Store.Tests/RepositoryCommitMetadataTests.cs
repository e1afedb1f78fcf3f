using Lmvp.Store.Tests.Support;
using Lmvp.Testing;
using LibGit = LibGit2Sharp;

namespace Lmvp.Store.Tests;

/// <summary>Author, time, metrics and provenance, with real git repositories made by LibGit2Sharp around the training directory.</summary>
public class RepositoryCommitMetadataTests
{
    private const string OriginUrl = "https://git.example.com/team/train.git";

    /// <summary>A git work tree with one commit of train.py and a repository-level identity; the lmvp repository sits in "run/".</summary>
    private static (TempDirectory Dir, string Sha, string Branch) GitWorkTree(bool withOrigin = true)
    {
        var dir = new TempDirectory("git");
        LibGit.Repository.Init(dir.Path);
        using var git = new LibGit.Repository(dir.Path);
        git.Config.Set("user.name", "Grace Hopper", LibGit.ConfigurationLevel.Local);
        git.Config.Set("user.email", "grace@example.com", LibGit.ConfigurationLevel.Local);
        File.WriteAllText(dir.Combine("train.py"), "print('train')\n");
        LibGit.Commands.Stage(git, "train.py");
        var signature = new LibGit.Signature("Grace Hopper", "grace@example.com", DateTimeOffset.UtcNow);
        var commit = git.Commit("training code", signature, signature, new LibGit.CommitOptions());
        if (withOrigin)
        {
            git.Network.Remotes.Add("origin", OriginUrl);
        }

        return (dir, commit.Sha, git.Head.FriendlyName);
    }

    [Test]
    public void Commit_InsideAGitWorkTree_RecordsHeadBranchCleanStateAndOrigin()
    {
        var (dir, sha, branch) = GitWorkTree();
        using var _ = dir;
        using var repo = Repository.Init(dir.Combine("run"));
        File.WriteAllBytes(dir.Combine("run", "w.bin"), [1, 2, 3]);

        var commit = repo.Commit(new CommitOptions { Message = "epoch 1" }).Commit;

        commit.Provenance.Should().Be(new Provenance(sha, branch, false, OriginUrl),
            "checkpoints and .lmvp are untracked files, which do not make the code dirty");
        repo.GetCommit(commit.Id).Provenance.Should().Be(commit.Provenance);
        commit.Author.Should().Be("Grace Hopper <grace@example.com>");
    }

    [Test]
    public void Commit_WithUncommittedCodeChanges_RecordsDirty()
    {
        var (dir, sha, _) = GitWorkTree();
        using var _ = dir;
        File.AppendAllText(dir.Combine("train.py"), "lr = 0.1\n");
        using var repo = Repository.Init(dir.Combine("run"));
        File.WriteAllBytes(dir.Combine("run", "w.bin"), [1]);

        var commit = repo.Commit(new CommitOptions { Message = "dirty run" }).Commit;

        commit.Provenance!.IsDirty.Should().BeTrue();
        commit.Provenance.GitCommit.Should().Be(sha);
    }

    [Test]
    public void Commit_OnADetachedGitHead_RecordsNoBranch_AndNoOriginWhenThereIsNone()
    {
        var (dir, sha, _) = GitWorkTree(withOrigin: false);
        using var _ = dir;
        using (var git = new LibGit.Repository(dir.Path))
        {
            LibGit.Commands.Checkout(git, git.Head.Tip);
            git.Info.IsHeadDetached.Should().BeTrue();
        }

        using var repo = Repository.Init(dir.Combine("run"));
        var commit = repo.Commit(new CommitOptions { Message = "m", AllowEmpty = true }).Commit;

        commit.Provenance.Should().Be(new Provenance(sha, null, false, null));
    }

    [Test]
    public void Commit_InAGitRepositoryWithoutCommits_RecordsNoProvenance_ButTakesTheGitAuthor()
    {
        using var dir = new TempDirectory("git-unborn");
        LibGit.Repository.Init(dir.Path);
        using (var git = new LibGit.Repository(dir.Path))
        {
            git.Config.Set("user.name", "Unborn Author", LibGit.ConfigurationLevel.Local);
            git.Config.Set("user.email", "unborn@example.com", LibGit.ConfigurationLevel.Local);
        }

        using var repo = Repository.Init(dir.Combine("run"));
        var commit = repo.Commit(new CommitOptions { Message = "m", AllowEmpty = true }).Commit;

        commit.Provenance.Should().BeNull("there is no git commit to point at yet");
        commit.Author.Should().Be("Unborn Author <unborn@example.com>");
    }

    [Test]
    public void Commit_WithRecordProvenanceOff_RecordsNone_ButStillTakesTheGitAuthor()
    {
        var (dir, _, _) = GitWorkTree();
        using var _ = dir;
        using var repo = Repository.Init(dir.Combine("run"));

        var commit = repo.Commit(new CommitOptions { Message = "m", AllowEmpty = true, RecordProvenance = false }).Commit;

        commit.Provenance.Should().BeNull();
        commit.Author.Should().Be("Grace Hopper <grace@example.com>");
    }

    [Test]
    public void Commit_ExplicitAuthor_WinsOverGitConfig()
    {
        var (dir, _, _) = GitWorkTree();
        using var _ = dir;
        using var repo = Repository.Init(dir.Combine("run"));

        var commit = repo.Commit(new CommitOptions { Message = "m", AllowEmpty = true, Author = "Ada <ada@example.com>" }).Commit;

        commit.Author.Should().Be("Ada <ada@example.com>");
        commit.Provenance.Should().NotBeNull();
    }

    [Test]
    public void Commit_OutsideAnyGitWorkTree_UsesTheOsUser_AndRecordsNoProvenance()
    {
        using var dir = new TempDirectory("nogit");
        LibGit.Repository.Discover(dir.Path).Should().BeNull("the test needs a directory outside any git repository");
        using var repo = Repository.Init(dir.Path);

        var commit = repo.Commit(new CommitOptions { Message = "m", AllowEmpty = true }).Commit;

        commit.Author.Should().Be(Environment.UserName);
        commit.Provenance.Should().BeNull();
    }

    [Test]
    public void Commit_RecordsMetricsSortedTimeAndMessage_AndTheyReadBackAfterReopening()
    {
        using var scratch = new ScratchRepository("metrics");
        var time = new DateTimeOffset(2025, 1, 2, 3, 4, 5, 678, TimeSpan.Zero);
        var id = scratch.Repository.Commit(new CommitOptions
        {
            Message = "epoch 3",
            Author = "A <a@example.com>",
            Time = time,
            AllowEmpty = true,
            RecordProvenance = false,
            Metrics = new Dictionary<string, double> { ["val/loss"] = 0.41, ["acc"] = 0.9, ["step"] = 3000, ["tiny"] = 1e-300 },
        }).Commit.Id;

        scratch.Reopen();
        var commit = scratch.Repository.GetCommit(id);

        commit.Message.Should().Be("epoch 3");
        commit.Author.Should().Be("A <a@example.com>");
        commit.Time.Should().Be(time);
        commit.Metrics.Should().Equal(
            new KeyValuePair<string, double>("acc", 0.9),
            new KeyValuePair<string, double>("step", 3000),
            new KeyValuePair<string, double>("tiny", 1e-300),
            new KeyValuePair<string, double>("val/loss", 0.41));
    }

    [Test]
    public void Commit_TimeDefaultsToNowInUtc()
    {
        using var scratch = new ScratchRepository("now");
        var before = DateTimeOffset.UtcNow.AddMilliseconds(-1);
        var commit = scratch.Commit(allowEmpty: true).Commit;
        commit.Time.Should().BeOnOrAfter(before).And.BeOnOrBefore(DateTimeOffset.UtcNow);
        commit.Time.Offset.Should().Be(TimeSpan.Zero);
    }
}
