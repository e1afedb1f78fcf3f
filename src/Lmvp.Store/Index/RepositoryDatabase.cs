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
        CREATE TABLE IF NOT EXISTS objects(id BLOB NOT NULL, kind INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(id, kind)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS refs(name TEXT PRIMARY KEY, target BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS stat_cache(path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
            ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL, file_id BLOB NOT NULL);
        CREATE TABLE IF NOT EXISTS config(key TEXT PRIMARY KEY, value TEXT NOT NULL);
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

    /// <summary>The subset of <paramref name="ids"/> already indexed, found with one query per <see cref="LookupBatch"/> ids.</summary>
    public HashSet<ObjectId> FindExistingChunks(IReadOnlyList<ObjectId> ids)
    {
        var found = new HashSet<ObjectId>();
        if (_findChunks is null)
        {
            _findChunks = _connection.CreateCommand();
            _findChunks.CommandText = "SELECT id FROM chunks WHERE id IN ("
                + string.Join(", ", Enumerable.Range(0, LookupBatch).Select(i => "$p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))) + ")";
            for (var i = 0; i < LookupBatch; i++)
            {
                _findChunks.Parameters.Add("$p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), SqliteType.Blob);
            }
        }

        _findChunks.Transaction = _transaction;
        for (var start = 0; start < ids.Count; start += LookupBatch)
        {
            for (var i = 0; i < LookupBatch; i++)
            {
                // Unused slots repeat the batch's first id: harmless in an IN list.
                _findChunks.Parameters[i].Value = ids[start + i < ids.Count ? start + i : start].ToArray();
            }

            using var r = _findChunks.ExecuteReader();
            while (r.Read())
            {
                found.Add(new ObjectId((byte[])r[0]));
            }
        }

        return found;
    }

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

    /// <summary>Reads the object of one kind under <paramref name="id"/>.</summary>
    /// <remarks>Objects are keyed by (id, kind): a file whose content happens to be an encoded tree or commit shares
    /// that object's id, and its manifest must not be mistaken for (or shadowed by) the other object.</remarks>
    public bool TryGetObject(ObjectId id, EntryKind kind, out byte[] data)
    {
        _getTypedObject.Parameters[0].Value = id.ToArray();
        _getTypedObject.Parameters[1].Value = (int)kind;
        _getTypedObject.Transaction = _transaction;
        using var r = _getTypedObject.ExecuteReader();
        if (!r.Read())
        {
            data = [];
            return false;
        }

        data = (byte[])r[1];
        return true;
    }

    public bool HasObject(ObjectId id, EntryKind kind) => TryGetObject(id, kind, out _);

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

    // ---- maintenance (fsck, gc, index rebuild) ----

    /// <summary>SQLite's own consistency check: "ok", or what is wrong.</summary>
    public string QuickCheck()
    {
        using var cmd = Command("PRAGMA quick_check(20)");
        using var r = cmd.ExecuteReader();
        var lines = new List<string>();
        while (r.Read())
        {
            lines.Add(r.GetString(0));
        }

        return string.Join("; ", lines);
    }

    public IEnumerable<(ObjectId Id, ChunkLocation Location)> ListChunksInPack(long packId)
    {
        using var cmd = Command("SELECT id, pack_id, offset, stored_length, raw_length, compression FROM chunks WHERE pack_id = $p ORDER BY offset", ("$p", packId));
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (new ObjectId((byte[])r[0]), new ChunkLocation(r.GetInt64(1), r.GetInt64(2), r.GetInt32(3), r.GetInt32(4), (Compression)r.GetInt32(5)));
        }
    }

    /// <summary>Chunk rows naming a pack the packs table does not list.</summary>
    public IEnumerable<(ObjectId Id, ChunkLocation Location)> ListChunksWithoutPack()
    {
        using var cmd = Command("SELECT id, pack_id, offset, stored_length, raw_length, compression FROM chunks WHERE pack_id NOT IN (SELECT pack_id FROM packs)");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (new ObjectId((byte[])r[0]), new ChunkLocation(r.GetInt64(1), r.GetInt64(2), r.GetInt32(3), r.GetInt32(4), (Compression)r.GetInt32(5)));
        }
    }

    public IEnumerable<ObjectId> ListChunkIds()
    {
        using var cmd = Command("SELECT id FROM chunks");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return new ObjectId((byte[])r[0]);
        }
    }

    public IEnumerable<(ObjectId Id, EntryKind Kind)> ListObjectSummaries()
    {
        using var cmd = Command("SELECT id, kind FROM objects");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (new ObjectId((byte[])r[0]), (EntryKind)r.GetInt32(1));
        }
    }

    public IEnumerable<(ObjectId Id, byte[] Data)> ListObjectsOfKind(EntryKind kind)
    {
        using var cmd = Command("SELECT id, data FROM objects WHERE kind = $k", ("$k", (int)kind));
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (new ObjectId((byte[])r[0]), (byte[])r[1]);
        }
    }

    /// <summary>Overwrites an object (an index rebuild replacing a corrupt copy with a verified one).</summary>
    public void ReplaceObject(ObjectId id, EntryKind kind, byte[] data) =>
        NonQuery("INSERT INTO objects(id, kind, data) VALUES($id, $k, $d) ON CONFLICT(id, kind) DO UPDATE SET data = $d", ("$id", id.ToArray()), ("$k", (int)kind), ("$d", data));

    /// <summary>Forgets every pack and chunk location (an index rebuild re-inserts them from the packs).</summary>
    public void ClearPacksAndChunks()
    {
        NonQuery("DELETE FROM chunks");
        NonQuery("DELETE FROM packs");
    }

    /// <summary>Reads what it can of refs, HEAD and config from a damaged index file, without writing to it.</summary>
    /// <remarks>Best effort: each table is read on its own, and a table that cannot be read is skipped.</remarks>
    public static (IReadOnlyList<KeyValuePair<string, ObjectId>> Refs, string? Head, IReadOnlyList<KeyValuePair<string, string>> Config) TrySalvage(string path)
    {
        var refs = new List<KeyValuePair<string, ObjectId>>();
        var config = new List<KeyValuePair<string, string>>();
        string? head = null;
        var builder = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false, DefaultTimeout = 5 };
        try
        {
            using var connection = new SqliteConnection(builder.ToString());
            connection.Open();
            TryRead(connection, "SELECT name, target FROM refs", r =>
            {
                if (r.GetValue(1) is byte[] { Length: ObjectId.Size } target && r.GetValue(0) is string name)
                {
                    refs.Add(new(name, new ObjectId(target)));
                }
            });
            TryRead(connection, "SELECT value FROM meta WHERE key = 'HEAD'", r => head = r.GetValue(0) as string);
            TryRead(connection, "SELECT key, value FROM config", r =>
            {
                if (r.GetValue(0) is string key && r.GetValue(1) is string value)
                {
                    config.Add(new(key, value));
                }
            });
        }
        catch (SqliteException)
        {
            // Not even the header is readable: nothing to salvage.
        }

        return (refs, head, config);

        static void TryRead(SqliteConnection connection, string sql, Action<SqliteDataReader> row)
        {
            try
            {
                using var cmd = connection.CreateCommand();
                cmd.CommandText = sql;
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    row(r);
                }
            }
            catch (SqliteException)
            {
            }
        }
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
