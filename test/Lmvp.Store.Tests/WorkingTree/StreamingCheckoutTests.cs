using Lmvp.Store.Index;
using Lmvp.Store.Tests.Support;
using Lmvp.Store.WorkingTree;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.WorkingTree;

/// <summary>The clone's streaming checkout on its own: chunks handed over in any order land at every offset of every file that
/// holds them, and a file takes its name only when whole and hashing to its id.</summary>
public sealed class StreamingCheckoutTests
{
    private static (ChunkRef Ref, byte[] Bytes) Piece(int length, int seed)
    {
        var bytes = TestData.Random(length, seed);
        return (new ChunkRef(ObjectId.Compute(bytes), length), bytes);
    }

    private static (string Path, TreeEntry Entry, FileManifest Manifest) FileOf(string path, params (ChunkRef Ref, byte[] Bytes)[] pieces)
    {
        byte[] content = [.. pieces.SelectMany(p => p.Bytes)];
        var id = ObjectId.Compute(content);
        return (path, new TreeEntry(path.Split('/')[^1], TreeEntryKind.File, false, content.Length, id), new FileManifest(id, content.Length, [.. pieces.Select(p => p.Ref)]));
    }

    private static byte[] Content(params (ChunkRef Ref, byte[] Bytes)[] pieces) => [.. pieces.SelectMany(p => p.Bytes)];

    private static List<string> Names(string root) =>
        [.. Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(root, p).Replace('\\', '/'))
            .Where(p => !p.StartsWith(".lmvp/", StringComparison.Ordinal)).Order(StringComparer.Ordinal)];

    [Test]
    public void Accept_ChunksInAnyOrder_WritesEveryOffsetOfEveryFile_AndPlacesEachFileOnlyWhenWhole()
    {
        using var scratch = new ScratchRepository("stream");
        var (a, b, c) = (Piece(70_000, 1), Piece(50_000, 2), Piece(90_000, 3));
        var zeros = (new ChunkRef(ObjectId.Compute(new byte[40_000]), 40_000), new byte[40_000]);
        using var checkout = new StreamingCheckout(scratch.Root, scratch.Repository.Store, _ => true);
        checkout.Plan([FileOf("one.bin", a, b, c), FileOf("two.bin", c, a, a, zeros), FileOf("deep/three.bin", b)]);

        checkout.Accept(c.Ref.Id, c.Bytes);
        checkout.Accept(zeros.Item1.Id, zeros.Item2);
        Names(scratch.Root).Should().OnlyContain(n => n.Contains(CheckoutNames.TempPrefix, StringComparison.Ordinal), "no file is whole yet");
        checkout.Accept(b.Ref.Id, b.Bytes);
        File.ReadAllBytes(scratch.Combine("deep/three.bin")).Should().Equal(b.Bytes);
        File.Exists(scratch.Combine("one.bin")).Should().BeFalse("one.bin still lacks its first chunk");
        checkout.Accept(a.Ref.Id, a.Bytes);

        File.ReadAllBytes(scratch.Combine("one.bin")).Should().Equal(Content(a, b, c));
        File.ReadAllBytes(scratch.Combine("two.bin")).Should().Equal(Content(c, a, a, zeros));
        Names(scratch.Root).Should().Equal("deep/three.bin", "one.bin", "two.bin");
        checkout.FilesWritten.Should().Be(3);
        checkout.BytesWritten.Should().Be(210_000 + 270_000 + 50_000);

        checkout.RecordPlaced(scratch.Repository.Database);
        var cache = scratch.Repository.Database.LoadStatCache();
        var stat = FileStatReader.TryLstat(scratch.Combine("two.bin"))!.Value;
        cache["two.bin"].Should().Be(new StatCacheEntry(stat.Size, stat.MtimeNs, stat.CtimeNs, stat.Inode, ObjectId.Compute(Content(c, a, a, zeros))));
        cache.Keys.Should().BeEquivalentTo("deep/three.bin", "one.bin", "two.bin");
    }

    [Test]
    public void Accept_FileOfZeroChunksOnly_IsPlacedWithItsFullSize()
    {
        using var scratch = new ScratchRepository("stream-zeros");
        var zeros = (new ChunkRef(ObjectId.Compute(new byte[65_536]), 65_536), new byte[65_536]);
        using var checkout = new StreamingCheckout(scratch.Root, scratch.Repository.Store, _ => true);
        checkout.Plan([FileOf("padding.bin", zeros, zeros, zeros)]);

        checkout.Accept(zeros.Item1.Id, zeros.Item2);

        File.ReadAllBytes(scratch.Combine("padding.bin")).Should().Equal(new byte[3 * 65_536]);
        checkout.FilesWritten.Should().Be(1);
    }

    [Test]
    public void Accept_FileWhoseChunksDoNotHashToItsId_IsCorrupt_AndNothingTakesItsName()
    {
        using var scratch = new ScratchRepository("stream-lie");
        var (a, b) = (Piece(30_000, 4), Piece(30_000, 5));
        var (path, entry, manifest) = FileOf("model.bin", a, b);
        var lie = entry with { Id = ObjectId.Compute([1, 2, 3]) };
        var checkout = new StreamingCheckout(scratch.Root, scratch.Repository.Store, _ => true);
        checkout.Plan([(path, lie, new FileManifest(lie.Id, manifest.Size, manifest.Chunks))]);
        checkout.Accept(a.Ref.Id, a.Bytes);

        var act = () => checkout.Accept(b.Ref.Id, b.Bytes);

        act.Should().Throw<CorruptObjectException>().WithMessage($"Cannot check out model.bin: its chunks do not hash to file {lie.Id.ToShortString()}; it was not written.");
        File.Exists(scratch.Combine("model.bin")).Should().BeFalse();
        checkout.Dispose();
        Names(scratch.Root).Should().BeEmpty("a failure removes its temporary files");
    }

    [Test]
    public void Accept_MoreFilesInProgressThanStayOpen_ReopensThemAndHashesWhatWasWrittenEarlier()
    {
        using var scratch = new ScratchRepository("stream-many");
        var shared = Piece(20_000, 6);
        var own = Enumerable.Range(0, 150).Select(i => Piece(1_000 + i, 100 + i)).ToList();
        using var checkout = new StreamingCheckout(scratch.Root, scratch.Repository.Store, _ => true);
        checkout.Plan(own.Select((o, i) => FileOf($"f{i:000}.bin", o, shared)));

        checkout.Accept(shared.Ref.Id, shared.Bytes); // every file's second chunk first: 150 files begun, more than stay open
        foreach (var o in own)
        {
            checkout.Accept(o.Ref.Id, o.Bytes);
        }

        for (var i = 0; i < own.Count; i++)
        {
            File.ReadAllBytes(scratch.Combine($"f{i:000}.bin")).Should().Equal(Content(own[i], shared), $"f{i:000}.bin");
        }

        checkout.FilesWritten.Should().Be(150);
    }

    [Test]
    public void Plan_LeavesTakenPathsAndExcludedOnesAlone_AndAnUnsafeTreeWritesNothing()
    {
        using var scratch = new ScratchRepository("stream-plan");
        var a = Piece(10_000, 7);
        scratch.Write("taken.bin", [9, 9, 9]);
        scratch.Write("link-target/keep.txt", [1]);
        File.CreateSymbolicLink(scratch.Combine("linked"), scratch.Combine("link-target"));
        using (var checkout = new StreamingCheckout(scratch.Root, scratch.Repository.Store, path => path != "git-tracked.bin"))
        {
            checkout.Plan([FileOf("taken.bin", a), FileOf("git-tracked.bin", a), FileOf("linked/escape.bin", a), FileOf("new.bin", a)]);
            checkout.Accept(a.Ref.Id, a.Bytes);
            checkout.FilesWritten.Should().Be(1);
        }

        File.ReadAllBytes(scratch.Combine("taken.bin")).Should().Equal([9, 9, 9], "a path already taken is the checkout's to compare");
        File.Exists(scratch.Combine("git-tracked.bin")).Should().BeFalse();
        File.Exists(scratch.Combine("link-target/escape.bin")).Should().BeFalse("nothing is written through a symlink");
        File.ReadAllBytes(scratch.Combine("new.bin")).Should().Equal(a.Bytes);

        using (var hostile = new StreamingCheckout(scratch.Root, scratch.Repository.Store, _ => true))
        {
            hostile.Plan([FileOf("fine.bin", a), FileOf(".lmvp/packs/evil.bin", a)]);
            hostile.Accept(a.Ref.Id, a.Bytes);
            hostile.FilesWritten.Should().Be(0, "the checkout after it refuses the whole tree");
        }

        File.Exists(scratch.Combine("fine.bin")).Should().BeFalse();
    }

    [Test]
    public void RemoveStaleTemporaries_RemovesAKilledClonesTemporaries_InTheWorkingTreeOnly()
    {
        using var scratch = new ScratchRepository("stream-stale");
        scratch.Write(CheckoutNames.TempPrefix + "1", [1]);
        scratch.Write("sub/" + CheckoutNames.TempPrefix + "2", [2]);
        scratch.Write(".lmvp/" + CheckoutNames.TempPrefix + "3", [3]);
        scratch.Write("sub/kept.bin", [4]);

        StreamingCheckout.RemoveStaleTemporaries(scratch.Root);

        Names(scratch.Root).Should().Equal("sub/kept.bin");
        File.Exists(scratch.Combine(".lmvp/" + CheckoutNames.TempPrefix + "3")).Should().BeTrue();
    }
}
