using System.Text.Json;
using Lmvp.Cli.Tests.Support;
using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Commands;

public sealed class LogCommandTests
{
    private static async Task<(CliRepository Repo, ObjectId[] Commits)> ThreeCommitsAsync()
    {
        var repo = await CliRepository.InitAsync();
        var ids = new ObjectId[3];
        for (var i = 0; i < 3; i++)
        {
            repo.Write("model.bin", TestData.Random(1000, i));
            ids[i] = await repo.CommitAsync($"epoch {i + 1}", "--metric", $"loss={0.5 - (i * 0.1):0.0}");
        }

        return (repo, ids);
    }

    [Test]
    public async Task Log_Default_ShowsEveryCommitNewestFirstWithAuthorDateMetricsAndMessage()
    {
        var (repo, ids) = await ThreeCommitsAsync();
        using var _ = repo;

        var result = await repo.RunOkAsync("log");

        var commitLines = result.OutLines.Where(l => l.StartsWith("commit ", StringComparison.Ordinal)).ToList();
        commitLines.Should().Equal($"commit {ids[2]} (HEAD -> main)", $"commit {ids[1]}", $"commit {ids[0]}");
        result.Out.Should().Contain($"Author:  {CliRepository.Author}\n").And.Contain("Metrics: loss=0.3\n").And.Contain("\n    epoch 3\n");
        result.OutLines.Should().Contain(l => l.StartsWith("Date:    ", StringComparison.Ordinal) && l.EndsWith(" UTC", StringComparison.Ordinal));
    }

    [Test]
    public async Task Log_Oneline_PrintsShortIdDecorationsSubjectAndMetrics()
    {
        var (repo, ids) = await ThreeCommitsAsync();
        using var _ = repo;
        await repo.RunOkAsync("tag", "best", ids[1].ToShortString());

        var result = await repo.RunOkAsync("log", "--oneline");

        result.OutLines.Should().Equal(
            $"{ids[2].ToShortString()} (HEAD -> main) epoch 3  loss=0.3",
            $"{ids[1].ToShortString()} (tag: best) epoch 2  loss=0.4",
            $"{ids[0].ToShortString()} epoch 1  loss=0.5");
    }

    [Test]
    public async Task Log_MaxCount_LimitsTheNumberOfCommits()
    {
        var (repo, ids) = await ThreeCommitsAsync();
        using var _ = repo;

        (await repo.RunOkAsync("log", "--oneline", "-n", "2")).OutLines.Should().HaveCount(2);
        (await repo.RunOkAsync("log", "--oneline", "--max-count", "1")).OutLines.Should().ContainSingle().Which.Should().StartWith(ids[2].ToShortString());
        (await repo.RunOkAsync("log", "--oneline", "-n", "0")).OutLines.Should().BeEmpty();
    }

    [Test]
    public async Task Log_Revision_StartsThere()
    {
        var (repo, ids) = await ThreeCommitsAsync();
        using var _ = repo;

        (await repo.RunOkAsync("log", "--oneline", "HEAD~1")).OutLines.Select(l => l[..12]).Should().Equal(ids[1].ToShortString(), ids[0].ToShortString());
    }

    [Test]
    public async Task Log_Json_HoldsIdsParentsMetricsAndRefs()
    {
        var (repo, ids) = await ThreeCommitsAsync();
        using var _ = repo;

        using var doc = JsonDocument.Parse((await repo.RunOkAsync("log", "--json", "-n", "2")).Out);

        var commits = doc.RootElement.EnumerateArray().ToList();
        commits.Should().HaveCount(2);
        commits[0].GetProperty("id").GetString().Should().Be(ids[2].ToString());
        commits[0].GetProperty("parents").EnumerateArray().Select(p => p.GetString()).Should().Equal(ids[1].ToString());
        commits[0].GetProperty("metrics").GetProperty("loss").GetDouble().Should().Be(0.3);
        commits[0].GetProperty("refs").EnumerateArray().Select(r => r.GetString()).Should().Equal("HEAD -> main");
        commits[1].GetProperty("message").GetString().Should().Be("epoch 2");
    }

    [Test]
    public async Task Log_NoCommitsYet_ExitsOneWithOneLine()
    {
        using var repo = await CliRepository.InitAsync();

        var result = await repo.RunAsync("log");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be("error: Your current branch 'main' does not have any commits yet.");
    }

    [Test]
    public async Task Log_NegativeCount_IsAUsageError()
    {
        var (repo, _) = await ThreeCommitsAsync();
        using var __ = repo;

        var result = await repo.RunAsync("log", "-n", "-1");

        result.ExitCode.Should().Be(2);
    }
}
