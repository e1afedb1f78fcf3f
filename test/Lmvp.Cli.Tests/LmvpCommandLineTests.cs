using Lmvp.Cli.Tests.Support;

namespace Lmvp.Cli.Tests;

public sealed class LmvpCommandLineTests
{
    private static IEnumerable<string> SubcommandNames()
    {
        var root = LmvpCommandLine.Build(new CliContext(TextWriter.Null, TextWriter.Null, Path.GetTempPath(), ErrorIsTerminal: false));
        return root.Subcommands.Select(c => c.Name);
    }

    [Test]
    public void Build_RegistersEveryLocalVerb()
    {
        SubcommandNames().Should().Contain(["init", "status", "commit", "log", "show", "diff", "checkout", "restore", "branch", "tag"]);
    }

    [TestCaseSource(nameof(SubcommandNames))]
    public async Task Help_OnEverySubcommand_ExitsZeroAndDescribesIt(string name)
    {
        using var dir = CliRepository.Uninitialized();
        var result = await dir.RunAsync(name, "--help");

        result.ExitCode.Should().Be(0, result.ToString());
        result.Out.Should().Contain("Usage:").And.Contain(name);
        result.Error.Should().BeEmpty();
    }

    [Test]
    public async Task Help_OnRoot_ListsCommands()
    {
        using var dir = CliRepository.Uninitialized();
        var result = await dir.RunAsync("--help");

        result.ExitCode.Should().Be(0);
        result.Out.Should().Contain("checkout").And.Contain("restore").And.Contain("branch");
    }

    [Test]
    public async Task UnknownCommand_ExitsTwoWithErrorOnStderr()
    {
        using var dir = CliRepository.Uninitialized();
        var result = await dir.RunAsync("frobnicate");

        result.ExitCode.Should().Be(LmvpCommandLine.ExitUsage);
        result.ErrorLines[0].Should().StartWith("error: ");
        result.Out.Should().BeEmpty();
    }

    [TestCase("log")]
    [TestCase("show")]
    [TestCase("diff")]
    [TestCase("checkout")]
    [TestCase("branch")]
    [TestCase("tag")]
    [TestCase("commit")]
    public async Task UnknownOption_ExitsTwoNamingIt(string verb)
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "a");
        await repo.CommitAsync("first");

        var result = await repo.RunAsync(verb, "--no-such-option");

        result.ExitCode.Should().Be(LmvpCommandLine.ExitUsage, result.ToString());
        result.ErrorLines[0].Should().StartWith("error: ").And.Contain("--no-such-option");
    }

    [TestCase("status")]
    [TestCase("log")]
    [TestCase("show")]
    [TestCase("diff")]
    [TestCase("branch")]
    [TestCase("tag")]
    public async Task AnyCommand_OutsideARepository_ExitsOneWithOneLine(string verb)
    {
        using var dir = CliRepository.Uninitialized();
        var result = await dir.RunAsync(verb);

        result.ExitCode.Should().Be(LmvpCommandLine.ExitFailure);
        result.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: Not an lmvp repository");
    }
}
