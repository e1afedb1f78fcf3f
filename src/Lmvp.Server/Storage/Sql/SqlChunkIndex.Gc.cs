using System.Globalization;
using Lmvp.Store;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>The chunk index's part in gc: condemned chunks, taking them back, and the sweep.</summary>
internal sealed partial class SqlChunkIndex
{
    public async Task<IReadOnlyList<ObjectId>> FindMissingAndKeepAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        // Take back first, then look: a sweep that deletes in between leaves the chunk missing, never present-but-condemned.
        await SetCondemnedAsync(repositoryId, ids, condemn: false, cancellationToken).ConfigureAwait(false);
        return await FindMissingAsync(repositoryId, ids, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<(ObjectId Id, int StoredLength, DateTimeOffset? CondemnedAt)>> ListChunksAsync(long repositoryId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT id, stored_length, condemned_at FROM chunks WHERE repo_id = @r", ("@r", repositoryId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<(ObjectId, int, DateTimeOffset?)>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add((new ObjectId((byte[])r[0]), (int)r.GetInt64(1), NullableTime(r, 2)));
        }

        return list;
    }

    public async Task<int> SetCondemnedAsync(long repositoryId, IReadOnlyList<ObjectId> ids, bool condemn, CancellationToken cancellationToken)
    {
        // In id order, so that two updates lock rows in the same order; a repeated id changes its row once either way.
        // Copied by index: the ids are often a view (IdViews), which ToArray would gather in pooled segments first.
        var sorted = new ObjectId[ids.Count];
        for (var i = 0; i < sorted.Length; i++)
        {
            sorted[i] = ids[i];
        }

        Array.Sort(sorted);
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await NonQueryBatchedAsync(c, null, count => condemn
                ? $"UPDATE chunks SET condemned_at = @now WHERE repo_id = @r AND condemned_at IS NULL AND id IN ({InList(count)})"
                : $"UPDATE chunks SET condemned_at = NULL WHERE repo_id = @r AND condemned_at IS NOT NULL AND id IN ({InList(count)})",
            sorted, [("@r", repositoryId), ("@now", db.Now())], cancellationToken).ConfigureAwait(false);
    }

    public async Task<SweepResult> SweepAsync(long repositoryId, DateTimeOffset cutoff, DateTimeOffset historySince,
        Func<IReadOnlyList<ObjectId>, CancellationToken, Task<(HashSet<ObjectId> Chunks, HashSet<ObjectId> Objects)>> reachable,
        CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // A ref update locks this row before it touches a ref: from here to commit, no ref of the repository moves.
        await NonQueryAsync(c, tx, "UPDATE repositories SET updated_at = updated_at WHERE repo_id = @r", cancellationToken, ("@r", repositoryId))
            .ConfigureAwait(false);
        var tips = new List<ObjectId>();
        await using (var cmd = Command(c, tx, SqlRefStore.RetainedTargetsSql, ("@r", repositoryId), ("@s", historySince.ToUnixTimeMilliseconds())))
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                tips.Add(new ObjectId((byte[])r[0]));
            }
        }

        var (liveChunks, liveObjects) = await reachable(tips, cancellationToken).ConfigureAwait(false);
        var doomed = new List<(ObjectId Id, long Stored)>();
        await using (var cmd = Command(c, tx, "SELECT id, stored_length FROM chunks WHERE repo_id = @r AND condemned_at IS NOT NULL AND condemned_at <= @cut",
            ("@r", repositoryId), ("@cut", cutoff.ToUnixTimeMilliseconds())))
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = new ObjectId((byte[])r[0]);
                if (!liveChunks.Contains(id))
                {
                    doomed.Add((id, r.GetInt64(1)));
                }
            }
        }

        var marks = new List<ObjectId>();
        await using (var cmd = Command(c, tx, "SELECT id FROM complete WHERE repo_id = @r", ("@r", repositoryId)))
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = new ObjectId((byte[])r[0]);
                if (!liveObjects.Contains(id))
                {
                    marks.Add(id);
                }
            }
        }

        await DeleteAsync(c, tx, "complete", repositoryId, marks, cancellationToken).ConfigureAwait(false);
        doomed.Sort((a, b) => a.Id.CompareTo(b.Id));
        await DeleteAsync(c, tx, "chunks", repositoryId, [.. doomed.Select(d => d.Id)], cancellationToken).ConfigureAwait(false);
        var packs = new List<string>();
        await using (var cmd = Command(c, tx,
            "DELETE FROM packs WHERE repo_id = @r AND NOT EXISTS (SELECT 1 FROM chunks WHERE chunks.pack_id = packs.pack_id) RETURNING name", ("@r", repositoryId)))
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                packs.Add(r.GetString(0));
            }
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        packs.Sort(StringComparer.Ordinal);
        return new SweepResult(doomed.Count, doomed.Sum(d => d.Stored), packs);
    }

    private static Task<int> DeleteAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction tx, string table, long repositoryId,
        IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken) =>
        NonQueryBatchedAsync(c, tx, count => $"DELETE FROM {table} WHERE repo_id = @r AND id IN ({InList(count)})", ids, [("@r", repositoryId)], cancellationToken);
}
