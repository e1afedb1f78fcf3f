using System.Globalization;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>The audit log in a SQL database: append-only rows, read newest first.</summary>
internal sealed class SqlAuditLog(SqlDatabase db) : IAuditLog
{
    private const string Values = "logged_at, kind, actor_id, actor_name, address, repo_id, repository, subject, detail";

    private const string Columns = "entry_id, " + Values;

    public async Task<AuditRecord> AppendAsync(AuditRecord entry, CancellationToken cancellationToken)
    {
        var at = entry.At == default ? db.Now() : entry.At.ToUnixTimeMilliseconds();
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        var id = await ScalarAsync(c, null,
            $"INSERT INTO audit_log({Values}) VALUES(@at, @k, @a, @an, @ad, @r, @rn, @s, @d) RETURNING entry_id", cancellationToken,
            ("@at", at), ("@k", entry.Kind), ("@a", entry.ActorId), ("@an", entry.ActorName), ("@ad", entry.Address), ("@r", entry.RepositoryId),
            ("@rn", entry.Repository), ("@s", entry.Subject), ("@d", entry.Detail)).ConfigureAwait(false);
        return entry with { Id = Convert.ToInt64(id, CultureInfo.InvariantCulture), At = FromMs(at) };
    }

    public async Task<IReadOnlyList<AuditRecord>> ListAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var kinds = query.Kinds ?? [];
        var kindFilter = kinds.Count == 0 ? "" : $" AND kind IN ({InList(kinds.Count)})";
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            $"SELECT {Columns} FROM audit_log WHERE (@b IS NULL OR entry_id < @b) AND (@u IS NULL OR lower(actor_name) = lower(@u)){kindFilter} "
            + "ORDER BY entry_id DESC LIMIT @l",
            ("@b", query.Before), ("@u", (object?)query.ActorName ?? NullText), ("@l", (long)Math.Max(0, query.Limit)));
        for (var i = 0; i < kinds.Count; i++)
        {
            Add(cmd, "@p" + i.ToString(CultureInfo.InvariantCulture), kinds[i]);
        }

        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<AuditRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new AuditRecord(r.GetInt64(0), FromMs(r.GetInt64(1)), r.GetString(2), r.IsDBNull(3) ? null : r.GetInt64(3), r.GetString(4),
                r.GetString(5), r.IsDBNull(6) ? null : r.GetInt64(6), r.GetString(7), r.GetString(8), r.GetString(9)));
        }

        return list;
    }
}
