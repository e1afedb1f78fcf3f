using System.Data.Common;

namespace Lmvp.Server.Storage.Sql;

/// <summary>The metadata aggregates over one <see cref="SqlDatabase"/>, and the row readers they share.</summary>
internal static class SqlStores
{
    public const string UserColumns = "user_id, name, password_hash, is_admin, is_disabled, created_at";

    public const string RepositoryColumns =
        "r.repo_id, r.owner_id, u.name, r.name, r.is_private, r.description, r.default_branch, r.created_at, r.updated_at";

    public const string InvitationColumns = "invitation_id, created_by, repo_id, role, make_admin, created_at, expires_at, used_at, used_by";

    public static MetadataStores Create(SqlDatabase db) => new(new SqlUserStore(db), new SqlTokenStore(db), new SqlSessionStore(db),
        new SqlInvitationStore(db), new SqlRepositoryStore(db), new SqlRefStore(db), new SqlObjectStore(db), new SqlChunkIndex(db), new SqlUploadStore(db),
        new SqlFileDigestStore(db), new SqlAuditLog(db), new SqlSignInThrottleStore(db));

    public static UserRecord ReadUser(DbDataReader r, int o = 0) =>
        new(r.GetInt64(o), r.GetString(o + 1), r.IsDBNull(o + 2) ? null : r.GetString(o + 2), r.GetInt64(o + 3) != 0, r.GetInt64(o + 4) != 0,
            SqlDatabase.FromMs(r.GetInt64(o + 5)));

    public static InvitationRecord ReadInvitation(DbDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.IsDBNull(2) ? null : r.GetInt64(2), (AccessLevel)r.GetInt64(3), r.GetInt64(4) != 0, SqlDatabase.FromMs(r.GetInt64(5)),
            SqlDatabase.FromMs(r.GetInt64(6)), SqlDatabase.NullableTime(r, 7), r.IsDBNull(8) ? null : r.GetInt64(8));

    public static RepositoryRecord ReadRepository(DbDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetInt64(4) != 0, r.GetString(5), r.GetString(6),
            SqlDatabase.FromMs(r.GetInt64(7)), SqlDatabase.FromMs(r.GetInt64(8)));

    /// <summary>Inserts a user unless the name is taken (any case); the new user, or null.</summary>
    public static async Task<UserRecord?> InsertUserAsync(SqlDatabase db, DbConnection c, DbTransaction tx, string name, string? passwordHash, bool isAdmin,
        CancellationToken cancellationToken)
    {
        await using var cmd = SqlDatabase.Command(c, tx,
            $"INSERT INTO users(name, password_hash, is_admin, created_at) VALUES(@n, @p, @a, @c) ON CONFLICT DO NOTHING RETURNING {UserColumns}",
            ("@n", name), ("@p", (object?)passwordHash ?? SqlDatabase.NullText), ("@a", isAdmin ? 1L : 0L), ("@c", db.Now()));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadUser(r) : null;
    }

    public static async Task<UserRecord?> QueryUserAsync(DbConnection c, DbTransaction? tx, string where, object value, CancellationToken cancellationToken)
    {
        await using var cmd = SqlDatabase.Command(c, tx, $"SELECT {UserColumns} FROM users WHERE {where}", ("@v", value));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadUser(r) : null;
    }

    public static async Task<RepositoryRecord?> QueryRepositoryAsync(DbConnection c, DbTransaction? tx, string where, object a, object? b,
        CancellationToken cancellationToken)
    {
        await using var cmd = SqlDatabase.Command(c, tx, $"SELECT {RepositoryColumns} FROM repositories r JOIN users u ON u.user_id = r.owner_id WHERE {where}",
            ("@a", a), ("@b", b ?? SqlDatabase.NullText));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRepository(r) : null;
    }
}
