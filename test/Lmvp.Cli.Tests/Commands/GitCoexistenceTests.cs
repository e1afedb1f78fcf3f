using Lmvp.Cli.Tests.Support;
using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Commands;

/// <summary>lmvp inside a real git work tree: git does not see .lmvp/, lmvp leaves git's files to git.</summary>
public sealed class GitCoexistenceTests
{
    /// <summary>A training directory that is also a git work tree with train.py committed, and a checkpoint beside it.</summary>
    private static async Task<CliRepository> GitTrainingDirectoryAsync()
    {
        var repo = CliRepository.Uninitialized();
        await Git(repo.Root, "init", "-q", "-b", "main");
        await Git(repo.Root, "config", "user.name", "Git User");
        await Git(repo.Root, "config", "user.email", "git@example.com");
        repo.Write("train.py", "print('v1')\n");
        repo.Write("src/model.py", "# model\n");
        await Git(repo.Root, "add", "train.py", "src/model.py");
        await Git(repo.Root, "commit", "-q", "-m", "code v1");
        repo.Write("model.pt", TestData.Random(50_000, 1));
        (await repo.RunAsync("init")).ExitCode.Should().Be(0);
        return repo;
    }

    [Test]
    public async Task Init_InAGitWorkTree_ExcludesTheStoreFromGit()
    {
        using var repo = await GitTrainingDirectoryAsync();

        File.ReadAllText(Path.Combine(repo.Root, ".git", "info", "exclude")).Should().Contain("\n.lmvp/\n");
        (await Git(repo.Root, "status", "--porcelain")).Should().Be("?? model.pt", "git sees the checkpoint, never .lmvp/");
    }

    [Test]
    public async Task Init_Twice_AddsTheExclusionOnce()
    {
        using var repo = await GitTrainingDirectoryAsync();
        using (var store = Repository.Open(repo.Root))
        {
            store.ExcludeFromGit();
        }

        File.ReadAllLines(Path.Combine(repo.Root, ".git", "info", "exclude")).Count(l => l == ".lmvp/").Should().Be(1);
    }

    [Test]
    public async Task Commit_LeavesGitTrackedFilesToGit_AndRecordsTheDirtyOnes()
    {
        using var repo = await GitTrainingDirectoryAsync();
        repo.Write("train.py", "print('v2, not committed to git')\n");

        var result = await repo.RunOkAsync("commit", "-m", "epoch 1", "--author", CliRepository.Author);

        result.OutLines[1].Should().StartWith(" 1 file, ");
        result.OutLines[2].Should().MatchRegex(@"^ 2 files tracked by git left to git \(code: git [0-9a-f]{12} on main, dirty \(train\.py\)\)$");
        repo.ListFiles().Should().Equal("model.pt");
        using var store = Repository.Open(repo.Root);
        store.GetCommit(repo.Head()).Provenance!.DirtyFiles.Should().Equal("train.py");
        (await repo.RunOkAsync("show")).Out.Should().MatchRegex(@"Code:    git [0-9a-f]{12} on main, dirty \(train\.py\)");
    }

    [Test]
    public async Task Checkout_AnOlderCommit_NeverRewritesAGitTrackedFile()
    {
        using var repo = await GitTrainingDirectoryAsync();
        await repo.RunOkAsync("config", Repository.IncludeGitTrackedKey, "true");
        await repo.CommitAsync("old, with train.py v1 snapshotted");
        await repo.RunOkAsync("config", "--unset", Repository.IncludeGitTrackedKey);
        repo.Write("train.py", "print('v2')\n");
        await Git(repo.Root, "commit", "-q", "-am", "code v2");
        repo.Write("model.pt", TestData.Random(50_000, 2));
        await repo.CommitAsync("new");

        (await repo.RunOkAsync("status")).OutLines.Should().Equal("## main");
        await repo.RunOkAsync("checkout", "HEAD~1");

        File.ReadAllText(repo.PathOf("train.py")).Should().Be("print('v2')\n", "git owns train.py; lmvp checkout must not rewrite it");
        repo.Read("model.pt").Should().Equal(TestData.Random(50_000, 1));
        (await Git(repo.Root, "status", "--porcelain")).Should().Be("?? model.pt");
    }

    [Test]
    public async Task Config_IncludeGitTracked_SnapshotsThemToo()
    {
        using var repo = await GitTrainingDirectoryAsync();
        await repo.RunOkAsync("config", Repository.IncludeGitTrackedKey, "yes");

        (await repo.RunOkAsync("config", Repository.IncludeGitTrackedKey)).Out.Should().Be("true\n");
        await repo.CommitAsync("everything");

        repo.ListFiles().Should().Equal("model.pt", "src/model.py", "train.py");
    }

    [Test]
    public async Task StatusIgnored_NamesTheRuleThatLeftEachPathOut()
    {
        using var repo = await GitTrainingDirectoryAsync();
        repo.Write(".lmvpignore", "# scratch\n*.tmp\nlogs/\n");
        repo.Write("x.tmp", "t");
        repo.Write("logs/run.txt", "l");
        Directory.CreateDirectory(repo.PathOf("src/sub"));

        var inSrc = await CliRepository.RunInAsync(repo.PathOf("src"), "status", "--ignored");

        inSrc.ExitCode.Should().Be(0, inSrc.ToString());
        inSrc.OutLines.Should().Equal(
            "## main",
            "?? ../.lmvpignore",
            "?? ../model.pt",
            "!! ../logs/     (.lmvpignore:3: logs/)",
            "!! model.py     (tracked by git)",
            "!! ../train.py  (tracked by git)",
            "!! ../x.tmp     (.lmvpignore:2: *.tmp)");
    }

    internal static async Task<string> Git(string directory, params string[] args)
    {
        var isolated = new Dictionary<string, string> { ["GIT_CONFIG_GLOBAL"] = "/dev/null", ["GIT_CONFIG_NOSYSTEM"] = "1" };
        var result = await LmvpProcess.RunProgramAsync("git", args, directory, isolated);
        result.ExitCode.Should().Be(0, $"git {string.Join(" ", args)}: {result}");
        return result.Out.TrimEnd('\n');
    }
}
