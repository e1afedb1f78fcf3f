using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>Users in a SQL database.</summary>
internal sealed class SqlUserStore(SqlDatabase db) : IUserStore
{
    public async Task<long> CountUsersAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return Convert.ToInt64(await ScalarAsync(c, null, "SELECT count(*) FROM users", cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<UserRecord?> CreateUserAsync(string name, string? passwordHash, bool isAdmin, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var user = await SqlStores.InsertUserAsync(db, c, tx, name, passwordHash, isAdmin, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return user;
    }

    public async Task<UserRecord?> FindUserAsync(string name, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await SqlStores.QueryUserAsync(c, null, "lower(name) = lower(@v)", name, cancellationToken).ConfigureAwait(false);
    }

    public async Task<UserRecord?> GetUserAsync(long userId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await SqlStores.QueryUserAsync(c, null, "user_id = @v", userId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, $"SELECT {SqlStores.UserColumns} FROM users ORDER BY lower(name)");
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<UserRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(SqlStores.ReadUser(r));
        }

        return list;
    }

    public async Task SetPasswordHashAsync(long userId, string passwordHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, null, "UPDATE users SET password_hash = @h WHERE user_id = @u", cancellationToken, ("@h", passwordHash), ("@u", userId))
            .ConfigureAwait(false);
    }

    public async Task<UserRecord?> UpdateUserAsync(long userId, bool? isAdmin, bool? isDisabled, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, tx, "UPDATE users SET is_admin = coalesce(@a, is_admin), is_disabled = coalesce(@d, is_disabled) WHERE user_id = @u",
            cancellationToken, ("@a", isAdmin is { } a ? (a ? 1L : 0L) : null), ("@d", isDisabled is { } d ? (d ? 1L : 0L) : null), ("@u", userId))
            .ConfigureAwait(false);
        var user = await SqlStores.QueryUserAsync(c, tx, "user_id = @v", userId, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return user;
    }
}
