using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>Repositories and members in a SQL database.</summary>
internal sealed partial class SqlRepositoryStore(SqlDatabase db) : IRepositoryStore
{
    public async Task<RepositoryRecord?> CreateRepositoryAsync(long ownerId, string name, bool isPrivate, string description,
        CancellationToken cancellationToken)
    {
        var now = db.Now();
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var id = await ScalarAsync(c, tx,
            "INSERT INTO repositories(owner_id, name, is_private, description, created_at, updated_at) VALUES(@o, @n, @p, @d, @c, @c) "
            + "ON CONFLICT DO NOTHING RETURNING repo_id", cancellationToken,
            ("@o", ownerId), ("@n", name), ("@p", isPrivate ? 1L : 0L), ("@d", description), ("@c", now)).ConfigureAwait(false);
        if (id is null)
        {
            return null;
        }

        var repo = await SqlStores.QueryRepositoryAsync(c, tx, "r.repo_id = @a", id, null, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return repo;
    }

    public async Task<RepositoryRecord?> FindRepositoryAsync(string owner, string name, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await SqlStores.QueryRepositoryAsync(c, null, "lower(u.name) = lower(@a) AND lower(r.name) = lower(@b)", owner, name, cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task<RepositoryRecord?> GetRepositoryAsync(long repositoryId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await SqlStores.QueryRepositoryAsync(c, null, "r.repo_id = @a", repositoryId, null, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<(RepositoryRecord Repository, AccessLevel MemberRole)>> ListVisibleRepositoriesAsync(long userId,
        bool isServerAdmin, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            $"SELECT {SqlStores.RepositoryColumns}, coalesce(m.role, 0) FROM repositories r JOIN users u ON u.user_id = r.owner_id "
            + "LEFT JOIN members m ON m.repo_id = r.repo_id AND m.user_id = @me "
            + "WHERE @admin = 1 OR r.owner_id = @me OR m.role IS NOT NULL OR r.is_private = 0 ORDER BY lower(u.name), lower(r.name)",
            ("@me", userId), ("@admin", isServerAdmin ? 1L : 0L));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<(RepositoryRecord, AccessLevel)>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add((SqlStores.ReadRepository(r), (AccessLevel)r.GetInt64(9)));
        }

        return list;
    }

    public async Task<RepositoryRecord?> UpdateRepositoryAsync(long repositoryId, bool? isPrivate, string? description, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, tx,
            "UPDATE repositories SET is_private = coalesce(@p, is_private), description = coalesce(@d, description), updated_at = @now WHERE repo_id = @r",
            cancellationToken, ("@p", isPrivate is { } p ? (p ? 1L : 0L) : null), ("@d", (object?)description ?? NullText), ("@now", db.Now()),
            ("@r", repositoryId)).ConfigureAwait(false);
        var repo = await SqlStores.QueryRepositoryAsync(c, tx, "r.repo_id = @a", repositoryId, null, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return repo;
    }

    public async Task<AccessLevel> GetMemberRoleAsync(long repositoryId, long userId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ScalarAsync(c, null, "SELECT role FROM members WHERE repo_id = @r AND user_id = @u", cancellationToken, ("@r", repositoryId), ("@u", userId))
            .ConfigureAwait(false) is { } role ? (AccessLevel)Convert.ToInt64(role, System.Globalization.CultureInfo.InvariantCulture) : AccessLevel.None;
    }

    public async Task SetMemberAsync(long repositoryId, long userId, AccessLevel role, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, null, "INSERT INTO members(repo_id, user_id, role) VALUES(@r, @u, @role) ON CONFLICT(repo_id, user_id) DO UPDATE SET role = excluded.role",
            cancellationToken, ("@r", repositoryId), ("@u", userId), ("@role", (long)role)).ConfigureAwait(false);
    }

    public async Task<bool> RemoveMemberAsync(long repositoryId, long userId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await NonQueryAsync(c, null, "DELETE FROM members WHERE repo_id = @r AND user_id = @u", cancellationToken, ("@r", repositoryId), ("@u", userId))
            .ConfigureAwait(false) > 0;
    }

    public async Task<IReadOnlyList<MemberRecord>> ListMembersAsync(long repositoryId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "SELECT m.user_id, u.name, m.role FROM members m JOIN users u ON u.user_id = m.user_id WHERE m.repo_id = @r ORDER BY lower(u.name)", ("@r", repositoryId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<MemberRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new MemberRecord(r.GetInt64(0), r.GetString(1), (AccessLevel)r.GetInt64(2)));
        }

        return list;
    }
}
