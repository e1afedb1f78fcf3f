using System.Text.Json;
using Lmvp.Cli.Tests.Support;

namespace Lmvp.Cli.Tests.Commands;

/// <summary><c>.lmvpignore</c> as status and commit see it.</summary>
public sealed class IgnoreFileTests
{
    private static async Task<(string[] Status, List<string> Committed)> StatusAndCommitAsync(CliRepository repo)
    {
        var status = (await repo.RunOkAsync("status")).OutLines.Skip(1).ToArray();
        await repo.CommitAsync("snapshot");
        using var doc = JsonDocument.Parse((await repo.RunOkAsync("show", "--json")).Out);
        var committed = doc.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()!).ToList();
        return (status, committed);
    }

    [Test]
    public async Task IgnoreFile_StarPattern_HidesMatchingFilesAtAnyDepth()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write(".lmvpignore", "# scratch files\n*.tmp\n");
        repo.Write("model.bin", "weights");
        repo.Write("scratch.tmp", "x");
        repo.Write("deep/er/also.tmp", "x");
        repo.Write("deep/er/kept.tmpx", "x");

        var (status, committed) = await StatusAndCommitAsync(repo);

        status.Should().Equal("?? .lmvpignore", "?? deep/er/kept.tmpx", "?? model.bin");
        committed.Should().BeEquivalentTo(".lmvpignore", "deep/er/kept.tmpx", "model.bin");
    }

    [Test]
    public async Task IgnoreFile_TrailingSlash_IgnoresDirectoriesOnly()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write(".lmvpignore", "cache/\n");
        repo.Write("cache/a.bin", "x");
        repo.Write("sub/cache/b.bin", "x");
        repo.Write("cache.txt", "kept");
        repo.Write("other/cache", "a file named cache is kept");

        var (status, committed) = await StatusAndCommitAsync(repo);

        status.Should().Equal("?? .lmvpignore", "?? cache.txt", "?? other/cache");
        committed.Should().BeEquivalentTo(".lmvpignore", "cache.txt", "other/cache");
    }

    [Test]
    public async Task IgnoreFile_Negation_ReincludesAFileAnEarlierPatternIgnored()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write(".lmvpignore", "*.log\n!keep.log\n");
        repo.Write("train.log", "x");
        repo.Write("keep.log", "important");
        repo.Write("logs/keep.log", "also kept: the pattern has no slash");

        var (status, committed) = await StatusAndCommitAsync(repo);

        status.Should().Equal("?? .lmvpignore", "?? keep.log", "?? logs/keep.log");
        committed.Should().BeEquivalentTo(".lmvpignore", "keep.log", "logs/keep.log");
    }

    [Test]
    public async Task IgnoreFile_LeadingSlash_AnchorsThePatternAtTheRoot()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write(".lmvpignore", "/build\n");
        repo.Write("build/out.bin", "x");
        repo.Write("src/build/kept.bin", "x");

        var (status, committed) = await StatusAndCommitAsync(repo);

        status.Should().Equal("?? .lmvpignore", "?? src/build/kept.bin");
        committed.Should().BeEquivalentTo(".lmvpignore", "src/build/kept.bin");
    }

    [Test]
    public async Task IgnoreFile_IgnoredFileChanging_LeavesStatusClean()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write(".lmvpignore", "*.tmp\n");
        repo.Write("model.bin", "weights");
        await repo.CommitAsync("first");
        repo.Write("new.tmp", "ignored");

        (await repo.RunOkAsync("status")).OutLines.Should().Equal("## main");
        (await repo.RunAsync("commit", "-m", "nothing")).ExitCode.Should().Be(1);
    }
}
