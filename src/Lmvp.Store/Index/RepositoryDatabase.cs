using Lmvp.Store.Packs;
using Microsoft.Data.Sqlite;

namespace Lmvp.Store.Index;

/// <summary>Where a chunk's bytes live.</summary>
internal readonly record struct ChunkLocation(long PackId, long Offset, int StoredLength, int RawLength, ChunkEncoding Encoding)
{
    public PackEntry ToEntry(ObjectId id) => new(id, ObjectKind.Chunk, Encoding, Offset, StoredLength, RawLength);
}

/// <summary>One cached stat of a working-tree file.</summary>
internal readonly record struct StatCacheEntry(long Size, long MtimeNs, long CtimeNs, long Inode, ObjectId FileId)
{
    /// <summary>The entry of a file whose stat is <paramref name="stat"/> and whose content is <paramref name="fileId"/>.</summary>
    public static StatCacheEntry Of(WorkingTree.FileStat stat, ObjectId fileId) => new(stat.Size, stat.MtimeNs, stat.CtimeNs, stat.Inode, fileId);
}

/// <summary>The SQLite index of a repository: objects, chunk locations, packs, refs, HEAD, stat cache and config.</summary>
/// <remarks>One connection, used from one thread at a time. WAL with synchronous=FULL: a committed transaction survives
/// a crash, and a kill at any instant leaves the previous or the next state.</remarks>
internal sealed partial class RepositoryDatabase : IDisposable
{
    /// <summary>The schema version this code reads and writes (checked when <see cref="Layout"/> differs: a newer schema moves both).</summary>
    public const int SchemaVersion = 1;

    /// <summary>SQLite's <c>user_version</c> once every table below (and the reflog's) exists: bump it with each new table or
    /// index, so that the next open of an older database creates them; a database at this value opens without schema work.</summary>
    internal const long Layout = 1;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS packs(pack_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, size INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS chunks(id BLOB PRIMARY KEY, pack_id INTEGER NOT NULL, offset INTEGER NOT NULL,
            stored_length INTEGER NOT NULL, raw_length INTEGER NOT NULL, compression INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS chunks_by_pack ON chunks(pack_id);
        CREATE TABLE IF NOT EXISTS objects(id BLOB NOT NULL, kind INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(id, kind)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS refs(name TEXT PRIMARY KEY, target BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS stat_cache(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
            ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, file_id BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS config(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS promised_files(file_id BLOB PRIMARY KEY, remote TEXT NOT NULL) WITHOUT ROWID;
        """;

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _getChunk;
    private readonly SqliteCommand _getObject;
    private readonly SqliteCommand _getTypedObject;
    private SqliteCommand? _findChunks;
    private SqliteTransaction? _transaction;

    /// <summary>Ids asked about in one chunk lookup query.</summary>
    public const int LookupBatch = 128;

    private RepositoryDatabase(SqliteConnection connection)
    {
        _connection = connection;
        _getChunk = Prepare("SELECT pack_id, offset, stored_length, raw_length, compression FROM chunks WHERE id = $id", "$id");
        _getObject = Prepare("SELECT kind, data FROM objects WHERE id = $id ORDER BY kind LIMIT 1", "$id");
        _getTypedObject = Prepare("SELECT kind, data FROM objects WHERE id = $id AND kind = $k", "$id");
        _getTypedObject.Parameters.Add("$k", SqliteType.Integer);
    }

    /// <summary>Opens (or with <paramref name="create"/> creates) the database at <paramref name="path"/>.</summary>
    public static RepositoryDatabase Open(string path, bool create)
    {
        if (!create && !File.Exists(path))
        {
            throw new RepositoryNotFoundException($"No repository index at {path}.");
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = create ? SqliteOpenMode.ReadWriteCreate : SqliteOpenMode.ReadWrite,
            Pooling = false,
            DefaultTimeout = 30,
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();

            // A current database costs one read of the header's user_version: no schema statements, no meta query. WAL is
            // a property of the file (set once, below); the other pragmas belong to the connection.
            var layout = ReadUserVersion(connection);
            Execute(connection, (layout == Layout ? "" : "PRAGMA journal_mode=WAL; ") + "PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; PRAGMA busy_timeout=30000;");
            var db = new RepositoryDatabase(connection);
            if (layout != Layout)
            {
                db.Migrate(layout);
            }

            return db;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new CorruptObjectException($"The repository index {path} cannot be opened: {e.Message}", e);
        }
    }

    private void Migrate(long layout)
    {
        Execute(_connection, Schema);
        Execute(_connection, ReflogSchema);
        var version = GetMeta("schema_version");
        if (version is null)
        {
            SetMeta("schema_version", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        else if (version != SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new LmvpException($"The repository index has schema version {version}; this lmvp reads version {SchemaVersion}.");
        }

        // Marked only upward: a database a newer lmvp laid out keeps its mark (and is checked this way on every open).
        if (layout < Layout)
        {
            Execute(_connection, $"PRAGMA user_version = {Layout}");
        }
    }

    private static long ReadUserVersion(SqliteConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA user_version";
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Runs <paramref name="action"/> in one transaction (nested calls join the outer one).</summary>
    public void InTransaction(Action action)
    {
        if (_transaction is not null)
        {
            action();
            return;
        }

        _transaction = _connection.BeginTransaction();
        try
        {
            action();
            _transaction.Commit();
        }
        catch
        {
            _transaction.Rollback();
            throw;
        }
        finally
        {
            _transaction.Dispose();
            _transaction = null;
        }
    }

    // ---- meta and config ----

    public string? GetMeta(string key) => ScalarString("SELECT value FROM meta WHERE key = $k", ("$k", key));

    public void SetMeta(string key, string value) => NonQuery("INSERT INTO meta(key, value) VALUES($k, $v) ON CONFLICT(key) DO UPDATE SET value = $v", ("$k", key), ("$v", value));

    public string? GetConfig(string key) => ScalarString("SELECT value FROM config WHERE key = $k", ("$k", key));

    public void SetConfig(string key, string value) => NonQuery("INSERT INTO config(key, value) VALUES($k, $v) ON CONFLICT(key) DO UPDATE SET value = $v", ("$k", key), ("$v", value));

    public void DeleteConfig(string key) => NonQuery("DELETE FROM config WHERE key = $k", ("$k", key));

    public IReadOnlyList<KeyValuePair<string, string>> ListConfig(string prefix)
    {
        using var cmd = Command("SELECT key, value FROM config WHERE key >= $p AND key < $q ORDER BY key", ("$p", prefix), ("$q", prefix + '\uffff'));
        using var r = cmd.ExecuteReader();
        var list = new List<KeyValuePair<string, string>>();
        while (r.Read())
        {
            list.Add(new(r.GetString(0), r.GetString(1)));
        }

        return list;
    }

    // ---- refs ----

    public ObjectId? GetRef(string name)
    {
        using var cmd = Command("SELECT target FROM refs WHERE name = $n", ("$n", name));
        return cmd.ExecuteScalar() is byte[] b ? new ObjectId(b) : null;
    }

    /// <summary>Points a ref at <paramref name="target"/>, logging the move in the reflog in the same transaction.</summary>
    public void SetRef(string name, ObjectId target) => InTransaction(() =>
    {
        var old = GetRef(name);
        NonQuery("INSERT INTO refs(name, target) VALUES($n, $t) ON CONFLICT(name) DO UPDATE SET target = $t", ("$n", name), ("$t", target.ToArray()));
        LogRefChange(name, old, target);
    });

    /// <summary>Moves a ref only if it still holds <paramref name="expected"/> (null: must not exist).</summary>
    public void CompareAndSwapRef(string name, ObjectId? expected, ObjectId target)
    {
        InTransaction(() =>
        {
            var current = GetRef(name);
            if (current != expected)
            {
                throw new RefConflictException($"Ref {name} moved: expected {expected?.ToShortString() ?? "none"}, found {current?.ToShortString() ?? "none"}.");
            }

            SetRef(name, target);
        });
    }

    /// <summary>Deletes a ref, logging it (its entries stay: they keep its commits for gc until they expire); true if it existed.</summary>
    public bool DeleteRef(string name)
    {
        var deleted = false;
        InTransaction(() =>
        {
            var old = GetRef(name);
            deleted = NonQuery("DELETE FROM refs WHERE name = $n", ("$n", name)) > 0;
            if (deleted)
            {
                LogRefChange(name, old, null);
            }
        });
        return deleted;
    }

    public IReadOnlyList<KeyValuePair<string, ObjectId>> ListRefs(string prefix)
    {
        using var cmd = Command("SELECT name, target FROM refs WHERE name >= $p AND name < $q ORDER BY name", ("$p", prefix), ("$q", prefix + '\uffff'));
        using var r = cmd.ExecuteReader();
        var list = new List<KeyValuePair<string, ObjectId>>();
        while (r.Read())
        {
            list.Add(new(r.GetString(0), new ObjectId((byte[])r[1])));
        }

        return list;
    }

    /// <summary>Forces the WAL into the main file (before a copy or after a large rewrite).</summary>
    public void Checkpoint() => Execute(_connection, "PRAGMA wal_checkpoint(TRUNCATE);");

    /// <inheritdoc />
    public void Dispose()
    {
        _getChunk.Dispose();
        _getObject.Dispose();
        _getTypedObject.Dispose();
        _findChunks?.Dispose();
        _transaction?.Dispose();
        _connection.Dispose();
    }

    private SqliteCommand Prepare(string sql, string parameter)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.Add(parameter, SqliteType.Blob);
        return cmd;
    }

    private SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = _transaction;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return cmd;
    }

    private int NonQuery(string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    private string? ScalarString(string sql, params (string Name, object? Value)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        return cmd.ExecuteScalar() as string;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
