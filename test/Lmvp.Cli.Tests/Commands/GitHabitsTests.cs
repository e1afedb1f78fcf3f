using Lmvp.Cli.Tests.Support;
using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Commands;

/// <summary>The git habits people bring: remote -v, branch -a/-r, ls-files, ls-tree, config, checkout HEAD, relative paths, plurals.</summary>
public sealed class GitHabitsTests
{
    [Test]
    public async Task RemoteVerbose_PrintsFetchAndPushLinesAsGitDoes_AndPlainRemotePrintsNames()
    {
        using var repo = await CliRepository.InitAsync();
        await repo.RunOkAsync("remote", "add", "origin", "http://127.0.0.1:9/acme/model");
        await repo.RunOkAsync("remote", "add", "backup", "http://127.0.0.1:9/acme/copy");

        (await repo.RunOkAsync("remote")).OutLines.Should().Equal("backup", "origin");
        (await repo.RunOkAsync("remote", "-v")).OutLines.Should().Equal(
            "backup\thttp://127.0.0.1:9/acme/copy (fetch)",
            "backup\thttp://127.0.0.1:9/acme/copy (push)",
            "origin\thttp://127.0.0.1:9/acme/model (fetch)",
            "origin\thttp://127.0.0.1:9/acme/model (push)");
    }

    [Test]
    public async Task BranchAllAndRemotes_ListRemoteTrackingBranches()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        var head = await repo.CommitAsync("one");
        await repo.RunOkAsync("branch", "exp");
        using (var store = Repository.Open(repo.Root))
        {
            store.UpdateRef("refs/remotes/origin/main", head);
        }

        var id = head.ToShortString();
        (await repo.RunOkAsync("branch", "-r")).OutLines.Should().Equal($"  origin/main  {id} one");
        (await repo.RunOkAsync("branch", "-a")).OutLines.Should().Equal($"  exp                  {id} one", $"* main                 {id} one", $"  remotes/origin/main  {id} one");
        (await repo.RunOkAsync("branch")).OutLines.Should().Equal($"  exp   {id} one", $"* main  {id} one");
    }

    [Test]
    public async Task LsFiles_ListsTheCommitsFilesUnderTheCurrentDirectory_RelativeToIt()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("data/train.bin", "tt");
        repo.Write("data/sub/val.bin", "v");
        repo.Write("model.pt", "m");
        await repo.CommitAsync("one");
        repo.Write("data/new.bin", "not committed");

        (await repo.RunOkAsync("ls-files")).OutLines.Should().Equal("data/sub/val.bin", "data/train.bin", "model.pt");
        var inData = await CliRepository.RunInAsync(repo.PathOf("data"), "ls-files", "-l");
        inData.ExitCode.Should().Be(0);
        inData.OutLines.Should().HaveCount(2);
        inData.OutLines[0].Should().MatchRegex(@"^100644 blob [0-9a-f]{64} 1\tsub/val\.bin$");
        inData.OutLines[1].Should().MatchRegex(@"^100644 blob [0-9a-f]{64} 2\ttrain\.bin$");
    }

    [Test]
    public async Task LsTree_ListsADirectoryOfACommit_AndRecursesWithR()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("data/train.bin", "tt");
        repo.Write("model.pt", TestData.Random(1234, 3));
        var first = await repo.CommitAsync("one");
        repo.Write("model.pt", "changed");
        await repo.CommitAsync("two");

        var root = (await repo.RunOkAsync("ls-tree", first.ToShortString())).OutLines;
        root.Should().HaveCount(2);
        root[0].Should().MatchRegex(@"^040000 tree [0-9a-f]{64}    -\tdata$");
        root[1].Should().MatchRegex(@"^100644 blob [0-9a-f]{64} 1234\tmodel\.pt$");
        (await repo.RunOkAsync("ls-tree", "HEAD", "data")).OutLines.Should().ContainSingle().Which.Should().EndWith(" 2\tdata/train.bin");
        (await repo.RunOkAsync("ls-tree", "-r", "HEAD")).OutLines.Select(l => l.Split('\t')[1]).Should().Equal("data/train.bin", "model.pt");

        var missing = await repo.RunAsync("ls-tree", "HEAD", "nope");
        missing.ExitCode.Should().Be(1);
        missing.ErrorLines.Should().ContainSingle().Which.Should().Be("error: Path 'nope' does not exist in 'HEAD'.");
    }

    [Test]
    public async Task Config_GetSetUnsetList_AndUserNameIsTheAuthor()
    {
        using var repo = await CliRepository.InitAsync();
        await repo.RunOkAsync("config", "user.name", "Ada Lovelace");
        await repo.RunOkAsync("config", "user.email", "ada@example.com");

        (await repo.RunOkAsync("config", "user.name")).Out.Should().Be("Ada Lovelace\n");
        (await repo.RunOkAsync("config", "--list")).OutLines.Should().Equal("user.email=ada@example.com", "user.name=Ada Lovelace");
        repo.Write("a.txt", "1");
        await repo.RunOkAsync("commit", "-m", "one");
        using (var store = Repository.Open(repo.Root))
        {
            store.GetCommit(store.Head!.Value).Author.Should().Be("Ada Lovelace <ada@example.com>");
        }

        await repo.RunOkAsync("config", "--unset", "user.email");
        (await repo.RunAsync("config", "user.email")).Should().Match<ProcessResult>(r => r.ExitCode == 1 && r.Out.Length == 0 && r.Error.Length == 0);
        var typo = await repo.RunAsync("config", "user.nmae", "x");
        typo.ExitCode.Should().Be(2);
        typo.ErrorLines.Should().ContainSingle().Which.Should().Be("error: unknown setting 'user.nmae'; did you mean 'user.name'?");
        var notBoolean = await repo.RunAsync("config", Repository.IncludeGitTrackedKey, "maybe");
        notBoolean.ErrorLines.Should().ContainSingle().Which.Should().Be($"error: {Repository.IncludeGitTrackedKey} is true or false, not 'maybe'");
    }

    [Test]
    public async Task CheckoutForceHead_DiscardsChangesAndStaysOnTheBranch()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        await repo.CommitAsync("one");
        repo.Write("a.txt", "edited");

        var result = await repo.RunOkAsync("checkout", "--force", "HEAD");

        repo.CurrentBranch().Should().Be("main", "git checkout --force HEAD does not detach");
        File.ReadAllText(repo.PathOf("a.txt")).Should().Be("1");
        result.ErrorLines.Should().Equal("Already on 'main'");
    }

    [Test]
    public async Task StatusAndDiff_InASubdirectory_PrintPathsRelativeToIt()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("data/a.bin", "1");
        repo.Write("logs/run.txt", "1");
        await repo.CommitAsync("one");
        repo.Write("data/a.bin", "22");
        repo.Write("logs/run.txt", "22");
        repo.Write("data/b.bin", "3");

        var status = await CliRepository.RunInAsync(repo.PathOf("data"), "status");
        status.OutLines.Should().Equal("## main", " M a.bin", "?? b.bin", " M ../logs/run.txt");
        var diff = await CliRepository.RunInAsync(repo.PathOf("logs"), "diff");
        diff.OutLines[0].Should().StartWith("modified  ../data/a.bin ");
        diff.OutLines[1].Should().StartWith("added     ../data/b.bin ");
        diff.OutLines[2].Should().StartWith("modified  run.txt ");
        (await CliRepository.RunInAsync(repo.PathOf("data"), "status", "--json")).Out.Should().Contain("\"path\": \"data/a.bin\"", "scripts get root paths");
    }

    [Test]
    public async Task Counts_UseTheSingularForOne()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");

        var commit = await repo.RunOkAsync("commit", "-m", "one");
        commit.OutLines[1].Should().MatchRegex(@"^ 1 file, 1 B scanned, 1 B read, 1 B new after dedup, \d+ B stored \(1 new chunk\)$");
        repo.Write("a.txt", "2");
        (await repo.RunOkAsync("diff")).OutLines[^1].Should().StartWith(" 1 file changed (1 modified)");
        (await repo.RunOkAsync("show")).Out.Should().Contain("\n1 file, 1 B\n");
        (await repo.RunOkAsync("gc", "--dry-run")).Out.Should().Be("would free 0 B; nothing was changed\n");
    }

    [Test]
    public async Task Push_ABranchThatDoesNotExist_SaysSoWithoutTalkingToTheServer()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        await repo.CommitAsync("one");
        await repo.RunOkAsync("remote", "add", "origin", "http://127.0.0.1:9/acme/model");

        var result = await repo.RunAsync("push", "origin", "nosuchbranch");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be("error: No branch 'nosuchbranch' to push (see 'lmvp branch'; remote-tracking branches are not pushed).");
    }
}
