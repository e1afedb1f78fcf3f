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
    public async Task Help_InARepository_NamesArgumentsWithoutReadingTheRepository()
    {
        using var repo = await CliRepository.InitAsync();
        await repo.CommitAsync("epoch 1", "--allow-empty");
        await repo.RunOkAsync("branch", "exp");

        // Help that listed completions as argument names (<HEAD|exp|main>) opened the repository once per revision argument.
        var root = await repo.RunOkAsync("--help");
        var log = await repo.RunOkAsync("log", "--help");

        root.Out.Should().Contain("log <revision>").And.Contain("checkout <revision>").And.NotContain("HEAD|");
        log.Out.Should().Contain(" log [<revision>] [options]").And.Contain("<revision>  Where to start").And.NotContain("HEAD|");
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

    [TestCase(new[] { "comit", "-m", "x" }, "error: 'comit' is not an lmvp command; did you mean 'commit'? See 'lmvp --help'.")]
    [TestCase(new[] { "stauts" }, "error: 'stauts' is not an lmvp command; did you mean 'status'? See 'lmvp --help'.")]
    [TestCase(new[] { "add", "model.pt" }, "error: 'add' is not an lmvp command: 'lmvp commit' snapshots every file, there is nothing to add first. See 'lmvp --help'.")]
    [TestCase(new[] { "frobnicate" }, "error: 'frobnicate' is not an lmvp command. See 'lmvp --help'.")]
    [TestCase(new[] { "remote", "ad", "x", "y" }, "error: 'ad' is not a 'lmvp remote' command; did you mean 'add'? See 'lmvp remote --help'.")]
    [TestCase(new[] { "log", "--onelin" }, "error: unknown option '--onelin' for 'lmvp log'; did you mean '--oneline'? See 'lmvp log --help'.")]
    [TestCase(new[] { "status", "--ignore" }, "error: unknown option '--ignore' for 'lmvp status'; did you mean '--ignored'? See 'lmvp status --help'.")]
    [TestCase(new[] { "commit", "--metric", "a=1" }, "error: Option '--message' is required. See 'lmvp commit --help'.")]
    [TestCase(new[] { "remote", "add", "origin" }, "error: Required argument missing for command: 'add'. See 'lmvp remote add --help'.")]
    public async Task UsageErrors_AreOneLineWithDidYouMeanAndTheCommandsOwnHelp(string[] args, string expected)
    {
        using var dir = CliRepository.Uninitialized();
        var result = await dir.RunAsync(args);

        result.ExitCode.Should().Be(LmvpCommandLine.ExitUsage);
        result.ErrorLines.Should().Equal(expected);
        result.Out.Should().BeEmpty();
    }

    [TestCase("comit", "commit", 1)]
    [TestCase("stauts", "status", 1)]
    [TestCase("checkuot", "checkout", 1)]
    [TestCase("psuh", "push", 1)]
    public void Distance_CountsASwapOfNeighboursAsOneEdit(string typed, string meant, int distance)
    {
        Suggestions.Distance(typed, meant).Should().Be(distance);
        Suggestions.Closest(typed, ["commit", "status", "checkout", "push", "pull"]).Should().Be(meant);
    }
}
