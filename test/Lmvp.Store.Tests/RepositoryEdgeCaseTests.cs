using System.Diagnostics;
using System.Runtime.Versioning;
using Lmvp.Store.Packs;
using Lmvp.Store.Tests.Support;
using Lmvp.Store.WorkingTree;
using Lmvp.Testing;

namespace Lmvp.Store.Tests;

/// <summary>The edge cases issue 2 names, each against a real repository in a temp directory.</summary>
[UnsupportedOSPlatform("windows")]
public class RepositoryEdgeCaseTests
{
    private static readonly DateTime LongAgo = DateTime.UtcNow.AddMinutes(-10);

    [Test]
    public void EmptyFiles_AreCommittedAndCheckedOut()
    {
        using var scratch = new ScratchRepository("empty-files");
        scratch.Write("empty.bin", []);
        scratch.Write("dir/also-empty", []);
        var commit = scratch.Commit().Commit;

        var entry = scratch.Entry(commit.Id, "empty.bin")!;
        entry.Size.Should().Be(0);
        entry.Id.Should().Be(Hashes.Of([]));
        scratch.Repository.Store.GetManifest(entry.Id).Chunks.Should().BeEmpty();

        File.Delete(scratch.Combine("empty.bin"));
        Directory.Delete(scratch.Combine("dir"), recursive: true);
        scratch.Repository.Restore([scratch.Root]);

        new FileInfo(scratch.Combine("empty.bin")).Length.Should().Be(0);
        new FileInfo(scratch.Combine("dir/also-empty")).Length.Should().Be(0);
        scratch.Repository.GetStatus().IsClean.Should().BeTrue();
    }

    [Test]
    [Category("Large")] // reads and writes 4 GiB: the largest part of this project's test time
    public void FileOver4GiB_SparseFile_CommitsWithItsSizeAndId_AndChecksOutIdentical()
    {
        const long size = (4L << 30) + 123;
        using var scratch = new ScratchRepository("huge");
        using var elsewhere = new TempDirectory("huge-original");
        var head = TestData.Random(1000, seed: 1);
        var tail = TestData.Random(4096, seed: 2);
        var path = scratch.Combine("huge.bin");
        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            stream.SetLength(size); // sparse: the zeros cost no disk
            stream.Write(head);
            stream.Position = size - tail.Length;
            stream.Write(tail);
        }

        File.SetLastWriteTimeUtc(path, LongAgo);
        var expected = SparseFileId(size, head, tail);

        var clock = Stopwatch.StartNew();
        var result = scratch.Commit("huge");
        var commitTime = clock.Elapsed;

        var entry = scratch.Entry(result.Commit.Id, "huge.bin")!;
        entry.Size.Should().Be(size);
        entry.Id.Should().Be(expected);
        result.BytesRead.Should().Be(size);
        result.BytesStored.Should().BeLessThan(4 << 20, "the zero runs are one chunk stored once");

        // Check it out where the original was, with the original moved out of the working tree.
        File.Move(path, elsewhere.Combine("huge.bin"));
        clock.Restart();
        var restore = scratch.Repository.Restore([path]);
        var checkoutTime = clock.Elapsed;

        restore.BytesWritten.Should().Be(size);
        new FileInfo(path).Length.Should().Be(size);
        ReadAt(path, 0, head.Length).Should().Equal(head);
        ReadAt(path, size - tail.Length, tail.Length).Should().Equal(tail);
        clock.Restart();
        Hashes.OfFile(path).Should().Be(expected);
        var verifyTime = clock.Elapsed;
        scratch.Repository.GetStatus().IsClean.Should().BeTrue();
        File.Delete(path);

        TestContext.Out.WriteLine($"4 GiB + 123 sparse file: commit {commitTime.TotalSeconds:F1} s, checkout {checkoutTime.TotalSeconds:F1} s, re-hash {verifyTime.TotalSeconds:F1} s");
    }

    /// <summary>BLAKE3 of head + zeros + tail, computed without reading the file.</summary>
    private static ObjectId SparseFileId(long size, byte[] head, byte[] tail)
    {
        using var hasher = Blake3.Hasher.New();
        hasher.Update(head);
        var zeros = new byte[16 << 20];
        var remaining = size - head.Length - tail.Length;
        while (remaining > 0)
        {
            var n = (int)Math.Min(zeros.Length, remaining);
            hasher.UpdateWithJoin(zeros.AsSpan(0, n));
            remaining -= n;
        }

        hasher.Update(tail);
        return Hashes.Finish(hasher);
    }

    private static byte[] ReadAt(string path, long offset, int length)
    {
        using var handle = File.OpenHandle(path);
        var buffer = new byte[length];
        RandomAccess.Read(handle, buffer, offset).Should().Be(length);
        return buffer;
    }

    [Test]
    public void ExecutableBit_RoundTripsThroughCommitAndCheckout()
    {
        using var scratch = new ScratchRepository("exec");
        var script = scratch.Write("train.sh", "#!/bin/sh\necho hi\n"u8.ToArray());
        scratch.Write("weights.bin", [1, 2, 3]);
        File.SetUnixFileMode(script, (UnixFileMode)Convert.ToInt32("755", 8));
        var commit = scratch.Commit().Commit;

        scratch.Entry(commit.Id, "train.sh")!.IsExecutable.Should().BeTrue();
        scratch.Entry(commit.Id, "weights.bin")!.IsExecutable.Should().BeFalse();

        File.Delete(script);
        File.Delete(scratch.Combine("weights.bin"));
        scratch.Repository.Restore([scratch.Root]);

        File.GetUnixFileMode(script).HasFlag(UnixFileMode.UserExecute).Should().BeTrue();
        File.GetUnixFileMode(scratch.Combine("weights.bin")).HasFlag(UnixFileMode.UserExecute).Should().BeFalse();
        scratch.Repository.GetStatus().IsClean.Should().BeTrue();

        // Dropping the bit alone is a change worth a commit.
        File.SetUnixFileMode(script, (UnixFileMode)Convert.ToInt32("644", 8));
        scratch.Repository.GetStatus().Entries.Should().Equal(new StatusEntry("train.sh", FileChangeKind.Modified));
        var second = scratch.Commit("not executable").Commit;
        scratch.Entry(second.Id, "train.sh")!.IsExecutable.Should().BeFalse();
        scratch.Entry(second.Id, "train.sh")!.Id.Should().Be(scratch.Entry(commit.Id, "train.sh")!.Id);
    }

    [Test]
    public void Symlinks_AreStoredAsLinks_NeverFollowed_AndRecreatedOnCheckout()
    {
        using var outside = new TempDirectory("outside");
        outside.WriteFile("secret.bin", TestData.Random(10_000, seed: 3));
        outside.WriteFile("nested/more.bin", [1]);
        using var scratch = new ScratchRepository("symlinks");
        scratch.Write("data/a.bin", [1, 2, 3]);
        File.CreateSymbolicLink(scratch.Combine("to-outside-dir"), outside.Path);
        File.CreateSymbolicLink(scratch.Combine("to-outside-file"), Path.Combine(outside.Path, "secret.bin"));
        File.CreateSymbolicLink(scratch.Combine("relative"), "data/a.bin");
        File.CreateSymbolicLink(scratch.Combine("dangling"), "no/such/target");
        File.CreateSymbolicLink(scratch.Combine("data/up"), "..");

        var result = scratch.Commit();

        var files = scratch.Repository.ListFiles(result.Commit.Id).ToDictionary(kv => kv.Key, kv => kv.Value);
        files.Keys.Should().BeEquivalentTo("data/a.bin", "data/up", "dangling", "relative", "to-outside-dir", "to-outside-file");
        files["to-outside-dir"].Should().Be(Link("to-outside-dir", outside.Path));
        files["to-outside-file"].Should().Be(Link("to-outside-file", Path.Combine(outside.Path, "secret.bin")));
        files["relative"].Should().Be(Link("relative", "data/a.bin"));
        files["dangling"].Should().Be(Link("dangling", "no/such/target"));
        files["data/up"].Should().Be(Link("up", ".."));
        result.BytesScanned.Should().Be(3, "only data/a.bin is read; nothing behind a link");
        result.FilesRead.Should().Be(1);

        foreach (var link in files.Keys.Where(k => files[k].Kind == TreeEntryKind.Symlink))
        {
            File.Delete(scratch.Combine(link));
        }

        scratch.Repository.Restore([scratch.Root]);

        foreach (var (path, entry) in files.Where(kv => kv.Value.Kind == TreeEntryKind.Symlink))
        {
            var info = new FileInfo(scratch.Combine(path));
            info.LinkTarget.Should().Be(entry.LinkTarget, $"{path} is recreated as a link");
            FileStatReader.TryLstat(info.FullName)!.Value.IsSymlink.Should().BeTrue();
        }

        scratch.Repository.GetStatus().IsClean.Should().BeTrue();
        Directory.GetFiles(outside.Path, "*", SearchOption.AllDirectories).Should().HaveCount(2, "nothing was written through the links");
        Hashes.OfFile(Path.Combine(outside.Path, "secret.bin")).Should().Be(Hashes.Of(TestData.Random(10_000, seed: 3)));
    }

    private static TreeEntry Link(string name, string target) =>
        new(name, TreeEntryKind.Symlink, false, System.Text.Encoding.UTF8.GetByteCount(target), Hashes.Of(System.Text.Encoding.UTF8.GetBytes(target)), target);

    [Test]
    public void Checkout_ASymlinkOverAFile_AndAFileOverASymlink_ReplaceTheEntryNotItsTarget()
    {
        using var outside = new TempDirectory("outside");
        var victim = outside.WriteFile("victim.bin", [42]);
        using var scratch = new ScratchRepository("link-swap");
        File.CreateSymbolicLink(scratch.Combine("x"), victim);
        var asLink = scratch.Commit("link").Commit;
        File.Delete(scratch.Combine("x"));
        scratch.Write("x", [7, 7, 7]);
        var asFile = scratch.Commit("file").Commit;

        scratch.Repository.Checkout(asLink.Id.ToString());
        new FileInfo(scratch.Combine("x")).LinkTarget.Should().Be(victim);
        scratch.Repository.Checkout("main");

        FileStatReader.TryLstat(scratch.Combine("x"))!.Value.IsRegular.Should().BeTrue();
        File.ReadAllBytes(scratch.Combine("x")).Should().Equal(7, 7, 7);
        File.ReadAllBytes(victim).Should().Equal([42], "the link's target was never written");
        scratch.Repository.Head.Should().Be(asFile.Id);
    }

    [TestCase("a b ü 模型.bin")]
    [TestCase("dir with spaces/ñandú ☃ 🎉.bin")]
    [TestCase("日本語/ファイル.safetensors")]
    [TestCase("tab\tand\nnewline.bin")]
    [TestCase(" leading and trailing ")]
    [TestCase("-dash-first")]
    public void NamesWithSpacesAndNonAscii_RoundTrip(string path)
    {
        using var scratch = new ScratchRepository("names");
        var content = TestData.Random(5000, seed: path.Length);
        scratch.Write(path, content);
        var commit = scratch.Commit().Commit;

        scratch.Repository.ListFiles(commit.Id).Select(kv => kv.Key).Should().Equal(path);
        scratch.Repository.GetStatus().IsClean.Should().BeTrue();
        File.Delete(scratch.Combine(path));
        scratch.Repository.GetStatus().Entries.Should().Equal(new StatusEntry(path, FileChangeKind.Deleted));

        scratch.Repository.Restore([scratch.Combine(path)]);

        File.ReadAllBytes(scratch.Combine(path)).Should().Equal(content);
        scratch.Repository.GetStatus().IsClean.Should().BeTrue();
    }

    [TestCase("back\\slash.bin")]
    [TestCase("dir\\with\\backslashes/w.bin")]
    public void NameATreeCannotHold_FailsTheCommitClearly_AndRecordsNothing(string path)
    {
        using var scratch = new ScratchRepository("badname");
        scratch.Write("fine.bin", [1]);
        var first = scratch.Commit("first").Commit;
        scratch.Write(path, [2]);

        var commit = () => scratch.Commit("second");

        commit.Should().Throw<LmvpException>().WithMessage($"*{path}*{IgnoreRules.FileName}*");
        scratch.Repository.Head.Should().Be(first.Id);

        File.WriteAllText(scratch.Combine(IgnoreRules.FileName), "*\\\\*\n"); // a name holding a backslash
        scratch.Commit("second, ignoring it").Commit.Id.Should().NotBe(first.Id);
    }

    [Test]
    public void NameThatIsNotUtf8_FailsCommitAndStatusClearly_InsteadOfBeingLeftOut()
    {
        using var scratch = new ScratchRepository("badutf8");
        scratch.Write("fine.bin", [1]);
        WorkingTree.WorkingTreeScannerTests.CreateFileWithInvalidUtf8Name(scratch.Root, "weights-", ".bin");

        var commit = () => scratch.Commit();
        commit.Should().Throw<LmvpException>().WithMessage("*weights-*not valid UTF-8*");
        var status = () => scratch.Repository.GetStatus();
        status.Should().Throw<LmvpException>().WithMessage("*not valid UTF-8*");
        scratch.Repository.Head.Should().BeNull();
    }

    [Test]
    public void TenThousandSmallFiles_CommitRecommitAndCheckout()
    {
        const int dirs = 100;
        const int perDir = 100;
        using var scratch = new ScratchRepository("many", TempDirectory.MemoryBacked);
        var clock = Stopwatch.StartNew();
        for (var d = 0; d < dirs; d++)
        {
            var dir = scratch.Combine($"shard-{d:D3}");
            Directory.CreateDirectory(dir);
            for (var f = 0; f < perDir; f++)
            {
                var path = Path.Combine(dir, $"f{f:D3}.txt");
                File.WriteAllText(path, $"file {d}/{f} " + new string((char)('a' + (f % 26)), f));
                File.SetLastWriteTimeUtc(path, LongAgo);
            }
        }

        var setup = clock.Elapsed;
        clock.Restart();
        var first = scratch.Commit("10k");
        var commitTime = clock.Elapsed;

        first.FilesRead.Should().Be(dirs * perDir);
        scratch.Repository.ListFiles(first.Commit.Id).Should().HaveCount(dirs * perDir);

        clock.Restart();
        var again = scratch.Commit("unchanged", allowEmpty: true);
        var recommitTime = clock.Elapsed;

        again.FilesRead.Should().Be(0);
        again.FilesUnchanged.Should().Be(dirs * perDir);
        again.BytesRead.Should().Be(0);
        again.Commit.TreeId.Should().Be(first.Commit.TreeId);
        recommitTime.Should().BeLessThan(TimeSpan.FromSeconds(10), "re-committing unchanged files costs a stat each, not a read");

        clock.Restart();
        var status = scratch.Repository.GetStatus();
        var statusTime = clock.Elapsed;
        status.IsClean.Should().BeTrue();

        scratch.Repository.CreateBranch("all");
        for (var d = 0; d < dirs; d++)
        {
            Directory.Delete(scratch.Combine($"shard-{d:D3}"), recursive: true);
        }

        scratch.Commit("nothing");
        clock.Restart();
        var checkout = scratch.Repository.Checkout("all");
        var checkoutTime = clock.Elapsed;

        checkout.FilesWritten.Should().Be(dirs * perDir);
        RepositoryCheckoutTests.ShouldMatchCommit(scratch, first.Commit.Id);
        TestContext.Out.WriteLine($"10,000 files: setup {setup.TotalSeconds:F2} s, commit {commitTime.TotalSeconds:F2} s, "
            + $"unchanged re-commit {recommitTime.TotalSeconds:F2} s, status {statusTime.TotalSeconds:F2} s, checkout {checkoutTime.TotalSeconds:F2} s");
    }
}
