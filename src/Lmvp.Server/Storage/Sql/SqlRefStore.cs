using Lmvp.Store;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>Refs in a SQL database.</summary>
/// <remarks>The compare-and-swap is one conditional statement (an update that names the old value, or an insert that fails on
/// an existing row), so it holds across processes and engines: of concurrent updates from one value exactly one changes a row.</remarks>
internal sealed class SqlRefStore(SqlDatabase db) : IRefStore
{
    public async Task<IReadOnlyList<KeyValuePair<string, ObjectId>>> ListRefsAsync(long repositoryId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT name, target FROM refs WHERE repo_id = @r", ("@r", repositoryId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<KeyValuePair<string, ObjectId>>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new(r.GetString(0), new ObjectId((byte[])r[1])));
        }

        // Ordinal order whatever the database's collation.
        list.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        return list;
    }

    public async Task<ObjectId?> GetRefAsync(long repositoryId, string name, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ScalarAsync(c, null, "SELECT target FROM refs WHERE repo_id = @r AND name = @n", cancellationToken, ("@r", repositoryId), ("@n", name))
            .ConfigureAwait(false) is byte[] b ? new ObjectId(b) : null;
    }

    public async Task<RefUpdateOutcome> CompareAndSwapRefAsync(long repositoryId, string name, ObjectId? expected, ObjectId target,
        CancellationToken cancellationToken)
    {
        var now = db.Now();
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // The repository row first: a gc sweep locks it too before it reads the refs, so the two never interleave.
        await NonQueryAsync(c, tx, "UPDATE repositories SET updated_at = @now WHERE repo_id = @r", cancellationToken, ("@now", now), ("@r", repositoryId))
            .ConfigureAwait(false);
        var changed = expected is { } old
            ? await NonQueryAsync(c, tx, "UPDATE refs SET target = @t, updated_at = @now WHERE repo_id = @r AND name = @n AND target = @old", cancellationToken,
                ("@t", target.ToArray()), ("@now", now), ("@r", repositoryId), ("@n", name), ("@old", old.ToArray())).ConfigureAwait(false)
            : await NonQueryAsync(c, tx, "INSERT INTO refs(repo_id, name, target, updated_at) VALUES(@r, @n, @t, @now) ON CONFLICT DO NOTHING", cancellationToken,
                ("@r", repositoryId), ("@n", name), ("@t", target.ToArray()), ("@now", now)).ConfigureAwait(false);
        if (changed == 0)
        {
            return RefUpdateOutcome.Conflict;
        }

        if (expected is null && name.StartsWith(RefName.HeadsPrefix, StringComparison.Ordinal))
        {
            // The first branch of a repository becomes its default.
            await NonQueryAsync(c, tx,
                "UPDATE repositories SET default_branch = @b WHERE repo_id = @r AND NOT EXISTS "
                + "(SELECT 1 FROM refs WHERE repo_id = @r AND substr(name, 1, 11) = 'refs/heads/' AND name <> @n)",
                cancellationToken, ("@b", name[RefName.HeadsPrefix.Length..]), ("@r", repositoryId), ("@n", name)).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return RefUpdateOutcome.Updated;
    }

    public async Task<RefUpdateOutcome> DeleteRefAsync(long repositoryId, string name, ObjectId expected, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var deleted = await NonQueryAsync(c, tx, "DELETE FROM refs WHERE repo_id = @r AND name = @n AND target = @old", cancellationToken,
            ("@r", repositoryId), ("@n", name), ("@old", expected.ToArray())).ConfigureAwait(false);
        if (deleted == 0)
        {
            return RefUpdateOutcome.Conflict;
        }

        await NonQueryAsync(c, tx, "UPDATE repositories SET updated_at = @now WHERE repo_id = @r", cancellationToken, ("@now", db.Now()), ("@r", repositoryId))
            .ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return RefUpdateOutcome.Updated;
    }
}
