using Lmvp.Store.Packs;
using Lmvp.Store.Tests.Support;
using Lmvp.Store.WorkingTree;
using Lmvp.Testing;

namespace Lmvp.Store.Tests;

public class RepositoryCheckoutTests
{
    /// <summary>Every tracked file of <paramref name="commit"/> is in the working tree with exactly the recorded bytes.</summary>
    internal static void ShouldMatchCommit(ScratchRepository scratch, ObjectId commit)
    {
        var files = scratch.Repository.ListFiles(commit);
        foreach (var (path, entry) in files)
        {
            var full = scratch.Combine(path);
            if (entry.Kind == TreeEntryKind.Symlink)
            {
                new FileInfo(full).LinkTarget.Should().Be(entry.LinkTarget);
                continue;
            }

            FileStatReader.TryLstat(full).Should().NotBeNull($"{path} is in the commit");
            Hashes.OfFile(full).Should().Be(entry.Id, $"{path} must be byte-identical");
            new FileInfo(full).Length.Should().Be(entry.Size);
        }

        WorkingTreeScanner.Scan(scratch.Root, IgnoreRules.Load(scratch.Root)).Select(f => f.Path)
            .Should().BeEquivalentTo(files.Select(f => f.Key), "nothing else is in the working tree");
    }

    [Test]
    public void Checkout_AnOlderCommit_RestoresItsFilesByteForByte_AndRemovesFilesItLacks()
    {
        using var scratch = new ScratchRepository("checkout");
        scratch.Write("model/w.bin", TestData.Random(1_500_000, seed: 1));
        scratch.Write("keep.txt", "same\n"u8.ToArray());
        scratch.Write("gone/later.bin", TestData.Random(1000, seed: 2));
        var c1 = scratch.Commit("one").Commit;
        var w2 = TestData.Random(1_500_000, seed: 1);
        w2.AsSpan(700_000, 1000).Fill(7); // a few chunks change
        scratch.Write("model/w.bin", w2);
        File.Delete(scratch.Combine("gone/later.bin"));
        Directory.Delete(scratch.Combine("gone"));
        scratch.Write("added/new.bin", TestData.Random(5000, seed: 3));
        var c2 = scratch.Commit("two").Commit;

        var result = scratch.Repository.Checkout(c1.Id.ToShortString());

        result.Commit.Should().Be(c1.Id);
        result.Branch.Should().BeNull();
        result.FilesRemoved.Should().Be(1);
        result.FilesWritten.Should().Be(2, "keep.txt is unchanged and not rewritten");
        ShouldMatchCommit(scratch, c1.Id);
        Directory.Exists(scratch.Combine("added")).Should().BeFalse("a directory emptied by checkout is removed");
        scratch.Repository.Head.Should().Be(c1.Id);
        scratch.Repository.CurrentBranch.Should().BeNull();
        scratch.Repository.GetStatus().IsClean.Should().BeTrue();

        var back = scratch.Repository.Checkout("main");

        back.Branch.Should().Be("main");
        ShouldMatchCommit(scratch, c2.Id);
        scratch.Repository.CurrentBranch.Should().Be("main");
        scratch.Repository.GetStatus().IsClean.Should().BeTrue();
    }

    [Test]
    public void Checkout_WithUncommittedChanges_IsRefused_UnlessForced()
    {
        using var scratch = new ScratchRepository("checkout-dirty");
        scratch.Write("w.bin", [1]);
        var c1 = scratch.Commit("one").Commit;
        scratch.Write("w.bin", [2]);
        scratch.Commit("two");
        scratch.Write("w.bin", [3]); // uncommitted

        var checkout = () => scratch.Repository.Checkout(c1.Id.ToString());

        checkout.Should().Throw<LmvpException>().WithMessage("*w.bin*--force*");
        File.ReadAllBytes(scratch.Combine("w.bin")).Should().Equal(3);
        scratch.Repository.CurrentBranch.Should().Be("main");

        scratch.Repository.Checkout(c1.Id.ToString(), force: true);
        File.ReadAllBytes(scratch.Combine("w.bin")).Should().Equal(1);
    }

    [Test]
    public void Checkout_WouldOverwriteAnUntrackedFile_IsRefused()
    {
        using var scratch = new ScratchRepository("checkout-untracked");
        scratch.Write("a.bin", [1]);
        scratch.Commit("one");
        scratch.Repository.CreateBranch("other");
        scratch.Write("b.bin", [2]);
        scratch.Commit("two");
        scratch.Repository.Checkout("other");
        scratch.Write("b.bin", [9]); // untracked here, tracked with other content on main

        var checkout = () => scratch.Repository.Checkout("main");

        checkout.Should().Throw<LmvpException>().WithMessage("*b.bin*");
        File.ReadAllBytes(scratch.Combine("b.bin")).Should().Equal(9);
    }

    [Test]
    public void Checkout_FileWhereAnUntrackedFileSitsInADirectory_IsRefused_UnlessForced()
    {
        using var scratch = new ScratchRepository("checkout-dir-to-file");
        scratch.Write("a", [1]);
        var c1 = scratch.Commit("a is a file").Commit;
        File.Delete(scratch.Combine("a"));
        scratch.Write("a/tracked.bin", [2]);
        scratch.Commit("a is a directory");
        scratch.Write("a/notes.txt", "my notes"u8.ToArray()); // untracked

        var checkout = () => scratch.Repository.Checkout(c1.Id.ToString());

        checkout.Should().Throw<LmvpException>().WithMessage("*a/notes.txt*");
        File.ReadAllText(scratch.Combine("a/notes.txt")).Should().Be("my notes", "an untracked file is never deleted without --force");
        File.Exists(scratch.Combine("a/tracked.bin")).Should().BeTrue("a refused checkout changes nothing");

        scratch.Repository.Checkout(c1.Id.ToString(), force: true);
        File.ReadAllBytes(scratch.Combine("a")).Should().Equal(1);
    }

    [Test]
    public void Checkout_DirectoryWhereAnUntrackedFileSits_IsRefused_UnlessForced()
    {
        using var scratch = new ScratchRepository("checkout-file-to-dir");
        scratch.Write("models/w.bin", [1]);
        var c1 = scratch.Commit("models").Commit;
        Directory.Delete(scratch.Combine("models"), recursive: true);
        scratch.Commit("no models");
        scratch.Write("models", "untracked notes"u8.ToArray());

        var checkout = () => scratch.Repository.Checkout(c1.Id.ToString());

        checkout.Should().Throw<LmvpException>().WithMessage("*models*");
        File.ReadAllText(scratch.Combine("models")).Should().Be("untracked notes");

        scratch.Repository.Checkout(c1.Id.ToString(), force: true);
        File.ReadAllBytes(scratch.Combine("models/w.bin")).Should().Equal(1);
    }

    [Test]
    public void Checkout_TrackedFileBecomingADirectory_AndBack_Works()
    {
        using var scratch = new ScratchRepository("checkout-swap");
        scratch.Write("x", [1]);
        var asFile = scratch.Commit("file").Commit;
        File.Delete(scratch.Combine("x"));
        scratch.Write("x/inner.bin", [2]);
        var asDir = scratch.Commit("dir").Commit;

        scratch.Repository.Checkout(asFile.Id.ToString());
        ShouldMatchCommit(scratch, asFile.Id);
        scratch.Repository.Checkout("main");
        ShouldMatchCommit(scratch, asDir.Id);
    }

    [Test]
    public void Checkout_ReplacesFilesByRename_SoAnOpenReaderKeepsTheOldBytes()
    {
        using var scratch = new ScratchRepository("checkout-rename");
        var v1 = TestData.Random(200_000, seed: 4);
        scratch.Write("w.bin", v1);
        var c1 = scratch.Commit("one").Commit;
        scratch.Write("w.bin", TestData.Random(200_000, seed: 5));
        scratch.Commit("two");

        using var reader = new FileStream(scratch.Combine("w.bin"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var inodeBefore = FileStatReader.TryLstat(scratch.Combine("w.bin"))!.Value.Inode;
        scratch.Repository.Checkout(c1.Id.ToString());

        FileStatReader.TryLstat(scratch.Combine("w.bin"))!.Value.Inode.Should().NotBe(inodeBefore, "a new file was renamed over the old one");
        Hashes.OfStream(reader).Should().Be(Hashes.Of(TestData.Random(200_000, seed: 5)), "the old file was never written in place");
        Hashes.OfFile(scratch.Combine("w.bin")).Should().Be(Hashes.Of(v1));
    }

    [Test]
    public void Checkout_CorruptChunk_FailsNamingTheFile_AndLeavesNeitherAPartialFileNorATemporary()
    {
        using var scratch = new ScratchRepository("checkout-corrupt");
        var v1 = TestData.Random(1_000_000, seed: 6);
        scratch.Write("w.bin", v1);
        var c1 = scratch.Commit("one").Commit;
        var v2 = TestData.Random(1_000_000, seed: 7);
        scratch.Write("w.bin", v2);
        var c2 = scratch.Commit("two").Commit;
        CorruptLastChunk(scratch, Hashes.Of(v1));

        var checkout = () => scratch.Repository.Checkout(c1.Id.ToString());

        checkout.Should().Throw<CorruptObjectException>().WithMessage("*w.bin*");
        Hashes.OfFile(scratch.Combine("w.bin")).Should().Be(Hashes.Of(v2), "the file under its real name is untouched");
        Directory.GetFiles(scratch.Root).Select(Path.GetFileName).Should().Equal("w.bin");
        scratch.Repository.Head.Should().Be(c2.Id);

        File.Delete(scratch.Combine("w.bin"));
        var restore = () => scratch.Repository.Restore([scratch.Combine("w.bin")], c1.Id.ToString());
        restore.Should().Throw<CorruptObjectException>().WithMessage("*w.bin*");
        Directory.GetFiles(scratch.Root).Should().BeEmpty("no partly written file appears under any name");
    }

    /// <summary>Flips a byte in the stored bytes of the last chunk of a file.</summary>
    internal static void CorruptLastChunk(ScratchRepository scratch, ObjectId fileId)
    {
        var chunk = scratch.Repository.Store.GetManifest(fileId).Chunks[^1];
        scratch.Repository.Database.TryGetChunk(chunk.Id, out var location).Should().BeTrue();
        var pack = scratch.Repository.Database.ListPacks().Single(p => p.Id == location.PackId);
        var path = Path.Combine(scratch.Repository.RepositoryDirectory, "packs", pack.Name);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Position = location.Offset + PackFormat.EntryHeaderSize + (location.StoredLength / 2);
        var b = stream.ReadByte();
        stream.Position -= 1;
        stream.WriteByte((byte)(b ^ 0x01));
    }

    [Test]
    public void Restore_BringsBackPathsWithoutMovingHead()
    {
        using var scratch = new ScratchRepository("restore");
        scratch.Write("a/x.bin", [1]);
        scratch.Write("a/y.bin", [2]);
        scratch.Write("b.bin", [3]);
        var c1 = scratch.Commit("one").Commit;
        scratch.Write("b.bin", [4]);
        var c2 = scratch.Commit("two").Commit;
        Directory.Delete(scratch.Combine("a"), recursive: true);

        var result = scratch.Repository.Restore([scratch.Combine("a")]);
        result.FilesWritten.Should().Be(2);
        File.ReadAllBytes(scratch.Combine("a/y.bin")).Should().Equal(2);

        scratch.Repository.Restore([scratch.Combine("b.bin")], c1.Id.ToString());
        File.ReadAllBytes(scratch.Combine("b.bin")).Should().Equal(3);
        scratch.Repository.Head.Should().Be(c2.Id);

        var missing = () => scratch.Repository.Restore([scratch.Combine("nope.bin")]);
        missing.Should().Throw<ObjectNotFoundException>().WithMessage("*nope.bin*");
        var outside = () => scratch.Repository.Restore([Path.GetTempPath()]);
        outside.Should().Throw<LmvpException>().WithMessage("*outside the repository*");
    }

    [Test]
    public void NormalizeUserPath_NamesStartingWithTwoDots_AreInside_AndParentsAreOutside()
    {
        using var scratch = new ScratchRepository("normalize");
        scratch.Write("..weights", [1]);
        scratch.Commit();
        var repo = scratch.Repository;

        repo.NormalizeUserPath(scratch.Combine("..weights")).Should().Be("..weights");
        repo.NormalizeUserPath(scratch.Combine("a/..b/c")).Should().Be("a/..b/c");
        repo.NormalizeUserPath(scratch.Root).Should().Be("");
        repo.NormalizeUserPath(scratch.Combine("a/../b")).Should().Be("b");
        var parent = () => repo.NormalizeUserPath(Path.Combine(scratch.Root, ".."));
        parent.Should().Throw<LmvpException>().WithMessage("*outside the repository*");
        var sibling = () => repo.NormalizeUserPath(scratch.Root + "-sibling");
        sibling.Should().Throw<LmvpException>().WithMessage("*outside the repository*");

        File.Delete(scratch.Combine("..weights"));
        repo.Restore([scratch.Combine("..weights")]);
        File.ReadAllBytes(scratch.Combine("..weights")).Should().Equal(1);
    }

    [Test]
    public void Checkout_ThroughASymlinkedDirectoryInTheWorkingTree_NeverWritesOutside()
    {
        using var outside = new TempDirectory("outside");
        using var scratch = new ScratchRepository("checkout-link");
        scratch.Write("models/w.bin", [1, 2, 3]);
        scratch.Commit("one");
        scratch.Repository.CreateBranch("with-models");
        Directory.Delete(scratch.Combine("models"), recursive: true);
        scratch.Commit("no models");
        // An untracked link where the branch has a directory: writing through it would land in "outside".
        File.CreateSymbolicLink(scratch.Combine("models"), outside.Path);

        scratch.Repository.Checkout("with-models", force: true);

        Directory.GetFileSystemEntries(outside.Path).Should().BeEmpty();
        FileStatReader.TryLstat(scratch.Combine("models"))!.Value.IsDirectory.Should().BeTrue();
        File.ReadAllBytes(scratch.Combine("models/w.bin")).Should().Equal(1, 2, 3);
    }

    [Test]
    public void Restore_OfAModelWithAZeroTensor_LeavesItAHole_AndAFileWithoutZeros_IsWrittenWhole()
    {
        // Files of 1 MiB or more get their blocks allocated before they are written, unless some chunk is all zeros: those are
        // left as holes, so a sparse checkpoint stays sparse.
        using var scratch = new ScratchRepository("checkout-holes");
        var sparse = ModelFiles.Safetensors([
            new TestTensor("a", "F32", [512, 512], ModelFiles.NormalFloats(512 * 512, 1)),
            new TestTensor("zero", "F32", [1024, 1024], new byte[4 << 20]),
            new TestTensor("b", "F32", [512, 512], ModelFiles.NormalFloats(512 * 512, 2)),
        ]);
        var dense = TestData.Random(3 << 20, 3);
        scratch.Write("sparse.safetensors", sparse);
        scratch.Write("dense.bin", dense);
        scratch.Commit("one");
        File.Delete(scratch.Combine("sparse.safetensors"));
        File.Delete(scratch.Combine("dense.bin"));

        scratch.Repository.Restore([scratch.Combine("sparse.safetensors"), scratch.Combine("dense.bin")]);

        File.ReadAllBytes(scratch.Combine("sparse.safetensors")).Should().Equal(sparse);
        File.ReadAllBytes(scratch.Combine("dense.bin")).Should().Equal(dense);
        AllocatedBytes(scratch.Combine("sparse.safetensors")).Should().BeLessThan(sparse.Length - (3 << 20), "the zero tensor is a hole");
        AllocatedBytes(scratch.Combine("dense.bin")).Should().BeGreaterThanOrEqualTo(dense.Length);
    }

    private static long AllocatedBytes(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%b %B", path]) { RedirectStandardOutput = true })!;
        var parts = stat.StandardOutput.ReadToEnd().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        stat.WaitForExit();
        return long.Parse(parts[0]) * long.Parse(parts[1]);
    }
}
