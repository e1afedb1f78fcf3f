using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Packs;

namespace Lmvp.Server.Tests.Storage;

/// <summary>The chunk index's part in gc: condemn, take back, sweep.</summary>
public abstract partial class MetadataContract
{
    [Test]
    public async Task ChunkIndex_Sweep_DeletesOnlyCondemnedUnreachableChunks_AndOneTakenBackByARefCheckSurvives()
    {
        var (s, repo) = await WithRepositoryAsync();
        ObjectId Chunk(int n) => ObjectId.Compute(BitConverter.GetBytes(70_000 + n));
        PackEntry Entry(int n, long offset) => new(Chunk(n), ObjectKind.Chunk, ChunkEncoding.Raw, offset, 100, 100);
        await s.Chunks.AddPackAsync(repo, "old.pack", 1000, [Entry(1, 16), Entry(2, 200)], default);
        await s.Chunks.AddPackAsync(repo, "live.pack", 1000, [Entry(3, 16)], default);
        await s.Chunks.AddPackAsync(repo, "reused.pack", 1000, [Entry(4, 16)], default);

        (await s.Chunks.SetCondemnedAsync(repo, [Chunk(1), Chunk(2), Chunk(4)], condemn: true, default)).Should().Be(3);
        (await s.Chunks.SetCondemnedAsync(repo, [Chunk(1)], condemn: true, default)).Should().Be(0, "condemning again keeps the first time");
        (await s.Chunks.ListChunksAsync(repo, default)).Where(c => c.CondemnedAt is not null).Select(c => c.Id).Should().BeEquivalentTo([Chunk(1), Chunk(2), Chunk(4)]);
        (await s.Chunks.FindMissingAsync(repo, [Chunk(1)], default)).Should().BeEmpty("a condemned chunk is still there and served");

        // A ref update's check finds chunk 4 in its commit: it is taken back, so the sweep must leave it.
        (await s.Chunks.FindMissingAndKeepAsync(repo, [Chunk(4), Chunk(9)], default)).Should().Equal(Chunk(9));

        IReadOnlyList<ObjectId>? tipsSeen = null;
        var result = await s.Chunks.SweepAsync(repo, DateTimeOffset.UtcNow.AddSeconds(5), (tips, _) =>
        {
            tipsSeen = tips;
            return Task.FromResult<(HashSet<ObjectId>, HashSet<ObjectId>)>(([], []));
        }, default);
        tipsSeen.Should().BeEmpty("the repository has no refs");
        result.Chunks.Should().Be(2);
        result.ChunkBytes.Should().Be(200);
        result.Packs.Should().Equal("old.pack");
        (await s.Chunks.FindMissingAsync(repo, [Chunk(1), Chunk(2), Chunk(3), Chunk(4)], default)).Should().Equal(Chunk(1), Chunk(2));
        (await s.Chunks.ListPacksAsync(repo, default)).Select(p => p.Name).Should().Equal("live.pack", "reused.pack");
    }

    [Test]
    public async Task ChunkIndex_Sweep_KeepsWhatTheRefsReach_AndWhatWasCondemnedAfterTheCutoff()
    {
        var (s, repo) = await WithRepositoryAsync();
        ObjectId Chunk(int n) => ObjectId.Compute(BitConverter.GetBytes(80_000 + n));
        await s.Chunks.AddPackAsync(repo, "p.pack", 1000, [new(Chunk(1), ObjectKind.Chunk, ChunkEncoding.Raw, 16, 10, 10), new(Chunk(2), ObjectKind.Chunk, ChunkEncoding.Raw, 90, 10, 10)], default);
        await s.Chunks.SetCondemnedAsync(repo, [Chunk(1), Chunk(2)], condemn: true, default);
        await s.Refs.CompareAndSwapRefAsync(repo, "refs/heads/main", null, Chunk(100), default);

        var early = await s.Chunks.SweepAsync(repo, DateTimeOffset.UtcNow.AddMinutes(-5), (_, _) => Task.FromResult<(HashSet<ObjectId>, HashSet<ObjectId>)>(([], [])), default);
        early.Chunks.Should().Be(0, "condemned after the cutoff: still in its grace period");

        var result = await s.Chunks.SweepAsync(repo, DateTimeOffset.UtcNow.AddSeconds(5), (tips, _) =>
        {
            tips.Should().Equal(Chunk(100));
            return Task.FromResult<(HashSet<ObjectId>, HashSet<ObjectId>)>(([Chunk(1)], []));
        }, default);
        result.Chunks.Should().Be(1);
        (await s.Chunks.FindMissingAsync(repo, [Chunk(1), Chunk(2)], default)).Should().Equal(Chunk(2));
        result.Packs.Should().BeEmpty("the pack still holds a chunk");
    }
}
