using Lmvp.Store.Packs;
using Microsoft.Data.Sqlite;

namespace Lmvp.Store.Index;

internal sealed partial class RepositoryDatabase
{
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
            yield return (new ObjectId((byte[])r[0]), new ChunkLocation(r.GetInt64(1), r.GetInt64(2), r.GetInt32(3), r.GetInt32(4), (ChunkEncoding)r.GetInt32(5)));
        }
    }

    /// <summary>Chunk rows naming a pack the packs table does not list.</summary>
    public IEnumerable<(ObjectId Id, ChunkLocation Location)> ListChunksWithoutPack()
    {
        using var cmd = Command("SELECT id, pack_id, offset, stored_length, raw_length, compression FROM chunks WHERE pack_id NOT IN (SELECT pack_id FROM packs)");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (new ObjectId((byte[])r[0]), new ChunkLocation(r.GetInt64(1), r.GetInt64(2), r.GetInt32(3), r.GetInt32(4), (ChunkEncoding)r.GetInt32(5)));
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

    public IEnumerable<(ObjectId Id, ObjectKind Kind)> ListObjectSummaries()
    {
        using var cmd = Command("SELECT id, kind FROM objects");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (new ObjectId((byte[])r[0]), (ObjectKind)r.GetInt32(1));
        }
    }

    public IEnumerable<(ObjectId Id, byte[] Data)> ListObjectsOfKind(ObjectKind kind)
    {
        using var cmd = Command("SELECT id, data FROM objects WHERE kind = $k", ("$k", (int)kind));
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (new ObjectId((byte[])r[0]), (byte[])r[1]);
        }
    }

    /// <summary>Overwrites an object (an index rebuild replacing a corrupt copy with a verified one).</summary>
    public void ReplaceObject(ObjectId id, ObjectKind kind, byte[] data) =>
        NonQuery("INSERT INTO objects(id, kind, data) VALUES($id, $k, $d) ON CONFLICT(id, kind) DO UPDATE SET data = $d", ("$id", id.ToArray()), ("$k", (int)kind), ("$d", data));

    /// <summary>Forgets every pack and chunk location (an index rebuild re-inserts them from the packs).</summary>
    public void ClearPacksAndChunks()
    {
        NonQuery("DELETE FROM chunks");
        NonQuery("DELETE FROM packs");
    }

    /// <summary>Reads what it can of refs, HEAD, config and the promised files from a damaged index file, without writing to it.</summary>
    /// <remarks>Best effort: each table is read on its own, and a table that cannot be read is skipped.</remarks>
    public static SalvagedIndex TrySalvage(string path)
    {
        var refs = new List<KeyValuePair<string, ObjectId>>();
        var config = new List<KeyValuePair<string, string>>();
        var promised = new List<KeyValuePair<ObjectId, string>>();
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
            TryRead(connection, "SELECT file_id, remote FROM promised_files", r =>
            {
                if (r.GetValue(0) is byte[] { Length: ObjectId.Size } file && r.GetValue(1) is string remote)
                {
                    promised.Add(new(new ObjectId(file), remote));
                }
            });
        }
        catch (SqliteException)
        {
            // Not even the header is readable: nothing to salvage.
        }

        return new SalvagedIndex(refs, head, config, promised);

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
}

/// <summary>What could be read back from a damaged index: refs, HEAD, config, and which remote promises each file's chunks.</summary>
internal sealed record SalvagedIndex(
    IReadOnlyList<KeyValuePair<string, ObjectId>> Refs,
    string? Head,
    IReadOnlyList<KeyValuePair<string, string>> Config,
    IReadOnlyList<KeyValuePair<ObjectId, string>> Promised)
{
    /// <summary>Nothing salvaged: the index was missing or not even its header could be read.</summary>
    public static readonly SalvagedIndex Empty = new([], null, [], []);
}
