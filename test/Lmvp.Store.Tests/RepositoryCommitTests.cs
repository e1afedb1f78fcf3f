using Lmvp.Store.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Store.Tests;

public class RepositoryCommitTests
{
    [Test]
    public void Commit_ThenLog_ShowsHistoryNewestFirstWithParents()
    {
        using var scratch = new ScratchRepository("log");
        scratch.Write("a.bin", [1]);
        var c1 = scratch.Commit("one").Commit;
        scratch.Write("a.bin", [2]);
        var c2 = scratch.Commit("two").Commit;
        scratch.Write("b.bin", [3]);
        var c3 = scratch.Commit("three\n\nbody").Commit;

        var log = scratch.Repository.Log().ToList();

        log.Select(c => c.Id).Should().Equal(c3.Id, c2.Id, c1.Id);
        log.Select(c => c.Subject).Should().Equal("three", "two", "one");
        c1.Parents.Should().BeEmpty();
        c2.Parents.Should().Equal(c1.Id);
        c3.Parents.Should().Equal(c2.Id);
        scratch.Repository.Head.Should().Be(c3.Id);
        scratch.Repository.ListBranches().Should().Equal(new BranchInfo("main", c3.Id, true));
        scratch.Repository.Log("HEAD~1").Select(c => c.Id).Should().Equal(c2.Id, c1.Id);
        scratch.Repository.ResolveCommit(c2.Id.ToShortString()).Should().Be(c2.Id);
    }

    [Test]
    public void Commit_RecordsEveryFileByteForByte_UnderItsBlake3Id()
    {
        using var scratch = new ScratchRepository("files");
        var files = new Dictionary<string, byte[]>
        {
            ["top.bin"] = TestData.Random(300_000, seed: 1),
            ["nested/dir/deep.bin"] = TestData.Random(5_000_000, seed: 2), // the multi-buffer pipeline
            ["nested/small.txt"] = "hello\n"u8.ToArray(),
        };
        foreach (var (path, content) in files)
        {
            scratch.Write(path, content);
        }

        var result = scratch.Commit();

        var listed = scratch.Repository.ListFiles(result.Commit.Id);
        listed.Select(kv => kv.Key).Should().Equal("nested/dir/deep.bin", "nested/small.txt", "top.bin");
        foreach (var (path, entry) in listed)
        {
            entry.Kind.Should().Be(TreeEntryKind.File);
            entry.Size.Should().Be(files[path].Length);
            entry.Id.Should().Be(Hashes.Of(files[path]));
            using var stream = scratch.Repository.OpenFile(entry.Id);
            Hashes.OfStream(stream).Should().Be(entry.Id);
        }

        result.FilesRead.Should().Be(3);
        result.FilesUnchanged.Should().Be(0);
        result.BytesScanned.Should().Be(files.Values.Sum(f => (long)f.Length));
        result.BytesRead.Should().Be(result.BytesScanned);
        result.BytesStored.Should().BeGreaterThan(result.BytesScanned, "random bytes do not compress and entries have headers");
    }

    [Test]
    public void Commit_IdenticalContentTwice_StoresItsChunksOnce()
    {
        using var scratch = new ScratchRepository("dedup");
        var content = TestData.Random(2_000_000, seed: 4);
        scratch.Write("a.bin", content);
        var first = scratch.Commit("a");
        scratch.Write("copy/b.bin", content);
        var second = scratch.Commit("b");

        second.NewChunks.Should().Be(0);
        second.BytesStored.Should().BeLessThan(10_000, "only the new tree and commit objects are stored");
        first.NewChunks.Should().Be(scratch.Repository.Store.GetManifest(Hashes.Of(content)).Chunks.Count);
    }

    [Test]
    public void Commit_NothingChanged_IsRefused_UnlessAllowEmpty()
    {
        using var scratch = new ScratchRepository("empty");
        scratch.Write("a.bin", [1]);
        var first = scratch.Commit("one").Commit;

        var again = () => scratch.Commit("again");
        again.Should().Throw<NothingToCommitException>().WithMessage("*--allow-empty*");
        scratch.Repository.Head.Should().Be(first.Id);

        var empty = scratch.Commit("allowed", allowEmpty: true).Commit;
        empty.TreeId.Should().Be(first.TreeId);
        empty.Parents.Should().Equal(first.Id);
    }

    [Test]
    public void Commit_OfAnEmptyDirectory_IsRefused_UnlessAllowEmpty_ThenRecordsAnEmptyTree()
    {
        using var scratch = new ScratchRepository("nofiles");
        var refused = () => scratch.Commit("nothing yet");
        refused.Should().Throw<NothingToCommitException>();
        var commit = scratch.Commit("nothing yet", allowEmpty: true).Commit;
        scratch.Repository.ListFiles(commit.Id).Should().BeEmpty();
        scratch.Repository.GetTree(commit.TreeId).Entries.Should().BeEmpty();
    }

    [TestCase("")]
    [TestCase("   ")]
    public void Commit_WithoutMessage_IsAnArgumentError(string message)
    {
        using var scratch = new ScratchRepository("nomsg");
        var commit = () => scratch.Repository.Commit(new CommitOptions { Message = message });
        commit.Should().Throw<ArgumentException>();
        scratch.Repository.Head.Should().BeNull();
    }

    [Test]
    public void Commit_NaNMetricAndParams_AreRecordedAndReadBack()
    {
        using var scratch = new ScratchRepository("nanmetric");
        scratch.Write("a.bin", [1]);

        var made = scratch.Repository.Commit(new CommitOptions
        {
            Message = "diverged",
            Metrics = new Dictionary<string, double> { ["loss"] = double.NaN },
            Params = new Dictionary<string, ParamValue> { ["lr"] = 0.1, ["optimizer"] = "sgd" },
        });

        var read = scratch.Repository.GetCommit(made.Commit.Id);
        double.IsNaN(read.Metrics.Single().Value).Should().BeTrue();
        read.Params.Should().Equal(new KeyValuePair<string, ParamValue>("lr", 0.1), new KeyValuePair<string, ParamValue>("optimizer", "sgd"));
    }

    private static IEnumerable<TestCaseData> BadMetrics()
    {
        yield return new TestCaseData(new Dictionary<string, double> { [" "] = 1 }, "*name*").SetName("Commit_BlankMetricName_IsRefusedAndRecordsNothing");
        yield return new TestCaseData(Enumerable.Range(0, Commit.MaxMetrics + 1).ToDictionary(i => $"layer{i}/norm", i => (double)i), "*at most*")
            .SetName("Commit_MoreMetricsThanACommitCanHold_IsRefusedAndRecordsNothing");
    }

    [TestCaseSource(nameof(BadMetrics))]
    public void Commit_InvalidMetric_IsRefusedAndRecordsNothing(Dictionary<string, double> metrics, string message)
    {
        using var scratch = new ScratchRepository("badmetric");
        scratch.Write("a.bin", [1]);
        var commit = () => scratch.Commit(metrics: metrics);
        commit.Should().Throw<ArgumentException>().WithMessage(message);
        scratch.Repository.Head.Should().BeNull();
        scratch.Repository.Database.ListPacks().Should().BeEmpty("no pack is published for a refused commit");
        Directory.GetFiles(Path.Combine(scratch.Repository.RepositoryDirectory, "packs")).Should().BeEmpty();
    }

    [Test]
    public void Commit_OnADetachedHead_MovesHeadOnly()
    {
        using var scratch = new ScratchRepository("detached");
        scratch.Write("a.bin", [1]);
        var c1 = scratch.Commit("one").Commit;
        scratch.Write("a.bin", [2]);
        var c2 = scratch.Commit("two").Commit;
        scratch.Repository.Checkout(c1.Id.ToString());
        scratch.Repository.CurrentBranch.Should().BeNull();
        scratch.Write("a.bin", [3]);

        var c3 = scratch.Commit("three").Commit;

        c3.Parents.Should().Equal(c1.Id);
        scratch.Repository.Head.Should().Be(c3.Id);
        scratch.Repository.GetRef("refs/heads/main").Should().Be(c2.Id);
    }
}
