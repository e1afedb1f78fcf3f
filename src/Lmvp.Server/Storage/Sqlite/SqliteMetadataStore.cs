using System.Globalization;
using Lmvp.Store;
using Lmvp.Store.Sync;
using Microsoft.Data.Sqlite;

namespace Lmvp.Server.Storage.Sqlite;

/// <summary>The embedded metadata store: one SQLite database (WAL) in the data directory.</summary>
/// <remarks>
/// Each call opens a pooled connection; writes run in <c>BEGIN IMMEDIATE</c> transactions, so SQLite's single writer
/// serializes them and a compare-and-swap reads and writes under the same lock. Times are Unix milliseconds.
/// </remarks>
internal sealed class SqliteMetadataStore : IMetadataStore
{
    /// <summary>The schema version this code reads and writes.</summary>
    public const int SchemaVersion = 1;

    /// <summary>The database's file name inside the data directory.</summary>
    public const string FileName = "server.db";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS users(
            user_id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            password_hash TEXT,
            is_admin INTEGER NOT NULL DEFAULT 0,
            is_disabled INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS tokens(
            token_id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(user_id),
            name TEXT NOT NULL,
            hash BLOB NOT NULL UNIQUE,
            scope INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER,
            revoked_at INTEGER,
            last_used_at INTEGER);
        CREATE INDEX IF NOT EXISTS tokens_by_user ON tokens(user_id);
        CREATE TABLE IF NOT EXISTS sessions(
            session_id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(user_id),
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            revoked_at INTEGER);
        CREATE TABLE IF NOT EXISTS refresh_tokens(
            hash BLOB PRIMARY KEY,
            session_id TEXT NOT NULL REFERENCES sessions(session_id),
            expires_at INTEGER NOT NULL,
            used_at INTEGER) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS repositories(
            repo_id INTEGER PRIMARY KEY,
            owner_id INTEGER NOT NULL REFERENCES users(user_id),
            name TEXT NOT NULL COLLATE NOCASE,
            is_private INTEGER NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            default_branch TEXT NOT NULL DEFAULT 'main',
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE(owner_id, name));
        CREATE TABLE IF NOT EXISTS members(
            repo_id INTEGER NOT NULL REFERENCES repositories(repo_id),
            user_id INTEGER NOT NULL REFERENCES users(user_id),
            role INTEGER NOT NULL,
            PRIMARY KEY(repo_id, user_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS invitations(
            invitation_id INTEGER PRIMARY KEY,
            hash BLOB NOT NULL UNIQUE,
            created_by INTEGER NOT NULL REFERENCES users(user_id),
            repo_id INTEGER REFERENCES repositories(repo_id),
            role INTEGER NOT NULL,
            make_admin INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            used_at INTEGER,
            used_by INTEGER);
        CREATE TABLE IF NOT EXISTS refs(
            repo_id INTEGER NOT NULL REFERENCES repositories(repo_id),
            name TEXT NOT NULL,
            target BLOB NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY(repo_id, name)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS objects(
            repo_id INTEGER NOT NULL,
            id BLOB NOT NULL,
            kind INTEGER NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY(repo_id, id));
        CREATE TABLE IF NOT EXISTS complete(
            repo_id INTEGER NOT NULL,
            id BLOB NOT NULL,
            PRIMARY KEY(repo_id, id)) WITHOUT ROWID;
        """;

    private const string RepositoryColumns =
        "r.repo_id, r.owner_id, u.name, r.name, r.is_private, r.description, r.default_branch, r.created_at, r.updated_at";

    private readonly string _connectionString;
    private readonly TimeProvider _time;

    private SqliteMetadataStore(string connectionString, TimeProvider time)
    {
        _connectionString = connectionString;
        _time = time;
    }

    /// <summary>Opens (creating if needed) the database in <paramref name="dataDirectory"/> and brings its schema up to date.</summary>
    public static SqliteMetadataStore Open(string dataDirectory, TimeProvider time)
    {
        var path = Path.Combine(dataDirectory, FileName);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL;");
        Execute(connection, Schema);
        using (var cmd = Command(connection, null, "SELECT value FROM meta WHERE key = 'schema_version'"))
        {
            var version = cmd.ExecuteScalar() as string;
            if (version is null)
            {
                Execute(connection, $"INSERT INTO meta(key, value) VALUES('schema_version', '{SchemaVersion}')");
            }
            else if (version != SchemaVersion.ToString(CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException($"{path} has schema version {version}; this lmvp-server reads version {SchemaVersion}.");
            }
        }

        return new SqliteMetadataStore(connectionString, time);
    }

    // ---- users ----

    public async Task<long> CountUsersAsync(CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT count(*) FROM users");
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async Task<UserRecord?> CreateUserAsync(string name, string? passwordHash, bool isAdmin, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = c.BeginTransaction();
        var user = await InsertUserAsync(c, tx, name, passwordHash, isAdmin, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return user;
    }

    public async Task<UserRecord?> FindUserAsync(string name, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await QueryUserAsync(c, null, "name = $v", name, cancellationToken).ConfigureAwait(false);
    }

    public async Task<UserRecord?> GetUserAsync(long userId, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await QueryUserAsync(c, null, "user_id = $v", userId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT user_id, name, password_hash, is_admin, is_disabled, created_at FROM users ORDER BY name");
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<UserRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(ReadUser(r));
        }

        return list;
    }

    public async Task SetPasswordHashAsync(long userId, string passwordHash, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, null, "UPDATE users SET password_hash = $h WHERE user_id = $u", cancellationToken, ("$h", passwordHash), ("$u", userId))
            .ConfigureAwait(false);
    }

    public async Task<UserRecord?> UpdateUserAsync(long userId, bool? isAdmin, bool? isDisabled, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = c.BeginTransaction();
        await NonQueryAsync(c, tx, "UPDATE users SET is_admin = coalesce($a, is_admin), is_disabled = coalesce($d, is_disabled) WHERE user_id = $u",
            cancellationToken, ("$a", isAdmin is { } a ? (a ? 1 : 0) : DBNull.Value), ("$d", isDisabled is { } d ? (d ? 1 : 0) : DBNull.Value),
            ("$u", userId)).ConfigureAwait(false);
        var user = await QueryUserAsync(c, tx, "user_id = $v", userId, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return user;
    }

    // ---- tokens ----

    public async Task<TokenRecord> CreateTokenAsync(long userId, string name, byte[] hash, AccessLevel scope, DateTimeOffset? expiresAt,
        CancellationToken cancellationToken)
    {
        var now = Now();
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "INSERT INTO tokens(user_id, name, hash, scope, created_at, expires_at) VALUES($u, $n, $h, $s, $c, $e) RETURNING token_id",
            ("$u", userId), ("$n", name), ("$h", hash), ("$s", (int)scope), ("$c", now), ("$e", Db(expiresAt)));
        var id = (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return new TokenRecord(id, userId, name, scope, FromMs(now), expiresAt is { } e ? FromMs(e.ToUnixTimeMilliseconds()) : null, null, null);
    }

    public async Task<(TokenRecord Token, UserRecord User)?> FindTokenAsync(byte[] hash, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "SELECT t.token_id, t.user_id, t.name, t.scope, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, "
            + "u.user_id, u.name, u.password_hash, u.is_admin, u.is_disabled, u.created_at "
            + "FROM tokens t JOIN users u ON u.user_id = t.user_id WHERE t.hash = $h", ("$h", hash));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return (ReadToken(r), ReadUser(r, 8));
    }

    public async Task<IReadOnlyList<TokenRecord>> ListTokensAsync(long userId, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "SELECT token_id, user_id, name, scope, created_at, expires_at, revoked_at, last_used_at FROM tokens WHERE user_id = $u ORDER BY token_id",
            ("$u", userId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<TokenRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(ReadToken(r));
        }

        return list;
    }

    public async Task<bool> RevokeTokenAsync(long userId, long tokenId, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await NonQueryAsync(c, null, "UPDATE tokens SET revoked_at = coalesce(revoked_at, $now) WHERE token_id = $t AND user_id = $u",
            cancellationToken, ("$now", Now()), ("$t", tokenId), ("$u", userId)).ConfigureAwait(false) > 0;
    }

    public async Task TouchTokenAsync(long tokenId, DateTimeOffset when, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, null, "UPDATE tokens SET last_used_at = $w WHERE token_id = $t", cancellationToken,
            ("$w", when.ToUnixTimeMilliseconds()), ("$t", tokenId)).ConfigureAwait(false);
    }

    // ---- sessions ----

    public async Task<SessionRecord> CreateSessionAsync(long userId, string sessionId, byte[] refreshHash, DateTimeOffset expiresAt,
        CancellationToken cancellationToken)
    {
        var now = Now();
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = c.BeginTransaction();
        await NonQueryAsync(c, tx, "INSERT INTO sessions(session_id, user_id, created_at, expires_at) VALUES($s, $u, $c, $e)", cancellationToken,
            ("$s", sessionId), ("$u", userId), ("$c", now), ("$e", expiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        await NonQueryAsync(c, tx, "INSERT INTO refresh_tokens(hash, session_id, expires_at) VALUES($h, $s, $e)", cancellationToken,
            ("$h", refreshHash), ("$s", sessionId), ("$e", expiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new SessionRecord(sessionId, userId, FromMs(now), FromMs(expiresAt.ToUnixTimeMilliseconds()), null);
    }

    public async Task<SessionRecord?> GetSessionAsync(string sessionId, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await QuerySessionAsync(c, null, sessionId, cancellationToken).ConfigureAwait(false);
    }

    public async Task<(RefreshOutcome Outcome, SessionRecord? Session)> RotateRefreshTokenAsync(byte[] oldHash, byte[] newHash,
        DateTimeOffset newExpiresAt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var nowMs = now.ToUnixTimeMilliseconds();
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = c.BeginTransaction();
        string sessionId;
        long expires;
        long? used;
        await using (var cmd = Command(c, tx, "SELECT session_id, expires_at, used_at FROM refresh_tokens WHERE hash = $h", ("$h", oldHash)))
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return (RefreshOutcome.Invalid, null);
            }

            sessionId = r.GetString(0);
            expires = r.GetInt64(1);
            used = r.IsDBNull(2) ? null : r.GetInt64(2);
        }

        var session = await QuerySessionAsync(c, tx, sessionId, cancellationToken).ConfigureAwait(false);
        if (session is null || session.RevokedAt is not null || session.ExpiresAt <= now || expires <= nowMs)
        {
            return (RefreshOutcome.Invalid, null);
        }

        if (used is not null)
        {
            // A spent refresh token came back: whoever holds it is not the client that rotated it. End the session.
            await NonQueryAsync(c, tx, "UPDATE sessions SET revoked_at = $now WHERE session_id = $s", cancellationToken, ("$now", nowMs), ("$s", sessionId))
                .ConfigureAwait(false);
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            return (RefreshOutcome.Reused, null);
        }

        await NonQueryAsync(c, tx, "UPDATE refresh_tokens SET used_at = $now WHERE hash = $h", cancellationToken, ("$now", nowMs), ("$h", oldHash))
            .ConfigureAwait(false);
        await NonQueryAsync(c, tx, "INSERT INTO refresh_tokens(hash, session_id, expires_at) VALUES($h, $s, $e)", cancellationToken,
            ("$h", newHash), ("$s", sessionId), ("$e", newExpiresAt.ToUnixTimeMilliseconds())).ConfigureAwait(false);
        await NonQueryAsync(c, tx, "UPDATE sessions SET expires_at = $e WHERE session_id = $s", cancellationToken,
            ("$e", newExpiresAt.ToUnixTimeMilliseconds()), ("$s", sessionId)).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (RefreshOutcome.Rotated, session with { ExpiresAt = FromMs(newExpiresAt.ToUnixTimeMilliseconds()) });
    }

    public async Task<SessionRecord?> FindSessionByRefreshAsync(byte[] refreshHash, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT session_id FROM refresh_tokens WHERE hash = $h", ("$h", refreshHash));
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is string id
            ? await QuerySessionAsync(c, null, id, cancellationToken).ConfigureAwait(false)
            : null;
    }

    public async Task RevokeSessionAsync(string sessionId, DateTimeOffset when, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, null, "UPDATE sessions SET revoked_at = coalesce(revoked_at, $w) WHERE session_id = $s", cancellationToken,
            ("$w", when.ToUnixTimeMilliseconds()), ("$s", sessionId)).ConfigureAwait(false);
    }

    // ---- invitations ----

    public async Task<InvitationRecord> CreateInvitationAsync(long createdBy, byte[] codeHash, long? repositoryId, AccessLevel role, bool makeAdmin,
        DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "INSERT INTO invitations(hash, created_by, repo_id, role, make_admin, created_at, expires_at) VALUES($h, $b, $r, $role, $a, $c, $e) "
            + "RETURNING invitation_id",
            ("$h", codeHash), ("$b", createdBy), ("$r", Db(repositoryId)), ("$role", (int)role), ("$a", makeAdmin ? 1 : 0), ("$c", now),
            ("$e", expiresAt.ToUnixTimeMilliseconds()));
        var id = (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return new InvitationRecord(id, createdBy, repositoryId, role, makeAdmin, FromMs(now), FromMs(expiresAt.ToUnixTimeMilliseconds()), null, null);
    }

    public async Task<IReadOnlyList<InvitationRecord>> ListInvitationsAsync(long? createdBy, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "SELECT invitation_id, created_by, repo_id, role, make_admin, created_at, expires_at, used_at, used_by FROM invitations "
            + "WHERE $b IS NULL OR created_by = $b ORDER BY invitation_id", ("$b", Db(createdBy)));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<InvitationRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(ReadInvitation(r));
        }

        return list;
    }

    public async Task<InvitationRecord?> GetInvitationAsync(long invitationId, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "SELECT invitation_id, created_by, repo_id, role, make_admin, created_at, expires_at, used_at, used_by FROM invitations "
            + "WHERE invitation_id = $i", ("$i", invitationId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadInvitation(r) : null;
    }

    public async Task<bool> DeleteInvitationAsync(long invitationId, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await NonQueryAsync(c, null, "DELETE FROM invitations WHERE invitation_id = $i", cancellationToken, ("$i", invitationId))
            .ConfigureAwait(false) > 0;
    }

    public async Task<(RedeemOutcome Outcome, UserRecord? User)> RedeemInvitationAsync(byte[] codeHash, string userName, string passwordHash,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = c.BeginTransaction();
        InvitationRecord invitation;
        await using (var cmd = Command(c, tx,
            "SELECT invitation_id, created_by, repo_id, role, make_admin, created_at, expires_at, used_at, used_by FROM invitations WHERE hash = $h",
            ("$h", codeHash)))
        await using (var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return (RedeemOutcome.InvalidCode, null);
            }

            invitation = ReadInvitation(r);
        }

        if (invitation.UsedAt is not null || invitation.ExpiresAt <= now)
        {
            return (RedeemOutcome.InvalidCode, null);
        }

        var user = await InsertUserAsync(c, tx, userName, passwordHash, invitation.MakeAdmin, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            return (RedeemOutcome.NameTaken, null);
        }

        await NonQueryAsync(c, tx, "UPDATE invitations SET used_at = $now, used_by = $u WHERE invitation_id = $i", cancellationToken,
            ("$now", now.ToUnixTimeMilliseconds()), ("$u", user.Id), ("$i", invitation.Id)).ConfigureAwait(false);
        if (invitation.RepositoryId is { } repoId && invitation.Role != AccessLevel.None)
        {
            await NonQueryAsync(c, tx, "INSERT OR REPLACE INTO members(repo_id, user_id, role) VALUES($r, $u, $role)", cancellationToken,
                ("$r", repoId), ("$u", user.Id), ("$role", (int)invitation.Role)).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return (RedeemOutcome.Created, user);
    }

    // ---- repositories and members ----

    public async Task<RepositoryRecord?> CreateRepositoryAsync(long ownerId, string name, bool isPrivate, string description,
        CancellationToken cancellationToken)
    {
        var now = Now();
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = c.BeginTransaction();
        await using (var cmd = Command(c, tx,
            "INSERT INTO repositories(owner_id, name, is_private, description, created_at, updated_at) VALUES($o, $n, $p, $d, $c, $c) "
            + "ON CONFLICT(owner_id, name) DO NOTHING",
            ("$o", ownerId), ("$n", name), ("$p", isPrivate ? 1 : 0), ("$d", description), ("$c", now)))
        {
            if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return null;
            }
        }

        var id = await LastInsertIdAsync(c, tx, cancellationToken).ConfigureAwait(false);
        var repo = await QueryRepositoryAsync(c, tx, "r.repo_id = $a", id, null, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return repo;
    }

    public async Task<RepositoryRecord?> FindRepositoryAsync(string owner, string name, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await QueryRepositoryAsync(c, null, "u.name = $a AND r.name = $b", owner, name, cancellationToken).ConfigureAwait(false);
    }

    public async Task<RepositoryRecord?> GetRepositoryAsync(long repositoryId, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await QueryRepositoryAsync(c, null, "r.repo_id = $a", repositoryId, null, cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<(RepositoryRecord Repository, AccessLevel MemberRole)>> ListVisibleRepositoriesAsync(long userId,
        bool isServerAdmin, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            $"SELECT {RepositoryColumns}, coalesce(m.role, 0) FROM repositories r JOIN users u ON u.user_id = r.owner_id "
            + "LEFT JOIN members m ON m.repo_id = r.repo_id AND m.user_id = $me "
            + "WHERE $admin = 1 OR r.owner_id = $me OR m.role IS NOT NULL OR r.is_private = 0 ORDER BY u.name, r.name",
            ("$me", userId), ("$admin", isServerAdmin ? 1 : 0));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<(RepositoryRecord, AccessLevel)>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add((ReadRepository(r), (AccessLevel)r.GetInt32(9)));
        }

        return list;
    }

    public async Task<RepositoryRecord?> UpdateRepositoryAsync(long repositoryId, bool? isPrivate, string? description, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = c.BeginTransaction();
        await NonQueryAsync(c, tx,
            "UPDATE repositories SET is_private = coalesce($p, is_private), description = coalesce($d, description), updated_at = $now WHERE repo_id = $r",
            cancellationToken, ("$p", isPrivate is { } p ? (p ? 1 : 0) : DBNull.Value), ("$d", (object?)description ?? DBNull.Value), ("$now", Now()),
            ("$r", repositoryId)).ConfigureAwait(false);
        var repo = await QueryRepositoryAsync(c, tx, "r.repo_id = $a", repositoryId, null, cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return repo;
    }

    public async Task<AccessLevel> GetMemberRoleAsync(long repositoryId, long userId, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT role FROM members WHERE repo_id = $r AND user_id = $u", ("$r", repositoryId), ("$u", userId));
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long role ? (AccessLevel)role : AccessLevel.None;
    }

    public async Task SetMemberAsync(long repositoryId, long userId, AccessLevel role, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await NonQueryAsync(c, null, "INSERT INTO members(repo_id, user_id, role) VALUES($r, $u, $role) ON CONFLICT(repo_id, user_id) DO UPDATE SET role = $role",
            cancellationToken, ("$r", repositoryId), ("$u", userId), ("$role", (int)role)).ConfigureAwait(false);
    }

    public async Task<bool> RemoveMemberAsync(long repositoryId, long userId, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        return await NonQueryAsync(c, null, "DELETE FROM members WHERE repo_id = $r AND user_id = $u", cancellationToken, ("$r", repositoryId), ("$u", userId))
            .ConfigureAwait(false) > 0;
    }

    public async Task<IReadOnlyList<MemberRecord>> ListMembersAsync(long repositoryId, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null,
            "SELECT m.user_id, u.name, m.role FROM members m JOIN users u ON u.user_id = m.user_id WHERE m.repo_id = $r ORDER BY u.name",
            ("$r", repositoryId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<MemberRecord>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new MemberRecord(r.GetInt64(0), r.GetString(1), (AccessLevel)r.GetInt32(2)));
        }

        return list;
    }

    // ---- refs ----

    public async Task<IReadOnlyList<KeyValuePair<string, ObjectId>>> ListRefsAsync(long repositoryId, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT name, target FROM refs WHERE repo_id = $r ORDER BY name", ("$r", repositoryId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<KeyValuePair<string, ObjectId>>();
        while (await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            list.Add(new(r.GetString(0), new ObjectId((byte[])r[1])));
        }

        return list;
    }

    public async Task<RefUpdateOutcome> CompareAndSwapRefAsync(long repositoryId, string name, ObjectId? expected, ObjectId target,
        CancellationToken cancellationToken)
    {
        var now = Now();
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = c.BeginTransaction();
        ObjectId? current;
        await using (var cmd = Command(c, tx, "SELECT target FROM refs WHERE repo_id = $r AND name = $n", ("$r", repositoryId), ("$n", name)))
        {
            current = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is byte[] b ? new ObjectId(b) : null;
        }

        if (current != expected)
        {
            return RefUpdateOutcome.Conflict;
        }

        const string heads = "refs/heads/";
        if (current is null && name.StartsWith(heads, StringComparison.Ordinal))
        {
            await using var cmd = Command(c, tx, "SELECT count(*) FROM refs WHERE repo_id = $r AND name >= 'refs/heads/' AND name < 'refs/heads0'",
                ("$r", repositoryId));
            if ((long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))! == 0)
            {
                await NonQueryAsync(c, tx, "UPDATE repositories SET default_branch = $b WHERE repo_id = $r", cancellationToken,
                    ("$b", name[heads.Length..]), ("$r", repositoryId)).ConfigureAwait(false);
            }
        }

        await NonQueryAsync(c, tx,
            "INSERT INTO refs(repo_id, name, target, updated_at) VALUES($r, $n, $t, $now) ON CONFLICT(repo_id, name) DO UPDATE SET target = $t, updated_at = $now",
            cancellationToken, ("$r", repositoryId), ("$n", name), ("$t", target.ToArray()), ("$now", now)).ConfigureAwait(false);
        await NonQueryAsync(c, tx, "UPDATE repositories SET updated_at = $now WHERE repo_id = $r", cancellationToken, ("$now", now), ("$r", repositoryId))
            .ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return RefUpdateOutcome.Updated;
    }

    // ---- objects ----

    public async Task<IReadOnlyList<ObjectId>> FindMissingObjectsAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = c.BeginTransaction(deferred: true);
        return await FindMissingAsync(c, tx, "SELECT 1 FROM objects WHERE repo_id = $r AND id = $id", repositoryId, ids, cancellationToken)
            .ConfigureAwait(false);
    }

    public async Task<int> PutObjectsAsync(long repositoryId, IAsyncEnumerable<MetadataObject> objects, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = c.BeginTransaction();
        await using var cmd = Command(c, tx, "INSERT OR IGNORE INTO objects(repo_id, id, kind, data) VALUES($r, $id, $k, $d)", ("$r", repositoryId));
        var pId = cmd.Parameters.Add("$id", SqliteType.Blob);
        var pKind = cmd.Parameters.Add("$k", SqliteType.Integer);
        var pData = cmd.Parameters.Add("$d", SqliteType.Blob);
        var stored = 0;
        await foreach (var o in objects.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            pId.Value = o.Id.ToArray();
            pKind.Value = (int)o.Kind;
            pData.Value = o.Data.ToArray();
            stored += await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        return stored;
    }

    public async Task<MetadataObject?> GetObjectAsync(long repositoryId, ObjectId id, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT kind, data FROM objects WHERE repo_id = $r AND id = $id", ("$r", repositoryId), ("$id", id.ToArray()));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? new MetadataObject(id, (FrameKind)r.GetInt32(0), (byte[])r[1]) : null;
    }

    public async Task<bool> IsCompleteAsync(long repositoryId, ObjectId id, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = Command(c, null, "SELECT 1 FROM complete WHERE repo_id = $r AND id = $id", ("$r", repositoryId), ("$id", id.ToArray()));
        return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    public async Task MarkCompleteAsync(long repositoryId, IReadOnlyCollection<ObjectId> ids, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = c.BeginTransaction();
        await using var cmd = Command(c, tx, "INSERT OR IGNORE INTO complete(repo_id, id) VALUES($r, $id)", ("$r", repositoryId));
        var pId = cmd.Parameters.Add("$id", SqliteType.Blob);
        foreach (var id in ids)
        {
            pId.Value = id.ToArray();
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    // ---- helpers ----

    /// <summary>The ids a query finds no row for, in order, each once; shared with the chunk index.</summary>
    internal static async Task<IReadOnlyList<ObjectId>> FindMissingAsync(SqliteConnection c, SqliteTransaction? tx, string sql, long repositoryId,
        IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        await using var cmd = Command(c, tx, sql, ("$r", repositoryId));
        var pId = cmd.Parameters.Add("$id", SqliteType.Blob);
        var seen = new HashSet<ObjectId>();
        var missing = new List<ObjectId>();
        foreach (var id in ids)
        {
            if (!seen.Add(id))
            {
                continue;
            }

            pId.Value = id.ToArray();
            if (await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is null)
            {
                missing.Add(id);
            }
        }

        return missing;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private long Now() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private async Task<UserRecord?> InsertUserAsync(SqliteConnection c, SqliteTransaction tx, string name, string? passwordHash, bool isAdmin,
        CancellationToken cancellationToken)
    {
        await using (var cmd = Command(c, tx,
            "INSERT INTO users(name, password_hash, is_admin, created_at) VALUES($n, $p, $a, $c) ON CONFLICT(name) DO NOTHING",
            ("$n", name), ("$p", (object?)passwordHash ?? DBNull.Value), ("$a", isAdmin ? 1 : 0), ("$c", Now())))
        {
            if (await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                return null;
            }
        }

        var id = await LastInsertIdAsync(c, tx, cancellationToken).ConfigureAwait(false);
        return await QueryUserAsync(c, tx, "user_id = $v", id, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<long> LastInsertIdAsync(SqliteConnection c, SqliteTransaction? tx, CancellationToken cancellationToken)
    {
        await using var cmd = Command(c, tx, "SELECT last_insert_rowid()");
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task<UserRecord?> QueryUserAsync(SqliteConnection c, SqliteTransaction? tx, string where, object value,
        CancellationToken cancellationToken)
    {
        await using var cmd = Command(c, tx, $"SELECT user_id, name, password_hash, is_admin, is_disabled, created_at FROM users WHERE {where}", ("$v", value));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadUser(r) : null;
    }

    private static async Task<SessionRecord?> QuerySessionAsync(SqliteConnection c, SqliteTransaction? tx, string sessionId, CancellationToken cancellationToken)
    {
        await using var cmd = Command(c, tx, "SELECT session_id, user_id, created_at, expires_at, revoked_at FROM sessions WHERE session_id = $s",
            ("$s", sessionId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new SessionRecord(r.GetString(0), r.GetInt64(1), FromMs(r.GetInt64(2)), FromMs(r.GetInt64(3)), NullableTime(r, 4));
    }

    private static async Task<RepositoryRecord?> QueryRepositoryAsync(SqliteConnection c, SqliteTransaction? tx, string where, object a, object? b,
        CancellationToken cancellationToken)
    {
        await using var cmd = Command(c, tx, $"SELECT {RepositoryColumns} FROM repositories r JOIN users u ON u.user_id = r.owner_id WHERE {where}",
            ("$a", a), ("$b", b ?? DBNull.Value));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await r.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadRepository(r) : null;
    }

    private static UserRecord ReadUser(SqliteDataReader r, int o = 0) =>
        new(r.GetInt64(o), r.GetString(o + 1), r.IsDBNull(o + 2) ? null : r.GetString(o + 2), r.GetInt64(o + 3) != 0, r.GetInt64(o + 4) != 0,
            FromMs(r.GetInt64(o + 5)));

    private static TokenRecord ReadToken(SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), (AccessLevel)r.GetInt32(3), FromMs(r.GetInt64(4)), NullableTime(r, 5), NullableTime(r, 6),
            NullableTime(r, 7));

    private static InvitationRecord ReadInvitation(SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.IsDBNull(2) ? null : r.GetInt64(2), (AccessLevel)r.GetInt32(3), r.GetInt64(4) != 0, FromMs(r.GetInt64(5)),
            FromMs(r.GetInt64(6)), NullableTime(r, 7), r.IsDBNull(8) ? null : r.GetInt64(8));

    private static RepositoryRecord ReadRepository(SqliteDataReader r) =>
        new(r.GetInt64(0), r.GetInt64(1), r.GetString(2), r.GetString(3), r.GetInt64(4) != 0, r.GetString(5), r.GetString(6), FromMs(r.GetInt64(7)),
            FromMs(r.GetInt64(8)));

    private static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static DateTimeOffset? NullableTime(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : FromMs(r.GetInt64(i));

    private static object Db(DateTimeOffset? value) => value is { } v ? v.ToUnixTimeMilliseconds() : DBNull.Value;

    private static object Db(long? value) => value is { } v ? v : DBNull.Value;

    internal static SqliteCommand Command(SqliteConnection c, SqliteTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        return cmd;
    }

    private static async Task<int> NonQueryAsync(SqliteConnection c, SqliteTransaction? tx, string sql, CancellationToken cancellationToken,
        params (string Name, object Value)[] parameters)
    {
        await using var cmd = Command(c, tx, sql, parameters);
        return await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
