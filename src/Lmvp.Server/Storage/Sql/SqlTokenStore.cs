using System.Data.Common;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>Personal access tokens in a SQL database.</summary>
internal sealed class SqlTokenStore(SqlDatabase db) : ITokenStore
{
    private const string Columns = "token_id, user_id, name, scope, created_at, expires_at, revoked_at, last_used_at";

    public async Task<TokenRecord> CreateTokenAsync(long userId, string name, byte[] hash, AccessLevel scope, DateTimeOffset? expiresAt,
        CancellationToken cancellationToken)
    {
        var now = db.Now();
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        var id = Convert.ToInt64(await ScalarAsync(c, null,
            "INSERT INTO tokens(user_id, name, hash, scope, created_at, expires_at) VALUES(@u, @n, @h, @s, @c, @e) RETURNING token_id", cancellationToken,
            ("@u", userId), ("@n", name), ("@h", hash), ("@s", (long)scope), ("@c", now), ("@e", Ms(expiresAt))).ConfigureAwait(false),
            System.Globalization.CultureInfo.InvariantCulture);
        return new TokenRecord(id, userId, name, scope, FromMs(now), expiresAt is { } e ? FromMs(e.ToUnixTimeMilliseconds()) : null, null, null);
    }

    public async Task<(TokenRecord Token, UserRecord User)?> FindTokenAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "SELECT t.token_id, t.user_id, t.name, t.scope, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, "
            + "u.user_id, u.name, u.password_hash, u.is_admin, u.is_disabled, u.created_at "
            + "FROM tokens t JOIN users u ON u.user_id = t.user_id WHERE t.hash = @h", ("@h", hash));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? (Read(r), SqlStores.ReadUser(r, 8)) : null;
    }

    public async Task<IReadOnlyList<TokenRecord>> ListTokensAsync(long userId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, $"SELECT {Columns} FROM tokens WHERE user_id = @u ORDER BY token_id", ("@u", userId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<TokenRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(Read(r));
        }

        return list;
    }

    public async Task<bool> RevokeTokenAsync(long userId, long tokenId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await NonQueryAsync(c, null, "UPDATE tokens SET revoked_at = coalesce(revoked_at, @now) WHERE token_id = @t AND user_id = @u",
            cancellationToken, ("@now", db.Now()), ("@t", tokenId), ("@u", userId)).ConfigureAwait(false) > 0;
    }

    public async Task TouchTokenAsync(long tokenId, DateTimeOffset when, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, null, "UPDATE tokens SET last_used_at = @w WHERE token_id = @t", cancellationToken,
            ("@w", when.ToUnixTimeMilliseconds()), ("@t", tokenId)).ConfigureAwait(false);
    }

    private static TokenRecord Read(DbDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), (AccessLevel)r.GetInt64(3), FromMs(r.GetInt64(4)), NullableTime(r, 5), NullableTime(r, 6),
            NullableTime(r, 7));
}
