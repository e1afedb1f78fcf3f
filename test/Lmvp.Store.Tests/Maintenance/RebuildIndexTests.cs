using Lmvp.Store.Maintenance;
using Lmvp.Store.Packs;
using Lmvp.Store.Tests.Support;
using Lmvp.Testing;
using Microsoft.Data.Sqlite;
using static Lmvp.Store.Tests.Maintenance.MaintenanceFixture;

namespace Lmvp.Store.Tests.Maintenance;

public sealed class RebuildIndexTests
{
    private static readonly DateTimeOffset T0 = new(2025, 11, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>main: m1 → m2 → m3 (newest); exp: m1 → e1 (older than m3), with files only exp has.</summary>
    private static ScratchRepository History(out ObjectId m3, out ObjectId e1)
    {
        var repo = new ScratchRepository("rebuild");
        repo.Write("model/weights.bin", TestData.Random(600_000, 1));
        repo.Write("config.json", "{\"lr\": 0.1}"u8.ToArray());
        Commit(repo, "m1", 0);
        repo.Repository.CreateBranch("exp");
        repo.Write("model/weights.bin", TestData.Random(600_000, 2));
        Commit(repo, "m2", 10);
        repo.Repository.Checkout("exp");
        repo.Write("exp-only.bin", TestData.Random(300_000, 3));
        e1 = Commit(repo, "e1", 20);
        repo.Repository.Checkout("main");
        repo.Write("model/weights.bin", TestData.Random(600_000, 4));
        repo.Write("empty.txt", []);
        m3 = Commit(repo, "m3", 30);
        repo.Repository.CreateTag("v1", "HEAD~1");
        return repo;
    }

    private static ObjectId Commit(ScratchRepository repo, string message, int minutes) =>
        repo.Repository.Commit(new CommitOptions
        {
            Message = message,
            Author = ScratchRepository.TestAuthor,
            RecordProvenance = false,
            Time = T0.AddMinutes(minutes),
        }).Commit.Id;

    private static (HashSet<ObjectId> Chunks, HashSet<(ObjectId, ObjectKind)> Objects) Contents(Repository repository) =>
        (repository.Database.ListChunkIds().ToHashSet(), repository.Database.ListObjectSummaries().Select(o => (o.Id, o.Kind)).ToHashSet());

    private static void DeleteDatabase(ScratchRepository repo)
    {
        repo.Repository.Dispose();
        foreach (var f in Directory.GetFiles(repo.Repository.RepositoryDirectory, "lmvp.db*"))
        {
            File.Delete(f);
        }
    }

    [Test]
    public void RebuildIndex_DatabaseDeleted_RecoversEveryChunkAndObjectAndRepointsRefs()
    {
        using var repo = History(out var m3, out var e1);
        var before = Contents(repo.Repository);
        var expFiles = repo.Repository.ListFiles(e1).ToDictionary(f => f.Key, f => f.Value.Id);
        DeleteDatabase(repo);
        Directory.CreateDirectory(repo.Combine("model/sub"));

        var result = Repository.RebuildIndex(repo.Combine("model/sub"));

        result.IndexWasMissing.Should().BeTrue();
        result.MovedAsideTo.Should().BeNull();
        result.DamagedPacks.Should().BeEmpty();
        result.Commits.Should().Be(4);
        result.Branch.Should().Be("main");
        result.Refs.Should().BeEquivalentTo([
            new RefRecovery("refs/heads/main", m3, RefRecoveryKind.NewestHead),
            new RefRecovery("refs/heads/recovered-" + e1.ToShortString(), e1, RefRecoveryKind.OtherHead),
        ]);
        repo.Reopen();
        var after = Contents(repo.Repository);
        after.Chunks.Should().BeEquivalentTo(before.Chunks);
        after.Objects.Should().BeEquivalentTo(before.Objects);
        repo.Repository.Fsck().Problems.Select(p => p.Message).Should().BeEmpty();
        repo.Repository.Log("main").Select(c => c.Message).Should().Equal("m3", "m2", "m1");
        repo.Repository.Head.Should().Be(m3);

        repo.Repository.Checkout("recovered-" + e1.ToShortString(), force: true);
        foreach (var (path, id) in expFiles)
        {
            Hashes.OfFile(repo.Combine(path)).Should().Be(id, $"{path} must check out byte-identical");
        }
    }

    [Test]
    public void RebuildIndex_DatabaseTruncatedToNothing_RecoversLikeALostOne()
    {
        using var repo = History(out var m3, out var e1);
        DeleteDatabase(repo);
        File.WriteAllBytes(Path.Combine(repo.Repository.RepositoryDirectory, "lmvp.db"), []);

        var result = Repository.RebuildIndex(repo.Root);

        result.Refs.Select(r => (r.Name, r.Target, r.How)).Should().BeEquivalentTo([
            ("refs/heads/main", m3, RefRecoveryKind.NewestHead),
            ("refs/heads/recovered-" + e1.ToShortString(), e1, RefRecoveryKind.OtherHead),
        ]);
        repo.Reopen();
        repo.Repository.Fsck().Problems.Select(p => p.Message).Should().BeEmpty();
    }

    [Test]
    public void RebuildIndex_DatabaseIsGarbage_MovesItAsideUntouchedAndRebuilds()
    {
        using var repo = History(out var m3, out _);
        var before = Contents(repo.Repository);
        repo.Repository.Dispose();
        var dbPath = Path.Combine(repo.Repository.RepositoryDirectory, "lmvp.db");
        var garbage = TestData.Random(64 * 1024, 99);
        File.WriteAllBytes(dbPath, garbage);
        var open = () => Repository.Open(repo.Root);
        open.Should().Throw<CorruptObjectException>("a garbage index cannot be opened");

        var result = Repository.RebuildIndex(repo.Root);

        result.MovedAsideTo.Should().NotBeNull().And.MatchRegex(@"lmvp\.db\.corrupt-\d{8}T\d{6}Z$");
        File.ReadAllBytes(result.MovedAsideTo!).Should().Equal(garbage, "the damaged file is kept as it was, never deleted");
        result.Refs.Should().ContainSingle(r => r.How == RefRecoveryKind.NewestHead).Which.Target.Should().Be(m3);
        repo.Reopen();
        Contents(repo.Repository).Chunks.Should().BeEquivalentTo(before.Chunks);
        repo.Repository.Fsck().Problems.Select(p => p.Message).Should().BeEmpty();
    }

    [Test]
    public void RebuildIndex_DamagedDatabaseWithReadableRefs_CarriesOverBranchesTagsHeadConfigAndPromisedFiles()
    {
        using var repo = History(out var m3, out var e1);
        repo.Repository.SetConfig("remote.origin.url", "http://127.0.0.1:1/team/model");
        var promised = ObjectId.Compute("a file a partial clone left on origin"u8);
        repo.Repository.Database.AddPromisedFiles([promised], "origin");
        repo.Repository.Checkout("exp");
        var refs = repo.Repository.ListRefs();
        repo.Repository.Database.Checkpoint();
        repo.Repository.Dispose();
        var dbPath = Path.Combine(repo.Repository.RepositoryDirectory, "lmvp.db");

        // Scribble over the pages of the chunk and object tables, as a bad sector would; refs, HEAD and config live elsewhere.
        var pages = new List<long>();
        long pageSize;
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dbPath, Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT rootpage FROM sqlite_master WHERE name IN ('chunks', 'objects')";
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    pages.Add(reader.GetInt64(0));
                }
            }

            command.CommandText = "PRAGMA page_size";
            pageSize = (long)command.ExecuteScalar()!;
        }

        pages.Should().HaveCount(2);
        using (var stream = new FileStream(dbPath, FileMode.Open, FileAccess.Write))
        {
            foreach (var page in pages)
            {
                stream.Position = (page - 1) * pageSize;
                stream.Write(TestData.Random((int)pageSize, (int)page));
            }
        }

        var result = Repository.RebuildIndex(repo.Root);

        result.MovedAsideTo.Should().NotBeNull();
        result.Refs.Where(r => r.How == RefRecoveryKind.Salvaged).Select(r => new KeyValuePair<string, ObjectId>(r.Name, r.Target))
            .Should().BeEquivalentTo(refs, "the pages of the refs table are intact");
        result.Refs.Should().NotContain(r => r.How == RefRecoveryKind.OtherHead || r.How == RefRecoveryKind.NewestHead);
        result.Branch.Should().Be("exp");
        repo.Reopen();
        repo.Repository.Head.Should().Be(e1);
        repo.Repository.GetConfig("remote.origin.url").Should().Be("http://127.0.0.1:1/team/model");
        repo.Repository.Database.GetPromisingRemote(promised).Should().Be("origin", "else its missing chunks would read as damage");
        result.Notes.Should().Contain(n => n.Contains("'origin'", StringComparison.Ordinal) && n.Contains("1 file", StringComparison.Ordinal));
        repo.Repository.ResolveCommit("main").Should().Be(m3);
        repo.Repository.Fsck().Problems.Select(p => p.Message).Should().BeEmpty();
    }

    [Test]
    public void RebuildIndex_HealthyDatabase_KeepsRefsAndStatCacheAndRepairsACorruptObject()
    {
        using var repo = History(out var m3, out _);
        var before = Contents(repo.Repository);
        var statCache = repo.Repository.Database.LoadStatCache();
        var tree = repo.Repository.GetCommit(m3).TreeId;
        repo.Repository.Database.TryGetObject(tree, out var kind, out var data).Should().BeTrue();
        data[10] ^= 0xFF;
        repo.Repository.Database.ReplaceObject(tree, kind, data);
        repo.Repository.Fsck().IsOk.Should().BeFalse();

        var result = Repository.RebuildIndex(repo.Root);

        result.MovedAsideTo.Should().BeNull();
        result.IndexWasMissing.Should().BeFalse();
        result.Refs.Should().OnlyContain(r => r.How == RefRecoveryKind.Kept).And.HaveCount(repo.Repository.ListRefs().Count);
        result.UnreferencedHeads.Should().BeEmpty();
        repo.Reopen();
        Contents(repo.Repository).Should().BeEquivalentTo(before);
        repo.Repository.Database.LoadStatCache().Should().BeEquivalentTo(statCache);
        repo.Repository.Fsck().Problems.Select(p => p.Message).Should().BeEmpty("the tree was replaced by its verified copy from the pack");
    }

    [Test]
    public void RebuildIndex_PackWithDamagedTrailer_IndexesItsEntriesByScanning_AndGcRepairsThePack()
    {
        using var repo = History(out var m3, out _);
        var before = Contents(repo.Repository);
        var pack = PackFiles(repo.Repository).OrderByDescending(p => new FileInfo(p).Length).First();
        var length = new FileInfo(pack).Length;
        FlipByte(pack, length - PackFormat.FooterSize - 10);
        DeleteDatabase(repo);

        var result = Repository.RebuildIndex(repo.Root);

        result.DamagedPacks.Should().ContainSingle().Which.Should().Contain(Path.GetFileName(pack)).And.Contain("damaged trailer");
        repo.Reopen();
        Contents(repo.Repository).Chunks.Should().BeEquivalentTo(before.Chunks, "every entry was found by walking the entry headers");
        var report = repo.Repository.Fsck();
        report.Problems.Should().ContainSingle().Which.Kind.Should().Be(FsckProblemKind.Pack);

        var gc = repo.Repository.CollectGarbage();

        gc.PacksRewritten.Should().Be(1);
        repo.Repository.Fsck().Problems.Select(p => p.Message).Should().BeEmpty("gc rewrote the pack with a fresh trailer");
        AssertEveryFileReadsBack(repo.Repository, m3);
    }

    [Test]
    public void RebuildIndex_WhileGcRuns_IsRefused()
    {
        using var repo = History(out _, out _);
        using var held = MaintenanceLock.Acquire(repo.Repository.RepositoryDirectory, "test");

        var act = () => Repository.RebuildIndex(repo.Root);

        act.Should().Throw<LmvpException>().WithMessage("Cannot rebuild the index: another lmvp process*");
    }
}
