using Lmvp.Server.Hosting;
using Lmvp.Server.Storage;

namespace Lmvp.Server.Services.Maintenance;

/// <summary>What one gc run of a repository did.</summary>
internal sealed record GcResult(int Unreachable, long UnreachableBytes, int Condemned, int Deleted, long DeletedBytes, int PacksDeleted, bool DryRun)
{
    public override string ToString() => DryRun
        ? $"{Unreachable} unreachable chunks ({UnreachableBytes} bytes) would be removed; nothing changed (dry run)"
        : $"{Unreachable} unreachable chunks ({UnreachableBytes} bytes): {Condemned} newly condemned, {Deleted} deleted ({DeletedBytes} bytes), "
          + $"{PacksDeleted} packs deleted";
}

/// <summary>Server-side gc of a repository's chunks that no ref reaches, safe while any number of servers take pushes.</summary>
/// <remarks>
/// <para>One run condemns what the refs do not reach (the chunks stay and are served, and marks of completeness on unreachable
/// commits and trees are dropped so a later ref update re-checks them), then sweeps: it deletes the chunks condemned at least
/// the grace period ago that are still unreachable, and the packs left empty.</para>
/// <para>Why a push on another server is safe: the ref update that publishes a commit takes back from gc every condemned chunk
/// its closure uses before it checks they are present (so a push that reused a condemned chunk keeps it), and the sweep runs
/// in one transaction that holds the repository's row, which every ref update locks first, so the refs it computes
/// reachability from cannot move until it has deleted. A ref update that checked before a sweep deleted a chunk it relied on
/// would need to take longer than the grace period (default an hour; a request times out long before).</para>
/// </remarks>
internal sealed class ServerGc(ServerStorage storage, TimeProvider time)
{
    /// <summary>The default grace period, in minutes.</summary>
    public const int DefaultGraceMinutes = 60;

    public async Task<GcResult> RunAsync(RepositoryRecord repository, TimeSpan grace, bool dryRun, CancellationToken cancellationToken)
    {
        var index = storage.Metadata.Chunks;
        var graph = new RepositoryGraph(repository, storage.Metadata.Objects, storage.Metadata.Refs, storage.Chunks, new ObjectCache());
        var live = await Reachability.OfRefsAsync(graph, storage.Metadata.Refs, cancellationToken).ConfigureAwait(false);
        var chunks = await index.ListChunksAsync(repository.Id, cancellationToken).ConfigureAwait(false);
        var unreachable = chunks.Where(c => !live.Chunks.Contains(c.Id)).ToList();
        var unreachableBytes = unreachable.Sum(c => (long)c.StoredLength);
        if (dryRun)
        {
            return new GcResult(unreachable.Count, unreachableBytes, 0, 0, 0, 0, DryRun: true);
        }

        // Marks first and again after: a mark on an unreachable commit must not let a later ref update skip a condemned chunk.
        var marked = live.Marked;
        await storage.Metadata.Objects.ClearCompleteExceptAsync(repository.Id, marked, cancellationToken).ConfigureAwait(false);
        var condemned = await index.SetCondemnedAsync(repository.Id, [.. unreachable.Where(c => c.CondemnedAt is null).Select(c => c.Id)], condemn: true,
            cancellationToken).ConfigureAwait(false);
        await storage.Metadata.Objects.ClearCompleteExceptAsync(repository.Id, marked, cancellationToken).ConfigureAwait(false);

        // Reachable again since an earlier run condemned them: they start over.
        await index.SetCondemnedAsync(repository.Id, [.. chunks.Where(c => c.CondemnedAt is not null && live.Chunks.Contains(c.Id)).Select(c => c.Id)],
            condemn: false, cancellationToken).ConfigureAwait(false);

        var swept = await index.SweepAsync(repository.Id, time.GetUtcNow() - grace, async (tips, ct) =>
        {
            await live.AddAsync(graph, tips, ct).ConfigureAwait(false);
            return (live.Chunks, live.Marked);
        }, cancellationToken).ConfigureAwait(false);
        foreach (var pack in swept.Packs)
        {
            await storage.Blobs.DeleteAsync(ChunkStore.BlobName(repository.Id, pack), cancellationToken).ConfigureAwait(false);
        }

        return new GcResult(unreachable.Count, unreachableBytes, condemned, swept.Chunks, swept.ChunkBytes, swept.Packs.Count, DryRun: false);
    }
}
