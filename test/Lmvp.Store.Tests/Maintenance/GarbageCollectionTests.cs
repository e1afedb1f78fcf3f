using Lmvp.Store.Maintenance;
using Lmvp.Store.Packs;
using Lmvp.Store.Tests.Support;
using Lmvp.Testing;
using static Lmvp.Store.Tests.Maintenance.MaintenanceFixture;

namespace Lmvp.Store.Tests.Maintenance;

public sealed class GarbageCollectionTests
{
    private static readonly byte[] Notes = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 50_000).Select(i => $"step {i} loss {i * 0.001}")));

    /// <summary>
    /// main: base → kept. Branch exp (deleted afterwards): base → exp, adding p.bin (only exp has it) and q.bin + log.txt, which
    /// main later commits too. So exp's pack mixes dead entries (p.bin, exp's commit and trees) with live ones (q.bin's and
    /// log.txt's chunks and manifests), and gc has to rewrite it.
    /// </summary>
    private static ScratchRepository BranchWithUniqueData(out ObjectId kept, out ObjectId dead)
    {
        var repo = new ScratchRepository("gc");
        repo.Write("a.bin", TestData.Random(800_000, 1));
        repo.Write("notes.txt", Notes);
        repo.Commit("base");
        repo.Repository.CreateBranch("exp");
        repo.Repository.Checkout("exp");
        repo.Write("p.bin", TestData.Random(1_500_000, 2));
        repo.Write("q.bin", TestData.Random(600_000, 3));
        repo.Write("log.txt", Notes.Concat("\nend"u8.ToArray()).ToArray());
        dead = repo.Commit("exp").Commit.Id;
        repo.Repository.Checkout("main");
        repo.Write("q.bin", TestData.Random(600_000, 3));
        repo.Write("log.txt", Notes.Concat("\nend"u8.ToArray()).ToArray());
        kept = repo.Commit("main keeps q and log").Commit.Id;
        repo.Repository.DeleteBranch("exp", force: true);

        // These tests are about what gc frees; the reflog's grace period has tests of its own below.
        repo.Repository.SetConfig(Repository.ReflogExpiryConfigKey, "now");
        return repo;
    }

    [Test]
    public void CollectGarbage_RightAfterBranchDelete_KeepsItsCommitsForTheReflogUntilPruneNowOrExpiry()
    {
        using var repo = BranchWithUniqueData(out var kept, out var dead);
        repo.Repository.SetConfig(Repository.ReflogExpiryConfigKey, "14.days");
        var unique = ChunksOf(repo.Repository, dead, "p.bin");

        repo.Repository.ReadReflog("exp").Should().Contain(e => e.Message == "branch: deleted" && e.Old == dead && e.New == null,
            "a deleted branch's reflog stays and says what it was");
        var kept14 = repo.Repository.CollectGarbage();
        kept14.ChunksRemoved.Should().Be(0, "the reflog of the last 14 days reaches the deleted branch");
        repo.Repository.Database.HasObject(dead).Should().BeTrue();
        unique.Should().OnlyContain(c => repo.Repository.Database.HasChunk(c));
        repo.Repository.CreateBranch("exp", dead.ToString()).Old.Should().BeNull("the branch comes back from its reflog");
        repo.Repository.DeleteBranch("exp", force: true);

        // Fifteen days on, the entries have expired and keep nothing.
        var later = repo.Repository.CollectGarbage(false, Repository.DefaultReflogExpiry, DateTimeOffset.UtcNow.AddDays(15), null, null, CancellationToken.None);
        later.ChunksRemoved.Should().Be(unique.Count);
        later.ReflogEntriesExpired.Should().BeGreaterThan(0);
        repo.Repository.Database.HasObject(dead).Should().BeFalse();
        AssertEveryFileReadsBack(repo.Repository, kept);
    }

    [Test]
    public void CollectGarbage_PruneNow_FreesADeletedBranchAtOnce()
    {
        using var repo = BranchWithUniqueData(out var kept, out var dead);
        repo.Repository.SetConfig(Repository.ReflogExpiryConfigKey, "14.days");

        var unique = ChunksOf(repo.Repository, dead, "p.bin");

        var result = repo.Repository.CollectGarbage(reflogExpiry: TimeSpan.Zero);

        result.ChunksRemoved.Should().Be(unique.Count);
        repo.Repository.Database.HasObject(dead).Should().BeFalse();
        repo.Repository.ReadReflog("HEAD").Should().BeEmpty("--prune=now expires every entry");
        AssertEveryFileReadsBack(repo.Repository, kept);
    }

    [Test]
    public void CollectGarbage_DeletedBranchWithUniqueData_FreesExactlyWhatTheDryRunPredicted()
    {
        using var repo = BranchWithUniqueData(out var kept, out var dead);
        var uniqueChunks = ChunksOf(repo.Repository, dead, "p.bin");
        var before = PackFiles(repo.Repository).Select(p => (p, Hashes.OfFile(p))).ToList();
        var bytesBefore = PackFiles(repo.Repository).Sum(p => new FileInfo(p).Length);

        var dry = repo.Repository.CollectGarbage(dryRun: true);

        dry.DryRun.Should().BeTrue();
        dry.BytesFreed.Should().BeGreaterThan(1_500_000, "p.bin's random bytes are stored raw");
        dry.ChunksRemoved.Should().Be(uniqueChunks.Count);
        dry.ObjectsRemoved.Should().BeGreaterThanOrEqualTo(3, "exp's commit, its root tree and p.bin's manifest");
        dry.PacksRewritten.Should().Be(1);
        PackFiles(repo.Repository).Select(p => (p, Hashes.OfFile(p))).Should().Equal(before, "a dry run changes nothing");

        var real = repo.Repository.CollectGarbage();

        real.BytesFreed.Should().Be(dry.BytesFreed);
        real.ChunksRemoved.Should().Be(dry.ChunksRemoved);
        real.ObjectsRemoved.Should().Be(dry.ObjectsRemoved);
        real.PacksRewritten.Should().Be(1);
        real.Warnings.Should().BeEmpty();
        PackFiles(repo.Repository).Sum(p => new FileInfo(p).Length).Should().Be(bytesBefore - real.BytesFreed);
        uniqueChunks.Should().OnlyContain(c => !repo.Repository.Database.HasChunk(c));
        repo.Repository.Database.HasObject(dead).Should().BeFalse();
        repo.Repository.Fsck().Problems.Select(p => p.Message).Should().BeEmpty();
        AssertEveryFileReadsBack(repo.Repository, kept);

        repo.Reopen();
        AssertEveryFileReadsBack(repo.Repository, kept);
        repo.Repository.CollectGarbage().BytesFreed.Should().Be(0, "everything left is reachable");
    }

    [Test]
    public void CollectGarbage_KeepsWhatBranchesTagsRemoteRefsAndADetachedHeadReach()
    {
        using var repo = new ScratchRepository("gc-roots");
        var commits = new Dictionary<string, ObjectId>();
        void Line(string branch, int seed)
        {
            repo.Repository.CreateBranch(branch, "main");
            repo.Repository.Checkout(branch);
            repo.Write($"{branch}.bin", TestData.Random(400_000, seed));
            commits[branch] = repo.Commit(branch).Commit.Id;
            repo.Repository.Checkout("main");
        }

        repo.Write("base.bin", TestData.Random(500_000, 10));
        repo.Write("notes.txt", Notes);
        commits["main"] = repo.Commit("base").Commit.Id;
        Line("tagged", 11);
        Line("remote", 12);
        Line("detached", 13);
        Line("doomed", 14);
        repo.Repository.CreateTag("v1", "tagged");
        repo.Repository.UpdateRef("refs/remotes/origin/feature", commits["remote"]);
        foreach (var b in new[] { "tagged", "remote", "detached", "doomed" })
        {
            repo.Repository.DeleteBranch(b, force: true);
        }

        repo.Repository.Checkout(commits["detached"].ToString());
        repo.Repository.CurrentBranch.Should().BeNull();

        var doomedChunks = ChunksOf(repo.Repository, commits["doomed"], "doomed.bin").Distinct().Count();

        var result = repo.Repository.CollectGarbage(reflogExpiry: TimeSpan.Zero);

        result.ChunksRemoved.Should().Be(doomedChunks, "only the doomed branch's file was unreachable (the reflog's grace aside)");
        repo.Repository.Database.HasObject(commits["doomed"]).Should().BeFalse();
        repo.Repository.Fsck().Problems.Select(p => p.Message).Should().BeEmpty();
        foreach (var name in new[] { "main", "tagged", "remote", "detached" })
        {
            AssertEveryFileReadsBack(repo.Repository, commits[name]);
        }
    }

    [Test]
    public void CollectGarbage_LeftoverPacks_RemovesStaleOnesButNotAFreshOrphan_AndWaitsForAWriterToFinish()
    {
        using var repo = BranchWithUniqueData(out var kept, out _);
        var packs = Path.Combine(repo.Repository.RepositoryDirectory, "packs");
        var stale = Path.Combine(packs, PackFormat.TempPrefix + "killed.pack");
        File.WriteAllBytes(stale, TestData.Random(10_000, 5));
        var oldOrphan = Path.Combine(packs, "pack-00000000000000000000000000000001.pack");
        var freshOrphan = Path.Combine(packs, "pack-00000000000000000000000000000002.pack");
        File.WriteAllBytes(oldOrphan, TestData.Random(20_000, 6));
        File.WriteAllBytes(freshOrphan, TestData.Random(30_000, 7));
        File.SetLastWriteTimeUtc(oldOrphan, DateTime.UtcNow - GarbageCollector.OrphanGrace - TimeSpan.FromMinutes(5));

        using (var writing = new PackFile(packs))
        {
            writing.Writer.Append(ObjectKind.Chunk, ObjectId.Compute("x"u8), "x"u8, tryCompress: false);
            var whileWriting = () => repo.Repository.CollectGarbage();
            whileWriting.Should().Throw<LmvpException>().WithMessage("Cannot run gc: a commit or fetch is writing to this repository*");
            repo.Repository.CollectGarbage(dryRun: true).LeftoverPacksDeleted.Should().Be(2, "a dry run may look, and counts only packs no one holds open");
            File.Exists(stale).Should().BeTrue();
        }

        var dry = repo.Repository.CollectGarbage(dryRun: true);
        var result = repo.Repository.CollectGarbage();

        result.LeftoverPacksDeleted.Should().Be(2);
        result.BytesFreed.Should().Be(dry.BytesFreed);
        File.Exists(stale).Should().BeFalse();
        File.Exists(oldOrphan).Should().BeFalse();
        Directory.GetFiles(packs, PackFormat.TempPrefix + "*").Should().BeEmpty();
        File.Exists(freshOrphan).Should().BeTrue("a commit may be about to index a pack it has just renamed");
        AssertEveryFileReadsBack(repo.Repository, kept);
    }

    [Test]
    public void CollectGarbage_ReachableChunkMissingFromTheIndex_StopsBeforeChangingAnything()
    {
        using var repo = BranchWithUniqueData(out var kept, out _);
        repo.Repository.Database.DeleteChunk(ChunksOf(repo.Repository, kept, "a.bin")[0]);
        var before = PackFiles(repo.Repository).Select(p => (p, Hashes.OfFile(p))).ToList();
        var objects = repo.Repository.Database.ListObjectSummaries().Count();

        var act = () => repo.Repository.CollectGarbage();

        act.Should().Throw<LmvpException>().WithMessage("gc stopped before changing anything: chunk * of file * is missing from the index; run 'lmvp fsck'.");
        PackFiles(repo.Repository).Select(p => (p, Hashes.OfFile(p))).Should().Equal(before);
        repo.Repository.Database.ListObjectSummaries().Count().Should().Be(objects);
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(3)]
    public void CollectGarbage_CrashAfterAnyStepOfAPackSwap_LeavesARepositoryThatVerifiesAndCollectsLater(int crashAtStep)
    {
        using var repo = BranchWithUniqueData(out var kept, out _);
        var steps = 0;
        var act = () => repo.Repository.CollectGarbage(dryRun: false, onStep: step =>
        {
            if (++steps == crashAtStep)
            {
                throw new SimulatedCrash(step);
            }
        }, null, CancellationToken.None);

        act.Should().Throw<SimulatedCrash>();
        repo.Reopen();
        var afterCrash = repo.Repository.Fsck();
        afterCrash.Problems.Select(p => p.Message).Should().BeEmpty();
        AssertEveryFileReadsBack(repo.Repository, kept);

        // Age whatever pack the crash left unindexed past the grace period, as time would.
        var indexed = repo.Repository.Database.ListPacks().Select(p => p.Name).ToHashSet();
        foreach (var orphan in PackFiles(repo.Repository).Where(p => !indexed.Contains(Path.GetFileName(p))))
        {
            File.SetLastWriteTimeUtc(orphan, DateTime.UtcNow - GarbageCollector.OrphanGrace - TimeSpan.FromMinutes(1));
        }

        repo.Repository.CollectGarbage();
        var final = repo.Repository.Fsck();
        final.Problems.Select(p => p.Message).Should().BeEmpty();
        final.Notes.Should().BeEmpty("no leftovers remain");
        repo.Repository.CollectGarbage(dryRun: true).BytesFreed.Should().Be(0);
        AssertEveryFileReadsBack(repo.Repository, kept);
    }

    [Test]
    public void CollectGarbage_WhileAnotherMaintenanceRuns_IsRefused()
    {
        using var repo = BranchWithUniqueData(out _, out _);
        using var held = MaintenanceLock.Acquire(repo.Repository.RepositoryDirectory, "test");

        var act = () => repo.Repository.CollectGarbage();

        act.Should().Throw<LmvpException>().WithMessage("Cannot run gc: another lmvp process is running gc or an index rebuild in this repository.");
    }

    private sealed class SimulatedCrash(string step) : Exception($"simulated crash after '{step}'");
}
