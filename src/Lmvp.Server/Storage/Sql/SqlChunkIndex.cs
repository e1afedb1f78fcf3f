using System.Globalization;
using System.Text;
using Lmvp.Store;
using Lmvp.Store.Packs;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>The chunk index in a SQL database: packs, and for each chunk its pack, offset and encoding.</summary>
internal sealed partial class SqlChunkIndex(SqlDatabase db) : IChunkIndex
{
    /// <summary>Rows inserted by one statement.</summary>
    /// <remarks>Fewer on SQLite: Microsoft.Data.Sqlite binds each parameter by its name, which SQLite finds by a linear search of
    /// the statement's names, so a statement's binding costs the square of its parameters (100 rows of 7 were 8% of the server's
    /// CPU while a push's chunks arrived: BENCHMARKS.md, issue 10). PostgreSQL pays a round trip per statement instead.</remarks>
    private int RowsPerInsert => db.Dialect == SqlDialect.Sqlite ? 16 : 100;

    public async Task<IReadOnlyList<ObjectId>> FindMissingAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await SqlDatabase.FindMissingAsync(c, null, n => $"SELECT id FROM chunks WHERE repo_id = @r AND id IN ({InList(n)})", ids,
            [("@r", repositoryId)], cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<ChunkLocation?>> LookupAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<ObjectId, ChunkLocation>();
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        for (var start = 0; start < ids.Count; start += IdBatch)
        {
            var count = Math.Min(IdBatch, ids.Count - start);
            await using var cmd = Command(c, null,
                "SELECT c.id, p.name, c.pack_offset, c.stored_length, c.raw_length, c.encoding FROM chunks c JOIN packs p ON p.pack_id = c.pack_id "
                + $"WHERE c.repo_id = @r AND c.id IN ({InList(count)})", ("@r", repositoryId));
            for (var i = 0; i < count; i++)
            {
                Add(cmd, "@p" + i.ToString(CultureInfo.InvariantCulture), ids[start + i].ToArray());
            }

            await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var id = new ObjectId((byte[])r[0]);
                found[id] = new ChunkLocation(r.GetString(1),
                    new PackEntry(id, ObjectKind.Chunk, (ChunkEncoding)r.GetInt64(5), r.GetInt64(2), (int)r.GetInt64(3), (int)r.GetInt64(4)));
            }
        }

        return [.. ids.Select(id => found.TryGetValue(id, out var location) ? location : null)];
    }

    public Task AddPackAsync(long repositoryId, string pack, long size, IReadOnlyList<PackEntry> entries, CancellationToken cancellationToken) =>
        AddPacksAsync([new NewPack(repositoryId, pack, size, entries)], cancellationToken);

    public async Task AddPacksAsync(IReadOnlyList<NewPack> packs, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<(long Repository, long PackId, PackEntry Entry)>();
        foreach (var p in packs)
        {
            var packId = await ScalarAsync(c, tx,
                "INSERT INTO packs(repo_id, name, size, created_at) VALUES(@r, @n, @s, @c) ON CONFLICT(repo_id, name) DO UPDATE SET size = excluded.size RETURNING pack_id",
                cancellationToken, ("@r", p.RepositoryId), ("@n", p.Name), ("@s", p.Size), ("@c", db.Now())).ConfigureAwait(false);
            rows.AddRange(p.Entries.Where(e => e.Kind == ObjectKind.Chunk).Select(e => (p.RepositoryId, Convert.ToInt64(packId, CultureInfo.InvariantCulture), e)));
        }

        // In (repository, id) order across all the packs, so two transactions sharing chunks lock their rows in one order and
        // never deadlock each other; a chunk in two of the packs keeps the first location inserted.
        rows.Sort((a, b) => a.Repository != b.Repository ? a.Repository.CompareTo(b.Repository) : a.Entry.Id.CompareTo(b.Entry.Id));
        for (var start = 0; start < rows.Count; start += RowsPerInsert)
        {
            var count = Math.Min(RowsPerInsert, rows.Count - start);
            var sql = new StringBuilder("INSERT INTO chunks(repo_id, id, pack_id, pack_offset, stored_length, raw_length, encoding) VALUES ");
            for (var i = 0; i < count; i++)
            {
                sql.Append(CultureInfo.InvariantCulture, $"{(i == 0 ? "" : ", ")}(@r{i}, @i{i}, @p{i}, @o{i}, @s{i}, @w{i}, @e{i})");
            }

            sql.Append(" ON CONFLICT DO NOTHING");
            await using var cmd = Command(c, tx, sql.ToString());
            for (var i = 0; i < count; i++)
            {
                var (repository, packId, e) = rows[start + i];
                var n = i.ToString(CultureInfo.InvariantCulture);
                Add(cmd, "@r" + n, repository);
                Add(cmd, "@i" + n, e.Id.ToArray());
                Add(cmd, "@p" + n, packId);
                Add(cmd, "@o" + n, e.Offset);
                Add(cmd, "@s" + n, (long)e.StoredLength);
                Add(cmd, "@w" + n, (long)e.RawLength);
                Add(cmd, "@e" + n, (long)e.Encoding);
            }

            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<PackRecord>> ListPacksAsync(long repositoryId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "SELECT p.name, p.size, count(c.id) FROM packs p LEFT JOIN chunks c ON c.pack_id = p.pack_id WHERE p.repo_id = @r GROUP BY p.pack_id, p.name, p.size",
            ("@r", repositoryId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<PackRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new PackRecord(r.GetString(0), r.GetInt64(1), (int)r.GetInt64(2)));
        }

        list.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        return list;
    }
}
