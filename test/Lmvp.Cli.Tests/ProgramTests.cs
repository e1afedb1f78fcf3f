using Lmvp.Testing;

namespace Lmvp.Cli.Tests;

/// <summary>The real <c>lmvp</c> program in its own process: exit codes and what reaches stdout and stderr.</summary>
public sealed class ProgramTests
{
    [Test]
    public async Task Program_InitCommitLogCheckout_SucceedEndToEnd()
    {
        using var dir = new TempDirectory("cli-e2e");
        File.WriteAllBytes(dir.Combine("model.bin"), TestData.Random(200_000, 1));

        (await LmvpProcess.RunAsync(dir.Path, "init")).ExitCode.Should().Be(0);
        var commit = await LmvpProcess.RunAsync(dir.Path, "commit", "-m", "epoch 1", "--metric", "loss=0.5", "--author", "E2E <e2e@example.com>");
        commit.ExitCode.Should().Be(0, commit.ToString());
        commit.OutLines[0].Should().MatchRegex(@"^\[main \(root-commit\) [0-9a-f]{12}\] epoch 1$");
        commit.Error.Should().BeEmpty("progress is drawn only when stderr is a terminal");

        var log = await LmvpProcess.RunAsync(dir.Path, "log", "--oneline");
        log.ExitCode.Should().Be(0);
        log.OutLines.Should().ContainSingle().Which.Should().EndWith("(HEAD -> main) epoch 1  loss=0.5");

        File.WriteAllBytes(dir.Combine("model.bin"), TestData.Random(200_000, 2));
        var switched = await LmvpProcess.RunAsync(dir.Path, "checkout", "-b", "exp");
        switched.ExitCode.Should().Be(0, "the new branch starts at HEAD, so the local change is carried over: " + switched);
        switched.Out.Should().BeEmpty();
        switched.ErrorLines.Should().Equal("Switched to a new branch 'exp'");
        File.ReadAllBytes(dir.Combine("model.bin")).Should().Equal(TestData.Random(200_000, 2));
    }

    [Test]
    public async Task Program_UnknownRevision_ExitsOneWithOneStderrLineAndNoStackTrace()
    {
        using var dir = new TempDirectory("cli-e2e");
        (await LmvpProcess.RunAsync(dir.Path, "init")).ExitCode.Should().Be(0);
        (await LmvpProcess.RunAsync(dir.Path, "commit", "-m", "empty start", "--allow-empty")).ExitCode.Should().Be(0);

        var result = await LmvpProcess.RunAsync(dir.Path, "show", "deadbeef");

        result.ExitCode.Should().Be(1);
        result.Out.Should().BeEmpty();
        result.ErrorLines.Should().Equal("error: Unknown revision 'deadbeef'.");
    }

    [Test]
    public async Task Program_UsageErrors_ExitTwo()
    {
        using var dir = new TempDirectory("cli-e2e");

        var badMetric = await LmvpProcess.RunAsync(dir.Path, "commit", "-m", "x", "--metric", "loss");
        badMetric.ExitCode.Should().Be(2);
        badMetric.ErrorLines.Should().Equal("error: --metric 'loss' must be name=value");

        var unknownOption = await LmvpProcess.RunAsync(dir.Path, "diff", "--frobnicate");
        unknownOption.ExitCode.Should().Be(2);
        unknownOption.Error.Should().StartWith("error: ").And.NotContain("   at ");
    }

    [Test]
    public async Task Program_Help_ExitsZero()
    {
        using var dir = new TempDirectory("cli-e2e");

        var result = await LmvpProcess.RunAsync(dir.Path, "checkout", "--help");

        result.ExitCode.Should().Be(0);
        result.Out.Should().Contain("--force").And.Contain("-b");
    }
}
