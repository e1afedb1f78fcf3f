using System.Data.Common;
using Lmvp.Server.Storage.Sql;
using Microsoft.Data.Sqlite;

namespace Lmvp.Server.Storage.Sqlite;

/// <summary>The embedded metadata database: one SQLite file (WAL) in the data directory.</summary>
/// <remarks>Writes run in <c>BEGIN IMMEDIATE</c> transactions (the default of a SQLite transaction here), so SQLite's single
/// writer serializes them and a read-then-write inside one transaction is atomic.</remarks>
internal sealed class SqliteDatabase : SqlDatabase
{
    /// <summary>The database's file name inside the data directory.</summary>
    public const string FileName = "server.db";

    private readonly string _path;
    private readonly string _connectionString;

    private SqliteDatabase(string path, TimeProvider time)
        : base(time)
    {
        _path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public override string Description => _path;

    protected override IReadOnlyList<string> Migrations => Schema;

    /// <summary>Opens (creating if needed) the database in <paramref name="dataDirectory"/> and brings its schema up to date.</summary>
    public static async Task<SqliteDatabase> OpenAsync(string dataDirectory, TimeProvider time, CancellationToken cancellationToken = default)
    {
        var db = new SqliteDatabase(Path.Combine(dataDirectory, FileName), time);
        await using (var c = await db.OpenAsync(cancellationToken).ConfigureAwait(false))
        {
            await NonQueryAsync(c, null, "PRAGMA journal_mode=WAL", cancellationToken).ConfigureAwait(false);
        }

        await db.MigrateAsync(cancellationToken).ConfigureAwait(false);
        return db;
    }

    /// <summary>Every metadata aggregate over this database.</summary>
    public MetadataStores Stores() => SqlStores.Create(this);

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
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

    /// <summary>Version 1 is the schema of the first release; version 2 moved the chunk index in (it was chunks.db) and indexes
    /// names case-insensitively; version 3 added upload sessions and file digests for the JSON API; version 4 the ref history, branch protection, the audit
    /// log and the sign-in throttle's counts.</summary>
    private static readonly string[] Schema =
    [
        """
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
            PRIMARY KEY(repo_id, id)) WITHOUT ROWID
        """,
        """
        CREATE TABLE packs(
            pack_id INTEGER PRIMARY KEY,
            repo_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            size INTEGER NOT NULL,
            UNIQUE(repo_id, name));
        CREATE TABLE chunks(
            repo_id INTEGER NOT NULL,
            id BLOB NOT NULL,
            pack_id INTEGER NOT NULL REFERENCES packs(pack_id),
            pack_offset INTEGER NOT NULL,
            stored_length INTEGER NOT NULL,
            raw_length INTEGER NOT NULL,
            encoding INTEGER NOT NULL,
            PRIMARY KEY(repo_id, id)) WITHOUT ROWID;
        CREATE INDEX users_by_lower_name ON users(lower(name));
        CREATE INDEX repositories_by_lower_name ON repositories(owner_id, lower(name))
        """,
        """
        CREATE TABLE uploads(
            upload_id TEXT PRIMARY KEY,
            repo_id INTEGER NOT NULL,
            user_id INTEGER NOT NULL,
            declared_size INTEGER,
            received INTEGER NOT NULL DEFAULT 0,
            file_id BLOB,
            sha256 BLOB,
            created_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL);
        CREATE INDEX uploads_by_expiry ON uploads(expires_at);
        CREATE TABLE upload_parts(
            upload_id TEXT NOT NULL,
            start INTEGER NOT NULL,
            length INTEGER NOT NULL,
            blob TEXT NOT NULL,
            PRIMARY KEY(upload_id, start));
        CREATE TABLE file_digests(
            file_id BLOB PRIMARY KEY,
            sha256 BLOB NOT NULL)
        """,

        // Both engines read this text as it is except for the id and byte-string types: PostgreSQL writes
        // "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" for "INTEGER PRIMARY KEY" and BYTEA for BLOB.
        """
        CREATE TABLE ref_history(
            entry_id INTEGER PRIMARY KEY,
            repo_id BIGINT NOT NULL,
            name TEXT NOT NULL,
            old_target BLOB,
            new_target BLOB,
            kind TEXT NOT NULL,
            via TEXT NOT NULL,
            user_id BIGINT,
            user_name TEXT NOT NULL,
            token_id BIGINT,
            auth_method TEXT NOT NULL,
            moved_at BIGINT NOT NULL);
        CREATE INDEX ref_history_by_repository ON ref_history(repo_id, entry_id);
        CREATE INDEX ref_history_by_time ON ref_history(repo_id, moved_at);
        CREATE TABLE branch_protection(
            repo_id BIGINT PRIMARY KEY,
            patterns TEXT NOT NULL,
            updated_at BIGINT NOT NULL);
        CREATE TABLE audit_log(
            entry_id INTEGER PRIMARY KEY,
            logged_at BIGINT NOT NULL,
            kind TEXT NOT NULL,
            actor_id BIGINT,
            actor_name TEXT NOT NULL,
            address TEXT NOT NULL,
            repo_id BIGINT,
            repository TEXT NOT NULL,
            subject TEXT NOT NULL,
            detail TEXT NOT NULL);
        CREATE INDEX audit_log_by_kind ON audit_log(kind, entry_id);
        CREATE TABLE signin_failures(
            throttle_key TEXT PRIMARY KEY,
            failures BIGINT NOT NULL,
            window_start BIGINT NOT NULL)
        """,
    ];
}
