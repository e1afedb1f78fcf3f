using Lmvp.Store.Packs;
using Lmvp.Testing;
using static Lmvp.Store.Tests.Maintenance.MaintenanceFixture;

namespace Lmvp.Store.Tests.Maintenance;

public sealed class FsckTests
{
    [Test]
    public void Fsck_HealthyRepository_IsOkAndCountsEveryObjectChunkAndPack()
    {
        using var repo = SmallRepository(out _, out _);

        var report = repo.Repository.Fsck();

        report.Problems.Should().BeEmpty();
        report.IsOk.Should().BeTrue();
        report.Objects.Should().Be(repo.Repository.Database.ListObjectSummaries().Count());
        report.Chunks.Should().Be(repo.Repository.Database.ChunkTotals().Count);
        report.Packs.Should().Be(PackFiles(repo.Repository).Length);
        report.BytesVerified.Should().Be(PackFiles(repo.Repository).Sum(p => new FileInfo(p).Length));
        report.Notes.Should().BeEmpty();
    }

    [Test]
    public void Fsck_SingleByteFlippedAnywhereInAPack_IsReportedAndClearsWhenRestored()
    {
        using var repo = SmallRepository(out _, out _);
        var pack = PackFiles(repo.Repository).OrderByDescending(p => new FileInfo(p).Length).First();
        var length = new FileInfo(pack).Length;

        // The fixed parts (header, first entry header, trailer, footer fields) and a spread of random offsets.
        var offsets = new List<long> { 0, 8, 12, 15, 16, 17, 20, 30, 63, 64, 65, length - 1, length - 8, length - 20, length - 44, length - 48, length - 52, length - 56, length - 60, length - 100 };
        var random = new Random(20251127);
        while (offsets.Count < 60)
        {
            offsets.Add(random.NextInt64(length));
        }

        foreach (var offset in offsets)
        {
            FlipByte(pack, offset);
            var report = repo.Repository.Fsck();
            report.IsOk.Should().BeFalse($"a flipped byte at offset {offset} of {length} must be found");
            FlipByte(pack, offset);
        }

        repo.Repository.Fsck().IsOk.Should().BeTrue("the pack is intact again");
    }

    [Test]
    public void Fsck_ManifestWhoseIntactChunksDoNotMakeUpItsFile_IsReported()
    {
        using var repo = SmallRepository(out _, out var second);
        var real = repo.Repository.Store.GetManifest(repo.Repository.ListFiles(second).Single(f => f.Key == "weights/b.bin").Value.Id);

        // Another file's chunks filed under an id they do not hash to, as a server that did not verify uploads let through.
        var forgedId = ObjectId.Compute("some other file"u8);
        var forged = new FileManifest(forgedId, real.Size, real.Chunks);
        repo.Repository.Database.PutObject(forgedId, ObjectKind.Manifest, forged.Encode());

        var report = repo.Repository.Fsck();

        report.IsOk.Should().BeFalse("every chunk is intact, but the file they make is not the one its id names");
        report.Problems.Should().ContainSingle().Which.Message.Should().Contain(forgedId.ToShortString()).And.Contain("hash to");
    }

    [Test]
    public void Fsck_CorruptChunk_NamesTheChunkWithEveryPathAndCommitThatUsesIt()
    {
        using var repo = SmallRepository(out var first, out var second);
        var chunk = ChunksOf(repo.Repository, second, "weights/b.bin")[1];
        var (pack, dataOffset, _) = LocateChunk(repo.Repository, chunk);
        FlipByte(pack, dataOffset + 100);

        var report = repo.Repository.Fsck();

        report.IsOk.Should().BeFalse();
        var problem = report.Problems.Should().ContainSingle(p => p.Kind == FsckProblemKind.Chunk).Subject;
        problem.Subject.Should().Be(chunk.ToString());
        problem.Message.Should().Contain(chunk.ToShortString()).And.Contain(Path.GetFileName(pack)).And.Contain("do not hash to its id");
        problem.UsedBy.Should().BeEquivalentTo([new FsckUsage("weights/b.bin", second), new FsckUsage("weights/b.bin", first)], "b.bin is unchanged in both commits");
        problem.UsedByTotal.Should().Be(2);
    }

    [Test]
    public void Fsck_MissingPackFile_ReportsThePackAndEveryLostChunkWithItsFiles()
    {
        using var repo = SmallRepository(out var first, out var second);
        var chunk = ChunksOf(repo.Repository, second, "weights/a.bin")[0];
        var (pack, _, _) = LocateChunk(repo.Repository, chunk);
        File.Delete(pack);

        var report = repo.Repository.Fsck();

        report.Problems.Should().Contain(p => p.Kind == FsckProblemKind.Pack && p.Subject == Path.GetFileName(pack));
        var lost = report.Problems.Single(p => p.Kind == FsckProblemKind.Chunk && p.Subject == chunk.ToString());
        lost.Message.Should().Contain("missing");
        lost.UsedBy.Should().Equal(new FsckUsage("weights/a.bin", second));
        report.Problems.Where(p => p.Kind == FsckProblemKind.Chunk).SelectMany(p => p.UsedBy).Select(u => u.Commit).Should().NotContain(first,
            "the first commit's files live in the first pack, which is intact");
    }

    [Test]
    public void Fsck_MissingManifest_NamesTheFileInEveryCommit()
    {
        using var repo = SmallRepository(out var first, out var second);
        var fileId = repo.Entry(second, "weights/b.bin")!.Id;
        repo.Repository.Database.DeleteObject(fileId);

        var report = repo.Repository.Fsck();

        var problem = report.Problems.Should().ContainSingle().Subject;
        problem.Kind.Should().Be(FsckProblemKind.Object);
        problem.Subject.Should().Be(fileId.ToString());
        problem.Message.Should().Contain("manifest is missing");
        problem.UsedBy.Select(u => (u.Path, u.Commit)).Should().BeEquivalentTo([("weights/b.bin", second), ("weights/b.bin", first)]);
    }

    [Test]
    public void Fsck_CorruptCommitInTheIndex_IsReported()
    {
        using var repo = SmallRepository(out var first, out _);
        repo.Repository.Database.TryGetObject(first, out var kind, out var data).Should().BeTrue();
        data[^3] ^= 1;
        repo.Repository.Database.ReplaceObject(first, kind, data);

        var report = repo.Repository.Fsck();

        report.Problems.Should().ContainSingle(p => p.Kind == FsckProblemKind.Object && p.Subject == first.ToString())
            .Which.Message.Should().Contain("corrupt");
    }

    [Test]
    public void Fsck_RefToMissingCommit_IsReported()
    {
        using var repo = SmallRepository(out _, out _);
        var nowhere = ObjectId.Compute("no such commit"u8);
        repo.Repository.Database.SetRef("refs/tags/lost", nowhere);

        var report = repo.Repository.Fsck();

        report.Problems.Should().ContainSingle().Which.Should().Match<FsckProblem>(p =>
            p.Kind == FsckProblemKind.Ref && p.Subject == "refs/tags/lost" && p.Message.Contains(nowhere.ToShortString()) && p.Message.Contains("missing"));
    }

    [Test]
    public void Fsck_ChunkRowPointingAtTheWrongOffset_IsReportedWithItsFile()
    {
        using var repo = SmallRepository(out _, out var second);
        var chunk = ChunksOf(repo.Repository, second, "weights/a.bin")[0];
        repo.Repository.Database.TryGetChunk(chunk, out var location).Should().BeTrue();
        repo.Repository.Database.UpdateChunkLocation(chunk, location.PackId, location.ToEntry(chunk) with { Offset = location.Offset + 8 });

        var report = repo.Repository.Fsck();

        var problem = report.Problems.Should().ContainSingle().Subject;
        problem.Kind.Should().Be(FsckProblemKind.Chunk);
        problem.Message.Should().Contain("holds no such entry");
        problem.UsedBy.Should().Equal(new FsckUsage("weights/a.bin", second));
    }

    [Test]
    public void Fsck_LeftoversOfAnInterruptedCommit_AreNotesNotProblems()
    {
        using var repo = SmallRepository(out _, out _);
        var packs = Path.Combine(repo.Repository.RepositoryDirectory, "packs");
        File.WriteAllBytes(Path.Combine(packs, PackFormat.TempPrefix + "0123.pack"), TestData.Random(1000, 9));
        var unindexed = Path.Combine(packs, "pack-ffffffffffffffffffffffffffffffff.pack");
        File.Copy(PackFiles(repo.Repository)[0], unindexed);

        var report = repo.Repository.Fsck();

        report.IsOk.Should().BeTrue(string.Join("\n", report.Problems.Select(p => p.Message)));
        report.Notes.Should().HaveCount(2);
        report.Notes.Should().Contain(n => n.Contains("temporary pack")).And.Contain(n => n.Contains(Path.GetFileName(unindexed)));
        report.Packs.Should().Be(PackFiles(repo.Repository).Length - 1, "the unindexed pack is verified too; the temporary one is not");
    }
}
