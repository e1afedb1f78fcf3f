using System.Data.Common;
using static Lmvp.Server.Storage.Sql.SqlDatabase;

namespace Lmvp.Server.Storage.Sql;

/// <summary>Sessions and refresh tokens in a SQL database.</summary>
internal sealed class SqlSessionStore(SqlDatabase db) : ISessionStore
{
    public async Task<SessionRecord> CreateSessionAsync(long userId, string sessionId, byte[] refreshHash, DateTimeOffset expiresAt,
        CancellationToken cancellationToken)
    {
        var now = db.Now();
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, tx, "INSERT INTO sessions(session_id, user_id, created_at, expires_at) VALUES(@s, @u, @c, @e)", cancellationToken,
            ("@s", sessionId), ("@u", userId), ("@c", now), ("@e", expiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        await NonQueryAsync(c, tx, "INSERT INTO refresh_tokens(hash, session_id, expires_at) VALUES(@h, @s, @e)", cancellationToken,
            ("@h", refreshHash), ("@s", sessionId), ("@e", expiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new SessionRecord(sessionId, userId, FromMs(now), FromMs(expiresAt.ToUnixTimeMilliseconds()), null);
    }

    public async Task<SessionRecord?> GetSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(c, null, sessionId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<(RefreshOutcome Outcome, SessionRecord? Session)> RotateRefreshTokenAsync(byte[] oldHash, byte[] newHash,
        DateTimeOffset newExpiresAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await c.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        string sessionId;
        long expires;
        await using (var cmd = Command(c, tx, "SELECT session_id, expires_at FROM refresh_tokens WHERE hash = @h", ("@h", oldHash)))
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return (RefreshOutcome.Invalid, null);
            }

            sessionId = r.GetString(0);
            expires = r.GetInt64(1);
        }

        var session = await QueryAsync(c, tx, sessionId, cancellationToken).ConfigureAwait(false);
        if (session is null || session.RevokedAt is not null || session.ExpiresAt <= now || expires <= nowMs)
        {
            return (RefreshOutcome.Invalid, null);
        }

        // Spending is a conditional update, so of two rotations of one token exactly one wins, in any engine.
        if (await NonQueryAsync(c, tx, "UPDATE refresh_tokens SET used_at = @now WHERE hash = @h AND used_at IS NULL", cancellationToken,
            ("@now", nowMs), ("@h", oldHash)).ConfigureAwait(false) == 0)
        {
            // A spent refresh token came back: whoever holds it is not the client that rotated it. End the session.
            await NonQueryAsync(c, tx, "UPDATE sessions SET revoked_at = @now WHERE session_id = @s", cancellationToken, ("@now", nowMs), ("@s", sessionId))
                .ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return (RefreshOutcome.Reused, null);
        }

        await NonQueryAsync(c, tx, "INSERT INTO refresh_tokens(hash, session_id, expires_at) VALUES(@h, @s, @e)", cancellationToken,
            ("@h", newHash), ("@s", sessionId), ("@e", newExpiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        await NonQueryAsync(c, tx, "UPDATE sessions SET expires_at = @e WHERE session_id = @s", cancellationToken,
            ("@e", newExpiresAt.ToUnixTimeMilliseconds()), ("@s", sessionId)).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (RefreshOutcome.Rotated, session with { ExpiresAt = FromMs(newExpiresAt.ToUnixTimeMilliseconds()) });
    }

    public async Task<SessionRecord?> FindSessionByRefreshAsync(byte[] refreshHash, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        return await ScalarAsync(c, null, "SELECT session_id FROM refresh_tokens WHERE hash = @h", cancellationToken, ("@h", refreshHash)).ConfigureAwait(false) is string id
            ? await QueryAsync(c, null, id, cancellationToken).ConfigureAwait(false)
            : null;
    }

    public async Task RevokeSessionAsync(string sessionId, DateTimeOffset when, CancellationToken cancellationToken)
    {
        await using var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, null, "UPDATE sessions SET revoked_at = coalesce(revoked_at, @w) WHERE session_id = @s", cancellationToken,
            ("@w", when.ToUnixTimeMilliseconds()), ("@s", sessionId)).ConfigureAwait(false);
    }

    private static async Task<SessionRecord?> QueryAsync(DbConnection c, DbTransaction? tx, string sessionId, CancellationToken cancellationToken)
    {
        await using var cmd = Command(c, tx, "SELECT session_id, user_id, created_at, expires_at, revoked_at FROM sessions WHERE session_id = @s", ("@s", sessionId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new SessionRecord(r.GetString(0), r.GetInt64(1), FromMs(r.GetInt64(2)), FromMs(r.GetInt64(3)), NullableTime(r, 4))
            : null;
    }
}
