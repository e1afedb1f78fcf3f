using Lmvp.Store.Packs;
using Microsoft.Data.Sqlite;

namespace Lmvp.Store.Index;

internal sealed partial class RepositoryDatabase
{
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

        location = new ChunkLocation(r.GetInt64(0), r.GetInt64(1), r.GetInt32(2), r.GetInt32(3), (ChunkEncoding)r.GetInt32(4));
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
                if (e.Kind != ObjectKind.Chunk)
                {
                    continue;
                }

                pId.Value = e.Id.ToArray();
                pO.Value = e.Offset;
                pS.Value = e.StoredLength;
                pR.Value = e.RawLength;
                pC.Value = (int)e.Encoding;
                cmd.ExecuteNonQuery();
            }
        });
    }

    /// <summary>Moves a chunk's location (gc rewrites packs).</summary>
    public void UpdateChunkLocation(ObjectId id, long packId, PackEntry entry) =>
        NonQuery("UPDATE chunks SET pack_id = $p, offset = $o, stored_length = $s, raw_length = $r, compression = $c WHERE id = $id",
            ("$id", id.ToArray()), ("$p", packId), ("$o", entry.Offset), ("$s", entry.StoredLength), ("$r", entry.RawLength), ("$c", (int)entry.Encoding));

    public void DeleteChunk(ObjectId id) => NonQuery("DELETE FROM chunks WHERE id = $id", ("$id", id.ToArray()));

    public IEnumerable<(ObjectId Id, ChunkLocation Location)> ListChunks()
    {
        using var cmd = Command("SELECT id, pack_id, offset, stored_length, raw_length, compression FROM chunks ORDER BY pack_id, offset");
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            yield return (new ObjectId((byte[])r[0]), new ChunkLocation(r.GetInt64(1), r.GetInt64(2), r.GetInt32(3), r.GetInt32(4), (ChunkEncoding)r.GetInt32(5)));
        }
    }

    public (long Count, long RawBytes, long StoredBytes) ChunkTotals()
    {
        using var cmd = Command("SELECT count(*), coalesce(sum(raw_length), 0), coalesce(sum(stored_length), 0) FROM chunks");
        using var r = cmd.ExecuteReader();
        r.Read();
        return (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2));
    }
}
