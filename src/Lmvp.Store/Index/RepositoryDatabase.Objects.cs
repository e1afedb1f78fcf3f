using Lmvp.Store.Packs;
using Microsoft.Data.Sqlite;

namespace Lmvp.Store.Index;

internal sealed partial class RepositoryDatabase
{
    // ---- objects ----

    public void PutObject(ObjectId id, ObjectKind kind, byte[] data) =>
        NonQuery("INSERT OR IGNORE INTO objects(id, kind, data) VALUES($id, $k, $d)", ("$id", id.ToArray()), ("$k", (int)kind), ("$d", data));

    public bool TryGetObject(ObjectId id, out ObjectKind kind, out byte[] data)
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

        kind = (ObjectKind)r.GetInt32(0);
        data = (byte[])r[1];
        return true;
    }

    public bool HasObject(ObjectId id) => TryGetObject(id, out _, out _);

    /// <summary>Reads the object of one kind under <paramref name="id"/>.</summary>
    /// <remarks>Objects are keyed by (id, kind): a file whose content happens to be an encoded tree or commit shares
    /// that object's id, and its manifest must not be mistaken for (or shadowed by) the other object.</remarks>
    public bool TryGetObject(ObjectId id, ObjectKind kind, out byte[] data)
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

    public bool HasObject(ObjectId id, ObjectKind kind) => TryGetObject(id, kind, out _);

    public IEnumerable<(ObjectId Id, ObjectKind Kind, byte[] Data)> ListObjects()
    {
        using var cmd = Command("SELECT id, kind, data FROM objects");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (new ObjectId((byte[])r[0]), (ObjectKind)r.GetInt32(1), (byte[])r[2]);
        }
    }

    /// <summary>Forgets an object (and, for a file, any remote's promise of its chunks).</summary>
    public void DeleteObject(ObjectId id)
    {
        NonQuery("DELETE FROM objects WHERE id = $id", ("$id", id.ToArray()));
        NonQuery("DELETE FROM promised_files WHERE file_id = $id", ("$id", id.ToArray()));
    }

    /// <summary>Ids of objects of <paramref name="kind"/> whose hex form starts with <paramref name="hexPrefix"/> (at most <paramref name="limit"/>).</summary>
    public IReadOnlyList<ObjectId> FindByPrefix(string hexPrefix, ObjectKind kind, int limit)
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
            InsertStatCache(entries);
        });
    }

    /// <summary>Adds <paramref name="entries"/> to the stat cache, replacing those of the same paths.</summary>
    public void PutStatCache(IEnumerable<KeyValuePair<string, StatCacheEntry>> entries) => InTransaction(() => InsertStatCache(entries));

    private void InsertStatCache(IEnumerable<KeyValuePair<string, StatCacheEntry>> entries)
    {
        using var cmd = Command("INSERT OR REPLACE INTO stat_cache(path, size, mtime_ns, ctime_ns, inode, file_id) VALUES($p, $s, $m, $c, $i, $f)");
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
    }
}
