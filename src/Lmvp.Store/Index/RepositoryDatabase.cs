using Lmvp.Store.Packs;
using Microsoft.Data.Sqlite;

namespace Lmvp.Store.Index;

/// <summary>Where a chunk's bytes live.</summary>
internal readonly record struct ChunkLocation(long PackId, long Offset, int StoredLength, int RawLength, Compression Compression)
{
    public PackEntry ToEntry(ObjectId id) => new(id, EntryKind.Chunk, Compression, Offset, StoredLength, RawLength);
}

/// <summary>One cached stat of a working-tree file.</summary>
internal readonly record struct StatCacheEntry(long Size, long MtimeNs, long CtimeNs, long Inode, ObjectId FileId);

/// <summary>The SQLite index of a repository: objects, chunk locations, packs, refs, HEAD, stat cache and config.</summary>
/// <remarks>One connection, used from one thread at a time. WAL with synchronous=FULL: a committed transaction survives
/// a crash, and a kill at any instant leaves the previous or the next state.</remarks>
internal sealed class RepositoryDatabase : IDisposable
{
    /// <summary>The schema version this code reads and writes.</summary>
    public const int SchemaVersion = 1;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS packs(pack_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, size INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS chunks(id BLOB PRIMARY KEY, pack_id INTEGER NOT NULL, offset INTEGER NOT NULL,
            stored_length INTEGER NOT NULL, raw_length INTEGER NOT NULL, compression INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS chunks_by_pack ON chunks(pack_id);
        CREATE TABLE IF NOT EXISTS objects(id BLOB PRIMARY KEY, kind INTEGER NOT NULL, data BLOB NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS refs(name TEXT PRIMARY KEY, target BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS stat_cache(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
            ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, file_id BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS config(key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """;

    private readonly SqliteConnection _connection;
    private readonly SqliteCommand _getChunk;
    private readonly SqliteCommand _getObject;
    private SqliteTransaction? _transaction;

    private RepositoryDatabase(SqliteConnection connection)
    {
        _connection = connection;
        _getChunk = Prepare("SELECT pack_id, offset, stored_length, raw_length, compression FROM chunks WHERE id = $id", "$id");
        _getObject = Prepare("SELECT kind, data FROM objects WHERE id = $id", "$id");
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
            Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; PRAGMA busy_timeout=30000;");
            var db = new RepositoryDatabase(connection);
            db.Migrate();
            return db;
        }
        catch (SqliteException e)
        {
            connection.Dispose();
            throw new CorruptObjectException($"The repository index {path} cannot be opened: {e.Message}", e);
        }
    }

    private void Migrate()
    {
        Execute(_connection, Schema);
        var version = GetMeta("schema_version");
        if (version is null)
        {
            SetMeta("schema_version", SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        else if (version != SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            throw new LmvpException($"The repository index has schema version {version}; this lmvp reads version {SchemaVersion}.");
        }
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

    // ---- packs and chunks ----

    public long AddPack(string name, long size)
    {
        using var cmd = Command("INSERT INTO packs(name, size) VALUES($n, $s) ON CONFLICT(name) DO UPDATE SET size = $s RETURNING pack_id", ("$n", name), ("$s", size));
        return (long)cmd.ExecuteScalar()!;
    }

    public IReadOnlyList<(long Id, string Name, long Size)> ListPacks()
    {
        using var cmd = Command("SELECT pack_id, name, size FROM packs ORDER BY pack_id");
        using var r = cmd.ExecuteReader();
        var list = new List<(long, string, long)>();
        while (r.Read())
        {
            list.Add((r.GetInt64(0), r.GetString(1), r.GetInt64(2)));
        }

        return list;
    }

    public void DeletePack(long packId)
    {
        NonQuery("DELETE FROM chunks WHERE pack_id = $p", ("$p", packId));
        NonQuery("DELETE FROM packs WHERE pack_id = $p", ("$p", packId));
    }

    public bool TryGetChunk(ObjectId id, out ChunkLocation location)
    {
        _getChunk.Parameters[0].Value = id.ToArray();
        _getChunk.Transaction = _transaction;
        using var r = _getChunk.ExecuteReader();
        if (!r.Read())
        {
            location = default;
            return false;
        }

        location = new ChunkLocation(r.GetInt64(0), r.GetInt64(1), r.GetInt32(2), r.GetInt32(3), (Compression)r.GetInt32(4));
        return true;
    }

    public bool HasChunk(ObjectId id) => TryGetChunk(id, out _);

    /// <summary>Records chunk locations; an id already indexed keeps its first location.</summary>
    public void InsertChunks(long packId, IEnumerable<PackEntry> entries)
    {
        InTransaction(() =>
        {
            using var cmd = Command("INSERT OR IGNORE INTO chunks(id, pack_id, offset, stored_length, raw_length, compression) VALUES($id, $p, $o, $s, $r, $c)");
            var pId = cmd.Parameters.Add("$id", SqliteType.Blob);
            cmd.Parameters.AddWithValue("$p", packId);
            var pO = cmd.Parameters.Add("$o", SqliteType.Integer);
            var pS = cmd.Parameters.Add("$s", SqliteType.Integer);
            var pR = cmd.Parameters.Add("$r", SqliteType.Integer);
            var pC = cmd.Parameters.Add("$c", SqliteType.Integer);
            cmd.Prepare();
            foreach (var e in entries)
            {
                if (e.Kind != EntryKind.Chunk)
                {
                    continue;
                }

                pId.Value = e.Id.ToArray();
                pO.Value = e.Offset;
                pS.Value = e.StoredLength;
                pR.Value = e.RawLength;
                pC.Value = (int)e.Compression;
                cmd.ExecuteNonQuery();
            }
        });
    }

    /// <summary>Moves a chunk's location (gc rewrites packs).</summary>
    public void UpdateChunkLocation(ObjectId id, long packId, PackEntry entry) =>
        NonQuery("UPDATE chunks SET pack_id = $p, offset = $o, stored_length = $s, raw_length = $r, compression = $c WHERE id = $id",
            ("$id", id.ToArray()), ("$p", packId), ("$o", entry.Offset), ("$s", entry.StoredLength), ("$r", entry.RawLength), ("$c", (int)entry.Compression));

    public void DeleteChunk(ObjectId id) => NonQuery("DELETE FROM chunks WHERE id = $id", ("$id", id.ToArray()));

    public IEnumerable<(ObjectId Id, ChunkLocation Location)> ListChunks()
    {
        using var cmd = Command("SELECT id, pack_id, offset, stored_length, raw_length, compression FROM chunks ORDER BY pack_id, offset");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (new ObjectId((byte[])r[0]), new ChunkLocation(r.GetInt64(1), r.GetInt64(2), r.GetInt32(3), r.GetInt32(4), (Compression)r.GetInt32(5)));
        }
    }

    public (long Count, long RawBytes, long StoredBytes) ChunkTotals()
    {
        using var cmd = Command("SELECT count(*), coalesce(sum(raw_length), 0), coalesce(sum(stored_length), 0) FROM chunks");
        using var r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }

    // ---- objects ----

    public void PutObject(ObjectId id, EntryKind kind, byte[] data) =>
        NonQuery("INSERT OR IGNORE INTO objects(id, kind, data) VALUES($id, $k, $d)", ("$id", id.ToArray()), ("$k", (int)kind), ("$d", data));

    public bool TryGetObject(ObjectId id, out EntryKind kind, out byte[] data)
    {
        _getObject.Parameters[0].Value = id.ToArray();
        _getObject.Transaction = _transaction;
        using var r = _getObject.ExecuteReader();
        if (!r.Read())
        {
            kind = default;
            data = [];
            return false;
        }

        kind = (EntryKind)r.GetInt32(0);
        data = (byte[])r[1];
        return true;
    }

    public bool HasObject(ObjectId id) => TryGetObject(id, out _, out _);

    public IEnumerable<(ObjectId Id, EntryKind Kind, byte[] Data)> ListObjects()
    {
        using var cmd = Command("SELECT id, kind, data FROM objects");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (new ObjectId((byte[])r[0]), (EntryKind)r.GetInt32(1), (byte[])r[2]);
        }
    }

    public void DeleteObject(ObjectId id) => NonQuery("DELETE FROM objects WHERE id = $id", ("$id", id.ToArray()));

    /// <summary>Ids of objects of <paramref name="kind"/> whose hex form starts with <paramref name="hexPrefix"/> (at most <paramref name="limit"/>).</summary>
    public IReadOnlyList<ObjectId> FindByPrefix(string hexPrefix, EntryKind kind, int limit)
    {
        var low = Convert.FromHexString(hexPrefix.PadRight(ObjectId.HexLength, '0'));
        var high = Convert.FromHexString(hexPrefix.PadRight(ObjectId.HexLength, 'f'));
        using var cmd = Command("SELECT id FROM objects WHERE id >= $lo AND id <= $hi AND kind = $k LIMIT $n", ("$lo", low), ("$hi", high), ("$k", (int)kind), ("$n", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<ObjectId>();
        while (r.Read())
        {
            list.Add(new ObjectId((byte[])r[0]));
        }

        return list;
    }

    // ---- refs ----

    public ObjectId? GetRef(string name)
    {
        using var cmd = Command("SELECT target FROM refs WHERE name = $n", ("$n", name));
        return cmd.ExecuteScalar() is byte[] b ? new ObjectId(b) : null;
    }

    public void SetRef(string name, ObjectId target) =>
        NonQuery("INSERT INTO refs(name, target) VALUES($n, $t) ON CONFLICT(name) DO UPDATE SET target = $t", ("$n", name), ("$t", target.ToArray()));

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

    public bool DeleteRef(string name) => NonQuery("DELETE FROM refs WHERE name = $n", ("$n", name)) > 0;

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

    // ---- stat cache ----

    public Dictionary<string, StatCacheEntry> LoadStatCache()
    {
        using var cmd = Command("SELECT path, size, mtime_ns, ctime_ns, inode, file_id FROM stat_cache");
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<string, StatCacheEntry>(StringComparer.Ordinal);
        while (r.Read())
        {
            map[r.GetString(0)] = new StatCacheEntry(r.GetInt64(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), new ObjectId((byte[])r[5]));
        }

        return map;
    }

    /// <summary>Replaces the whole stat cache with <paramref name="entries"/>.</summary>
    public void ReplaceStatCache(IEnumerable<KeyValuePair<string, StatCacheEntry>> entries)
    {
        InTransaction(() =>
        {
            NonQuery("DELETE FROM stat_cache");
            using var cmd = Command("INSERT INTO stat_cache(path, size, mtime_ns, ctime_ns, inode, file_id) VALUES($p, $s, $m, $c, $i, $f)");
            var pp = cmd.Parameters.Add("$p", SqliteType.Text);
            var ps = cmd.Parameters.Add("$s", SqliteType.Integer);
            var pm = cmd.Parameters.Add("$m", SqliteType.Integer);
            var pc = cmd.Parameters.Add("$c", SqliteType.Integer);
            var pi = cmd.Parameters.Add("$i", SqliteType.Integer);
            var pf = cmd.Parameters.Add("$f", SqliteType.Blob);
            cmd.Prepare();
            foreach (var (path, e) in entries)
            {
                pp.Value = path;
                ps.Value = e.Size;
                pm.Value = e.MtimeNs;
                pc.Value = e.CtimeNs;
                pi.Value = e.Inode;
                pf.Value = e.FileId.ToArray();
                cmd.ExecuteNonQuery();
            }
        });
    }

    /// <summary>Forces the WAL into the main file (before a copy or after a large rewrite).</summary>
    public void Checkpoint() => Execute(_connection, "PRAGMA wal_checkpoint(TRUNCATE);");

    /// <inheritdoc />
    public void Dispose()
    {
        _getChunk.Dispose();
        _getObject.Dispose();
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

    private SqliteCommand Command(string sql, params (string Name, object Value)[] parameters)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = _transaction;
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.AddWithValue(name, value);
        }

        return cmd;
    }

    private int NonQuery(string sql, params (string Name, object Value)[] parameters)
    {
        using var cmd = Command(sql, parameters);
        return cmd.ExecuteNonQuery();
    }

    private string? ScalarString(string sql, params (string Name, object Value)[] parameters)
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
