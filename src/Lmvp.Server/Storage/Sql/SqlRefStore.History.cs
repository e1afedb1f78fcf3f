using System.Data.Common;
using Lmvp.Store;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>The ref history: one row per move, written in the move's own transaction.</summary>
internal sealed partial class SqlRefStore
{
    private const string HistoryColumns =
        "h.entry_id, h.repo_id, h.name, h.old_target, h.new_target, h.kind, h.via, h.user_id, h.user_name, h.token_id, t.name, h.auth_method, h.moved_at";

    public async Task<IReadOnlyList<RefHistoryRecord>> ListRefHistoryAsync(long repositoryId, string? name, long? before, int limit,
        CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            $"SELECT {HistoryColumns} FROM ref_history h LEFT JOIN tokens t ON t.token_id = h.token_id "
            + "WHERE h.repo_id = @r AND (@n IS NULL OR h.name = @n) AND (@b IS NULL OR h.entry_id < @b) ORDER BY h.entry_id DESC LIMIT @l",
            ("@r", repositoryId), ("@n", (object?)name ?? NullText), ("@b", before), ("@l", (long)Math.Max(0, limit)));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<RefHistoryRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new RefHistoryRecord(r.GetInt64(0), r.GetInt64(1), r.GetString(2), Id(r, 3), Id(r, 4), r.GetString(5), r.GetString(6),
                r.IsDBNull(7) ? null : r.GetInt64(7), r.GetString(8), r.IsDBNull(9) ? null : r.GetInt64(9), r.IsDBNull(10) ? null : r.GetString(10),
                r.GetString(11), FromMs(r.GetInt64(12))));
        }

        return list;
    }

    /// <summary>Every ref target of repository @r and both ends of its ref moves at or after @s (ms), each once.</summary>
    internal const string RetainedTargetsSql = "SELECT target FROM refs WHERE repo_id = @r "
        + "UNION SELECT old_target FROM ref_history WHERE repo_id = @r AND moved_at >= @s AND old_target IS NOT NULL "
        + "UNION SELECT new_target FROM ref_history WHERE repo_id = @r AND moved_at >= @s AND new_target IS NOT NULL";

    public async Task<IReadOnlyList<ObjectId>> ListRetainedTargetsAsync(long repositoryId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, RetainedTargetsSql, ("@r", repositoryId), ("@s", since.ToUnixTimeMilliseconds()));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<ObjectId>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new ObjectId((byte[])r[0]));
        }

        list.Sort();
        return list;
    }

    private static Task<int> AppendHistoryAsync(DbConnection c, DbTransaction tx, long repositoryId, string name, ObjectId? old, ObjectId? target,
        RefMoveLog log, long now, CancellationToken cancellationToken) =>
        NonQueryAsync(c, tx,
            "INSERT INTO ref_history(repo_id, name, old_target, new_target, kind, via, user_id, user_name, token_id, auth_method, moved_at) "
            + "VALUES(@r, @n, @o, @t, @k, @v, @u, @un, @tok, @a, @now)", cancellationToken,
            ("@r", repositoryId), ("@n", name), ("@o", Bytes(old)), ("@t", Bytes(target)), ("@k", log.Kind), ("@v", log.Via), ("@u", log.UserId),
            ("@un", log.UserName), ("@tok", log.TokenId), ("@a", log.AuthMethod), ("@now", now));

    /// <summary>An id as a parameter; a missing one is a NULL of type bytes.</summary>
    private static object Bytes(ObjectId? id) => id is { } v ? v.ToArray() : NullBytes;

    private static ObjectId? Id(DbDataReader r, int i) => r.IsDBNull(i) ? null : new ObjectId((byte[])r[i]);
}
