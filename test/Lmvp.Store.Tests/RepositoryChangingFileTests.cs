using Lmvp.Store.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Store.Tests;

/// <summary>A file that changes while it is being committed: the commit retries and records one version that really
/// existed, or fails with a clear error and records nothing. It never records a mix.</summary>
public class RepositoryChangingFileTests
{
    private static readonly DateTime LongAgo = DateTime.UtcNow.AddMinutes(-10);

    private static void WriteInPlace(string path, byte[] content, DateTime? mtime)
    {
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite))
        {
            stream.Write(content);
            stream.SetLength(content.Length);
        }

        if (mtime is { } t)
        {
            File.SetLastWriteTimeUtc(path, t); // hide the change from mtime: only ctime can tell
        }
    }

    [TestCase(100_000)]
    [TestCase(9_000_000)] // several pipeline buffers
    public void Commit_FileRewrittenInPlaceAfterItWasRead_RetriesAndRecordsTheNewVersion(int size)
    {
        using var scratch = new ScratchRepository("changing");
        var v1 = TestData.Random(size, seed: 1);
        var v2 = TestData.Random(size, seed: 2);
        var path = scratch.Write("w.bin", v1);
        scratch.Write("other.bin", [1]);
        var reads = 0;

        var result = scratch.Commit(afterFileRead: p =>
        {
            if (p == "w.bin" && ++reads == 1)
            {
                WriteInPlace(path, v2, LongAgo);
            }
        });

        reads.Should().Be(2, "the first read was discarded and the file read again");
        var entry = scratch.Entry(result.Commit.Id, "w.bin")!;
        entry.Id.Should().Be(Hashes.Of(v2));
        using var stream = scratch.Repository.OpenFile(entry.Id);
        Hashes.OfStream(stream).Should().Be(Hashes.Of(v2));
        result.FilesRead.Should().Be(2);
    }

    [Test]
    public void Commit_FileHalfRewrittenDuringTheCommit_RecordsAVersionThatExistedAsAWhole()
    {
        using var scratch = new ScratchRepository("changing-half");
        var v1 = TestData.Random(2_000_000, seed: 3);
        var half = (byte[])v1.Clone();
        TestData.Random(1_000_000, seed: 4).CopyTo(half, 0);
        var path = scratch.Write("w.bin", v1);
        var reads = 0;

        var result = scratch.Commit(afterFileRead: p =>
        {
            if (++reads == 1)
            {
                // A writer got halfway through: the first read may hold either half of either version.
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                stream.Write(half, 0, 1_000_000);
            }
        });

        var recorded = scratch.Entry(result.Commit.Id, "w.bin")!.Id;
        recorded.Should().BeOneOf(Hashes.Of(v1), Hashes.Of(half));
        recorded.Should().Be(Hashes.Of(half), "the content on disk once the file held still");
    }

    [Test]
    public void Commit_FileReplacedByRenameAfterItWasRead_RecordsTheReplacement()
    {
        using var scratch = new ScratchRepository("changing-rename");
        var v1 = TestData.Random(50_000, seed: 5);
        var v2 = TestData.Random(50_000, seed: 6);
        var path = scratch.Write("w.bin", v1);
        var reads = 0;

        var result = scratch.Commit(afterFileRead: _ =>
        {
            if (++reads == 1)
            {
                var temp = scratch.Write("w.bin.tmp-outside", v2);
                File.SetLastWriteTimeUtc(temp, File.GetLastWriteTimeUtc(path));
                File.Move(temp, path, overwrite: true);
            }
        });

        scratch.Entry(result.Commit.Id, "w.bin")!.Id.Should().Be(Hashes.Of(v2));
    }

    [Test]
    public void Commit_FileThatNeverHoldsStill_FailsClearly_AndRecordsNothing()
    {
        using var scratch = new ScratchRepository("changing-always");
        scratch.Write("stable.bin", [1]);
        var first = scratch.Commit("first").Commit;
        var path = scratch.Write("w.bin", TestData.Random(10_000, seed: 7));
        var reads = 0;
        var packsBefore = scratch.Repository.Database.ListPacks().Count;

        var commit = () => scratch.Commit("second", afterFileRead: _ => WriteInPlace(path, TestData.Random(10_000, seed: 100 + ++reads), null));

        commit.Should().Throw<LmvpException>().WithMessage("w.bin kept changing while it was being committed*nothing was recorded*");
        reads.Should().BeGreaterThan(1);
        scratch.Repository.Head.Should().Be(first.Id);
        scratch.Repository.Log().Should().ContainSingle();
        scratch.Repository.Database.ListPacks().Should().HaveCount(packsBefore, "no pack is published for a failed commit");
        Directory.GetFiles(Path.Combine(scratch.Repository.RepositoryDirectory, "packs"), PackTempPattern).Should().BeEmpty();

        var retry = scratch.Commit("second, once it held still");
        scratch.Entry(retry.Commit.Id, "w.bin")!.Id.Should().Be(Hashes.OfFile(path));
    }

    private const string PackTempPattern = "tmp-*";

    [Test]
    public void Commit_FileDeletedWhileBeingCommitted_FailsClearly()
    {
        using var scratch = new ScratchRepository("changing-gone");
        var path = scratch.Write("w.bin", [1, 2, 3]);

        var commit = () => scratch.Commit(afterFileRead: _ => File.Delete(path));

        commit.Should().Throw<LmvpException>().WithMessage("w.bin was removed while it was being committed*");
        scratch.Repository.Head.Should().BeNull();
    }

    [Test]
    public void Commit_FileGrowingWhileBeingCommitted_RecordsAConsistentLength()
    {
        using var scratch = new ScratchRepository("changing-grow");
        var path = scratch.Write("log.txt", "line 1\n"u8.ToArray());
        var reads = 0;

        var result = scratch.Commit(afterFileRead: _ =>
        {
            if (++reads == 1)
            {
                File.AppendAllText(path, "line 2\n");
            }
        });

        var entry = scratch.Entry(result.Commit.Id, "log.txt")!;
        entry.Size.Should().Be(14);
        entry.Id.Should().Be(Hashes.Of("line 1\nline 2\n"u8));
    }
}
