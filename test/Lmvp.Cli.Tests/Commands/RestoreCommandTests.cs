using Lmvp.Cli.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Commands;

public sealed class RestoreCommandTests
{
    private static async Task<CliRepository> RepositoryAsync()
    {
        var repo = await CliRepository.InitAsync();
        repo.Write("model.bin", TestData.Random(400_000, 1));
        repo.Write("ckpt/a.bin", TestData.Random(5000, 2));
        repo.Write("ckpt/deep/b.bin", TestData.Random(5000, 3));
        repo.Write("ckpt2/c.bin", "a sibling whose name starts like ckpt");
        await repo.CommitAsync("first");
        return repo;
    }

    [Test]
    public async Task Restore_DeletedAndModifiedFiles_ComeBackByteIdentical()
    {
        using var repo = await RepositoryAsync();
        var committed = repo.Fingerprint();
        File.Delete(repo.PathOf("model.bin"));
        repo.Write("ckpt/a.bin", "scribbled");

        var result = await repo.RunOkAsync("restore", "model.bin", "ckpt/a.bin");

        result.Out.Should().BeEmpty();
        repo.Fingerprint().Should().Equal(committed);
        (await repo.RunOkAsync("status")).OutLines.Should().Equal("## main");
    }

    [Test]
    public async Task Restore_Directory_RestoresEveryFileUnderItAndNothingElse()
    {
        using var repo = await RepositoryAsync();
        var committed = repo.Fingerprint();
        repo.Write("ckpt/a.bin", "changed");
        File.Delete(repo.PathOf("ckpt/deep/b.bin"));
        repo.Write("ckpt2/c.bin", "changed outside the directory");
        repo.Write("model.bin", "changed outside the directory");

        await repo.RunOkAsync("restore", "ckpt/");

        var now = repo.Fingerprint();
        now["ckpt/a.bin"].Should().Be(committed["ckpt/a.bin"]);
        now["ckpt/deep/b.bin"].Should().Be(committed["ckpt/deep/b.bin"]);
        now["ckpt2/c.bin"].Should().NotBe(committed["ckpt2/c.bin"]);
        now["model.bin"].Should().NotBe(committed["model.bin"]);
    }

    [Test]
    public async Task Restore_Source_TakesAnOlderVersionWithoutMovingHead()
    {
        using var repo = await RepositoryAsync();
        var first = repo.Fingerprint();
        repo.Write("model.bin", TestData.Random(400_000, 9));
        var second = await repo.CommitAsync("second");

        await repo.RunOkAsync("restore", "--source", "HEAD~1", "model.bin");

        repo.Fingerprint()["model.bin"].Should().Be(first["model.bin"]);
        repo.Head().Should().Be(second);
        repo.CurrentBranch().Should().Be("main");
        (await repo.RunOkAsync("status")).OutLines.Should().Equal("## main", " M model.bin");

        await repo.RunOkAsync("restore", "-s", second.ToShortString(), ".");
        (await repo.RunOkAsync("status")).OutLines.Should().Equal("## main");
    }

    [Test]
    public async Task Restore_PathsAreRelativeToTheCurrentDirectory()
    {
        using var repo = await RepositoryAsync();
        var committed = repo.Fingerprint();
        File.Delete(repo.PathOf("ckpt/deep/b.bin"));
        File.Delete(repo.PathOf("model.bin"));

        var result = await CliRepository.RunInAsync(repo.PathOf("ckpt"), "restore", "deep/b.bin", "../model.bin");

        result.ExitCode.Should().Be(0, result.ToString());
        repo.Fingerprint().Should().Equal(committed);
    }

    [Test]
    public async Task Restore_PathOutsideTheRepository_ExitsOneAndWritesNothing()
    {
        using var repo = await RepositoryAsync();
        File.Delete(repo.PathOf("model.bin"));

        var result = await repo.RunAsync("restore", "model.bin", "../elsewhere.bin");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Contain("is outside the repository");
        repo.Exists("model.bin").Should().BeFalse("nothing is written when any path is refused");
    }

    [Test]
    public async Task Restore_PathNotInTheSource_ExitsOneNamingIt()
    {
        using var repo = await RepositoryAsync();
        File.Delete(repo.PathOf("model.bin"));

        var result = await repo.RunAsync("restore", "model.bin", "ckp");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be("error: Path 'ckp' did not match any file in HEAD.");
        repo.Exists("model.bin").Should().BeFalse();
    }

    [Test]
    public async Task Restore_UnknownSource_ExitsOne()
    {
        using var repo = await RepositoryAsync();

        var result = await repo.RunAsync("restore", "--source", "v9", "model.bin");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be("error: Unknown revision 'v9'.");
    }

    [Test]
    public async Task Restore_WithoutPaths_IsAUsageError()
    {
        using var repo = await RepositoryAsync();

        (await repo.RunAsync("restore")).ExitCode.Should().Be(2);
    }
}
