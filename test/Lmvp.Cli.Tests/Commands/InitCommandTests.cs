using Lmvp.Cli.Tests.Support;

namespace Lmvp.Cli.Tests.Commands;

public sealed class InitCommandTests
{
    [Test]
    public async Task Init_EmptyDirectory_CreatesRepositoryAndSaysWhere()
    {
        using var dir = CliRepository.Uninitialized();
        var result = await dir.RunAsync("init");

        result.ExitCode.Should().Be(0);
        result.Out.Should().Be($"Initialized empty lmvp repository in {Path.Combine(dir.Root, ".lmvp")}\n");
        File.Exists(Path.Combine(dir.Root, ".lmvp", "lmvp.db")).Should().BeTrue();
        (await dir.RunAsync("status")).Out.Should().Be("## main\n");
    }

    [Test]
    public async Task Init_Twice_FailsWithOneLineError()
    {
        using var repo = await CliRepository.InitAsync();
        var result = await repo.RunAsync("init");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be($"error: {repo.Root} is already an lmvp repository.");
    }

    [Test]
    public async Task Init_DirectoryArgument_IsRelativeToTheWorkingDirectory()
    {
        using var dir = CliRepository.Uninitialized();
        var result = await dir.RunAsync("init", "runs/exp1");

        result.ExitCode.Should().Be(0);
        Directory.Exists(Path.Combine(dir.Root, "runs", "exp1", ".lmvp")).Should().BeTrue();
    }
}
