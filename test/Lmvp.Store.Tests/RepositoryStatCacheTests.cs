using Lmvp.Store.Tests.Support;
using Lmvp.Store.WorkingTree;
using Lmvp.Testing;

namespace Lmvp.Store.Tests;

/// <summary>The stat cache: a file whose size, mtime, ctime and inode are unchanged costs a stat, not a read. ctime is part
/// of the key because no user call can set it: a same-size rewrite with its mtime put back still changes ctime.</summary>
[NonParallelizable] // counts the bytes the whole process reads
public class RepositoryStatCacheTests
{
    private const int BigSize = 3 * 1024 * 1024; // read on the calling thread: small-file path of the pipeline

    [Test]
    public void Commit_UnchangedFile_ReusesItsIdWithoutReadingIt()
    {
        if (!ProcessIo.IsAvailable)
        {
            Assert.Ignore("needs /proc/self/io");
        }

        using var scratch = new ScratchRepository("statcache");
        var big = TestData.Random(BigSize, seed: 1);
        scratch.Write("big.bin", big);
        scratch.Write("small.txt", [1]);
        var readFirst = new List<string>();
        var before = ProcessIo.BytesRead();
        var first = scratch.Commit("one", afterFileRead: readFirst.Add);
        var firstBytes = ProcessIo.BytesRead() - before;
        readFirst.Should().Equal("big.bin", "small.txt");
        firstBytes.Should().BeGreaterThanOrEqualTo(BigSize, "the measurement sees the first read of big.bin");

        scratch.Write("small.txt", [2]);
        var readSecond = new List<string>();
        before = ProcessIo.BytesRead();
        var second = scratch.Commit("two", afterFileRead: readSecond.Add);
        var secondBytes = ProcessIo.BytesRead() - before;

        readSecond.Should().Equal("small.txt");
        secondBytes.Should().BeLessThan(BigSize / 3, "big.bin was not read again");
        second.FilesRead.Should().Be(1);
        second.FilesUnchanged.Should().Be(1);
        second.BytesRead.Should().Be(1);
        second.BytesScanned.Should().Be(BigSize + 1);
        scratch.Entry(second.Commit.Id, "big.bin")!.Id.Should().Be(scratch.Entry(first.Commit.Id, "big.bin")!.Id).And.Be(Hashes.Of(big));
        TestContext.Out.WriteLine($"bytes read by the process: first commit {firstBytes}, second commit {secondBytes}");
    }

    [Test]
    public void Status_UnchangedFiles_AreNotRead()
    {
        if (!ProcessIo.IsAvailable)
        {
            Assert.Ignore("needs /proc/self/io");
        }

        using var scratch = new ScratchRepository("statcache-status");
        scratch.Write("big.bin", TestData.Random(BigSize, seed: 2));
        scratch.Commit();

        var before = ProcessIo.BytesRead();
        scratch.Repository.GetStatus().IsClean.Should().BeTrue();
        (ProcessIo.BytesRead() - before).Should().BeLessThan(BigSize / 3);
    }

    [Test]
    public void Commit_SameSizeRewriteWithMtimePutBack_IsReadAgain()
    {
        using var scratch = new ScratchRepository("statcache-ctime");
        var path = scratch.Write("w.bin", TestData.Random(100_000, seed: 3));
        scratch.Commit("one");
        var stat = FileStatReader.TryLstat(path)!.Value;
        var mtime = File.GetLastWriteTimeUtc(path);

        var changed = TestData.Random(100_000, seed: 4);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write))
        {
            stream.Write(changed); // in place: same inode
        }

        File.SetLastWriteTimeUtc(path, mtime);
        var after = FileStatReader.TryLstat(path)!.Value;
        (after.Size, after.MtimeNs, after.Inode).Should().Be((stat.Size, stat.MtimeNs, stat.Inode), "the test must only change ctime");

        var read = new List<string>();
        var second = scratch.Commit("two", afterFileRead: read.Add);

        read.Should().Equal("w.bin");
        scratch.Entry(second.Commit.Id, "w.bin")!.Id.Should().Be(Hashes.Of(changed));
    }

    [Test]
    public void Commit_FileReplacedByRenameWithSameSizeAndMtime_IsReadAgain()
    {
        using var scratch = new ScratchRepository("statcache-inode");
        var path = scratch.Write("w.bin", TestData.Random(100_000, seed: 5));
        scratch.Commit("one");
        var mtime = File.GetLastWriteTimeUtc(path);

        var changed = TestData.Random(100_000, seed: 6);
        var temp = scratch.Write("w.new", changed);
        File.SetLastWriteTimeUtc(temp, mtime);
        File.Move(temp, path, overwrite: true);

        var second = scratch.Commit("two");

        second.FilesRead.Should().Be(1);
        scratch.Entry(second.Commit.Id, "w.bin")!.Id.Should().Be(Hashes.Of(changed));
    }

    [Test]
    public void Commit_FileModifiedJustNow_IsNotCachedSoASameTickChangeCannotHide()
    {
        using var scratch = new ScratchRepository("statcache-racy");
        var fresh = scratch.Write("fresh.bin", [1, 2, 3], ageIt: false);
        File.SetLastWriteTimeUtc(fresh, DateTime.UtcNow.AddSeconds(1)); // still "just now" however slowly this machine runs
        scratch.Write("old.bin", [4, 5, 6]);
        scratch.Commit("one");

        scratch.Repository.Database.LoadStatCache().Keys.Should().Equal("old.bin");
        var read = new List<string>();
        scratch.Commit("again", allowEmpty: true, afterFileRead: read.Add);
        read.Should().Equal("fresh.bin");
    }

    [Test]
    public void Commit_CachedFileWhoseManifestIsGone_IsReadAgain()
    {
        using var scratch = new ScratchRepository("statcache-lost");
        var content = TestData.Random(50_000, seed: 7);
        scratch.Write("w.bin", content);
        scratch.Commit("one");
        scratch.Repository.Database.DeleteObject(Hashes.Of(content));

        var read = new List<string>();
        var second = scratch.Commit("two", allowEmpty: true, afterFileRead: read.Add);

        read.Should().Equal("w.bin");
        scratch.Repository.Store.HasManifest(Hashes.Of(content)).Should().BeTrue();
        using var stream = scratch.Repository.OpenFile(scratch.Entry(second.Commit.Id, "w.bin")!.Id);
        Hashes.OfStream(stream).Should().Be(Hashes.Of(content));
    }
}
