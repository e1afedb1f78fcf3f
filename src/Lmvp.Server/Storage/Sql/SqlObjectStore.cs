using Lmvp.Store;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>Metadata objects and completeness marks in a SQL database.</summary>
internal sealed class SqlObjectStore(SqlDatabase db) : IObjectStore
{
    /// <summary>Rows inserted by one statement.</summary>
    private const int RowsPerInsert = 100;

    public async Task<IReadOnlyList<ObjectId>> FindMissingObjectsAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await FindMissingAsync(c, null, n => $"SELECT id FROM objects WHERE repo_id = @r AND id IN ({InList(n)})", ids,
            [("@r", repositoryId)], cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> PutObjectsAsync(long repositoryId, IAsyncEnumerable<MetadataObject> objects, CancellationToken cancellationToken)
    {
        // Collected and inserted in id order, so two pushes of overlapping objects lock rows in one order and never deadlock.
        // Copied as they come: a source may reuse its buffer for the next object.
        var all = new List<MetadataObject>();
        await foreach (var o in objects.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            all.Add(o with { Data = o.Data.ToArray() });
        }

        all.Sort((a, b) => a.Id.CompareTo(b.Id));
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var stored = 0;
        for (var start = 0; start < all.Count; start += RowsPerInsert)
        {
            // Many rows per statement: a round trip per object is what a networked database makes expensive.
            var count = Math.Min(RowsPerInsert, all.Count - start);
            var sql = new System.Text.StringBuilder("INSERT INTO objects(repo_id, id, kind, data) VALUES ");
            for (var i = 0; i < count; i++)
            {
                sql.Append(System.Globalization.CultureInfo.InvariantCulture, $"{(i == 0 ? "" : ", ")}(@r, @i{i}, @k{i}, @d{i})");
            }

            await using var cmd = Command(c, tx, sql.Append(" ON CONFLICT DO NOTHING").ToString(), ("@r", repositoryId));
            for (var i = 0; i < count; i++)
            {
                var o = all[start + i];
                var n = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Add(cmd, "@i" + n, o.Id.ToArray());
                Add(cmd, "@k" + n, (long)o.Kind);
                Add(cmd, "@d" + n, System.Runtime.InteropServices.MemoryMarshal.TryGetArray(o.Data, out var segment) && segment.Offset == 0
                    && segment.Count == segment.Array!.Length ? segment.Array : o.Data.ToArray());
            }

            stored += await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    public async Task<MetadataObject?> GetObjectAsync(long repositoryId, ObjectId id, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT kind, data FROM objects WHERE repo_id = @r AND id = @id", ("@r", repositoryId), ("@id", id.ToArray()));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? new MetadataObject(id, (ObjectKind)r.GetInt64(0), (byte[])r[1]) : null;
    }

    public async Task<IReadOnlyList<MetadataObject>> GetObjectsAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        var list = new List<MetadataObject>();
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        for (var start = 0; start < ids.Count; start += IdBatch)
        {
            var count = Math.Min(IdBatch, ids.Count - start);
            await using var cmd = Command(c, null, $"SELECT id, kind, data FROM objects WHERE repo_id = @r AND id IN ({InList(count)})", ("@r", repositoryId));
            for (var i = 0; i < count; i++)
            {
                Add(cmd, "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), ids[start + i].ToArray());
            }

            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                list.Add(new MetadataObject(new ObjectId((byte[])r[0]), (ObjectKind)r.GetInt64(1), (byte[])r[2]));
            }
        }

        return list;
    }

    public async IAsyncEnumerable<MetadataObject> ListObjectsAsync(long repositoryId, ObjectKind kind,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT id, data FROM objects WHERE repo_id = @r AND kind = @k", ("@r", repositoryId), ("@k", (long)kind));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new MetadataObject(new ObjectId((byte[])r[0]), kind, (byte[])r[1]);
        }
    }

    public async Task<HashSet<ObjectId>> ListCompleteAsync(long repositoryId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT id FROM complete WHERE repo_id = @r", ("@r", repositoryId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var set = new HashSet<ObjectId>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            set.Add(new ObjectId((byte[])r[0]));
        }

        return set;
    }

    public async Task<IReadOnlyList<ObjectId>> FindCommitsByPrefixAsync(long repositoryId, string hexPrefix, int limit, CancellationToken cancellationToken)
    {
        var low = Convert.FromHexString(hexPrefix.PadRight(ObjectId.HexLength, '0'));
        var high = Convert.FromHexString(hexPrefix.PadRight(ObjectId.HexLength, 'f'));
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT id FROM objects WHERE repo_id = @r AND id >= @lo AND id <= @hi AND kind = @k ORDER BY id LIMIT @n",
            ("@r", repositoryId), ("@lo", low), ("@hi", high), ("@k", (long)ObjectKind.Commit), ("@n", (long)limit));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<ObjectId>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new ObjectId((byte[])r[0]));
        }

        return list;
    }

    public async Task<IReadOnlyList<ObjectId>> FindIncompleteAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await FindMissingAsync(c, null, n => $"SELECT id FROM complete WHERE repo_id = @r AND id IN ({InList(n)})", ids,
            [("@r", repositoryId)], cancellationToken).ConfigureAwait(false);
    }

    public async Task<bool> IsCompleteAsync(long repositoryId, ObjectId id, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ScalarAsync(c, null, "SELECT 1 FROM complete WHERE repo_id = @r AND id = @id", cancellationToken, ("@r", repositoryId), ("@id", id.ToArray()))
            .ConfigureAwait(false) is not null;
    }

    public async Task MarkCompleteAsync(long repositoryId, IReadOnlyCollection<ObjectId> ids, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var sorted = ids.Distinct().Order().ToList();
        for (var start = 0; start < sorted.Count; start += RowsPerInsert)
        {
            var count = Math.Min(RowsPerInsert, sorted.Count - start);
            await using var cmd = Command(c, tx, "INSERT INTO complete(repo_id, id) VALUES "
                + string.Join(", ", Enumerable.Range(0, count).Select(i => $"(@r, @p{i.ToString(System.Globalization.CultureInfo.InvariantCulture)})"))
                + " ON CONFLICT DO NOTHING", ("@r", repositoryId));
            for (var i = 0; i < count; i++)
            {
                Add(cmd, "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), sorted[start + i].ToArray());
            }

            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<int> ClearCompleteExceptAsync(long repositoryId, IReadOnlySet<ObjectId> keep, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        var drop = new List<ObjectId>();
        await using (var cmd = Command(c, null, "SELECT id FROM complete WHERE repo_id = @r", ("@r", repositoryId)))
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = new ObjectId((byte[])r[0]);
                if (!keep.Contains(id))
                {
                    drop.Add(id);
                }
            }
        }

        drop.Sort();
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryBatchedAsync(c, tx, count => $"DELETE FROM complete WHERE repo_id = @r AND id IN ({InList(count)})", drop, [("@r", repositoryId)],
            cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return drop.Count;
    }
}
