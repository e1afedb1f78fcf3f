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
    public async Task Program_PacksWrittenWithZstdSharp_ReadWithLibZstd_AndBack()
    {
        // LMVP_ZSTD=managed is the fallback for a machine without libzstd.so.1: what either writes, the other checks out and fscks.
        using var dir = new TempDirectory("cli-e2e");
        var managed = new Dictionary<string, string> { ["LMVP_ZSTD"] = "managed" };
        var weights = ModelFiles.Safetensors([new TestTensor("w", "F32", [256, 256], ModelFiles.NormalFloats(65536, 7))]);
        (await LmvpProcess.RunAsync(dir.Path, "init")).ExitCode.Should().Be(0);
        File.WriteAllBytes(dir.Combine("model.safetensors"), weights);
        File.WriteAllText(dir.Combine("log.txt"), string.Concat(Enumerable.Range(0, 3000).Select(i => $"step {i} loss 0.{i % 97}\n")));
        var first = await LmvpProcess.RunAsync(dir.Path, ["commit", "-m", "by ZstdSharp"], managed);
        first.ExitCode.Should().Be(0, first.ToString());
        var weights2 = ModelFiles.Safetensors([new TestTensor("w", "F32", [256, 256], ModelFiles.NormalFloats(65536, 8))]);
        File.WriteAllBytes(dir.Combine("model.safetensors"), weights2);
        (await LmvpProcess.RunAsync(dir.Path, "commit", "-m", "by libzstd")).ExitCode.Should().Be(0);

        var fsck = await LmvpProcess.RunAsync(dir.Path, "fsck");
        fsck.ExitCode.Should().Be(0, fsck.ToString());
        var fsckManaged = await LmvpProcess.RunAsync(dir.Path, ["fsck"], managed);
        fsckManaged.ExitCode.Should().Be(0, fsckManaged.ToString());

        (await LmvpProcess.RunAsync(dir.Path, "checkout", "HEAD~1")).ExitCode.Should().Be(0);
        File.ReadAllBytes(dir.Combine("model.safetensors")).Should().Equal(weights);
        (await LmvpProcess.RunAsync(dir.Path, ["checkout", "main"], managed)).ExitCode.Should().Be(0);
        File.ReadAllBytes(dir.Combine("model.safetensors")).Should().Equal(weights2);
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
