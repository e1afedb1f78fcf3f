using System.Text.Json;
using Lmvp.Cli.Tests.Support;
using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Cli.Tests.Commands;

public sealed class CommitCommandTests
{
    [Test]
    public async Task Commit_FirstCommit_PrintsRootCommitShortIdAndByteSummary()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("model.bin", TestData.Random(300_000, 1));
        repo.Write("config.json", "{}");

        var result = await repo.RunOkAsync("commit", "-m", "epoch 1\n\nlonger text", "--author", CliRepository.Author);

        var head = repo.Head();
        result.OutLines.Should().HaveCount(2);
        result.OutLines[0].Should().Be($"[main (root-commit) {head.ToShortString()}] epoch 1");
        result.OutLines[1].Should().MatchRegex(@"^ 2 files, 293\.0 KiB scanned, 293\.0 KiB read, 293\.0 KiB new after dedup, [0-9.]+ KiB stored( \([0-9.]+x\))? \(\d+ new chunks\)$");
        result.Error.Should().BeEmpty();
    }

    [Test]
    public async Task Commit_SecondCommit_NamesTheBranchWithoutRootMarker()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        await repo.CommitAsync("one");
        repo.Write("a.txt", "2");

        var result = await repo.RunOkAsync("commit", "-m", "two");

        result.OutLines[0].Should().Be($"[main {repo.Head().ToShortString()}] two");
    }

    [Test]
    public async Task Commit_NothingChanged_RefusesWithExitOneAndKeepsHead()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        var head = await repo.CommitAsync("one");

        var result = await repo.RunAsync("commit", "-m", "again");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: Nothing to commit").And.Contain("--allow-empty");
        repo.Head().Should().Be(head);
    }

    [Test]
    public async Task Commit_AllowEmpty_RecordsACommitWithTheSameTree()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        var first = await repo.CommitAsync("one");

        var second = await repo.CommitAsync("eval only", "--allow-empty", "--metric", "acc=0.9");

        second.Should().NotBe(first);
        using var store = Repository.Open(repo.Root);
        store.GetCommit(second).TreeId.Should().Be(store.GetCommit(first).TreeId);
        store.GetCommit(second).Parents.Should().Equal(first);
    }

    [Test]
    public async Task Commit_Metrics_AreRecordedFromFlagsAndFile()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        repo.Write("metrics.json", """{"loss": 0.41, "acc": 9e-1, "step": 1200}""");

        var head = await repo.CommitAsync("epoch 3", "--metrics-file", "metrics.json", "--metric", "lr=3e-4", "--metric", "loss=0.40");

        using var store = Repository.Open(repo.Root);
        store.GetCommit(head).Metrics.Should().Equal(
            new KeyValuePair<string, double>("acc", 0.9),
            new KeyValuePair<string, double>("loss", 0.40),
            new KeyValuePair<string, double>("lr", 3e-4),
            new KeyValuePair<string, double>("step", 1200));
    }

    [TestCase("loss", "must be name=value")]
    [TestCase("=0.5", "must be name=value")]
    [TestCase("loss=", "is not a number")]
    [TestCase("loss=abc", "is not a number")]
    [TestCase("loss=1,5", "is not a number")]
    [TestCase("loss=0x10", "is not a number")]
    public async Task Commit_BadMetric_ExitsTwoWithOneLineAndCommitsNothing(string metric, string expected)
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");

        var result = await repo.RunAsync("commit", "-m", "x", "--metric", metric);

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: --metric").And.Contain(expected);
        (await repo.RunAsync("log")).ExitCode.Should().Be(1, "no commit may have been made");
    }

    [TestCase("""{"loss": {"value": "0.4"}}""", "metric 'loss.value'")]
    [TestCase("""{"loss": "0.4"}""", "metric 'loss'")]
    [TestCase("""{"ok": 1, "flags": [1, 2]}""", "metric 'flags'")]
    [TestCase("""{"loss": null}""", "metric 'loss'")]
    [TestCase("""{"done": true}""", "metric 'done'")]
    [TestCase("""[0.4]""", "line 1, column 1: expected a JSON object")]
    [TestCase("""{"loss": 0.4""", "not valid JSON: line 1, column 13: expected ',' or '}' but the file ends")]
    [TestCase("{\n  \"loss\": 0.4\n  \"acc\": 0.9\n}", "not valid JSON: line 3, column 3: expected ',' or '}' after the value of 'loss'")]
    [TestCase("{\"loss\": nan}", "line 1, column 10: expected a value for 'loss'")]
    public async Task Commit_MetricsFileThatIsNotFlatNumbers_ExitsTwoWithOneLine(string json, string expected)
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        repo.Write("m.json", json);

        var result = await repo.RunAsync("commit", "-m", "x", "--metrics-file", "m.json");

        result.ExitCode.Should().Be(2, result.ToString());
        result.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: ").And.Contain(expected);
        (await repo.RunAsync("log")).ExitCode.Should().Be(1, "no commit may have been made");
    }

    [Test]
    public async Task Commit_MissingMetricsFile_ExitsTwoNamingIt()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");

        var result = await repo.RunAsync("commit", "-m", "x", "--metrics-file", "nope.json");

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be("error: metrics file 'nope.json' not found");
    }

    [Test]
    public async Task Commit_WithoutMessage_IsAUsageError()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");

        var result = await repo.RunAsync("commit");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("--message");
    }

    [Test]
    public async Task Commit_BlankMessage_IsAUsageError()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");

        var result = await repo.RunAsync("commit", "-m", "  ");

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().ContainSingle().Which.Should().Be("error: A commit needs a message.");
    }

    [Test]
    public async Task Commit_Author_IsRecorded()
    {
        using var repo = await CliRepository.InitAsync();
        repo.Write("a.txt", "1");
        await repo.RunOkAsync("commit", "-m", "x", "--author", "Ada <ada@example.com>");

        using var doc = JsonDocument.Parse((await repo.RunOkAsync("log", "--json")).Out);
        doc.RootElement[0].GetProperty("author").GetString().Should().Be("Ada <ada@example.com>");
    }
}
