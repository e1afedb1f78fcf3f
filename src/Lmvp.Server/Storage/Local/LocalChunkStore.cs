using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Lmvp.Server.Storage.Sqlite;
using Lmvp.Store;
using Lmvp.Store.Packs;
using Microsoft.Data.Sqlite;

namespace Lmvp.Server.Storage.Local;

/// <summary>Chunks in pack files on local disk (<c>repos/&lt;id&gt;/packs/</c>), indexed in <c>chunks.db</c> (SQLite, WAL).</summary>
/// <remarks>
/// The packs are the client's pack format (<see cref="PackFormat"/>), so each is self-describing. A batch writes one
/// temporary pack, renames it complete (flushed) and only then inserts its index rows in one transaction; a pack
/// that was renamed but not indexed when the process died is indexed from its trailer at the next start, and
/// temporary packs are deleted then. Index rows are never removed, so a chunk once present stays present.
/// </remarks>
internal sealed class LocalChunkStore : IChunkStore, IDisposable
{
    /// <summary>The index's file name inside the data directory.</summary>
    public const string FileName = "chunks.db";

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS packs(
            pack_id INTEGER PRIMARY KEY,
            repo_id INTEGER NOT NULL,
            name TEXT NOT NULL,
            size INTEGER NOT NULL,
            UNIQUE(repo_id, name));
        CREATE TABLE IF NOT EXISTS chunks(
            repo_id INTEGER NOT NULL,
            id BLOB NOT NULL,
            pack_id INTEGER NOT NULL,
            offset INTEGER NOT NULL,
            stored_length INTEGER NOT NULL,
            raw_length INTEGER NOT NULL,
            compression INTEGER NOT NULL,
            PRIMARY KEY(repo_id, id)) WITHOUT ROWID;
        """;

    private const string HasChunkSql = "SELECT 1 FROM chunks WHERE repo_id = $r AND id = $id";

    private readonly string _dataDirectory;
    private readonly string _connectionString;
    private readonly ConcurrentDictionary<long, Lazy<PackReader>> _readers = new();

    private LocalChunkStore(string dataDirectory, string connectionString)
    {
        _dataDirectory = dataDirectory;
        _connectionString = connectionString;
    }

    /// <summary>Opens (creating if needed) the chunk store of <paramref name="dataDirectory"/> and repairs what a crash left.</summary>
    public static LocalChunkStore Open(string dataDirectory)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDirectory, FileName),
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        using (var connection = new SqliteConnection(connectionString))
        {
            connection.Open();
            SqliteMetadataStore.Execute(connection, "PRAGMA journal_mode=WAL;");
            SqliteMetadataStore.Execute(connection, Schema);
        }

        var store = new LocalChunkStore(dataDirectory, connectionString);
        store.Recover();
        return store;
    }

    /// <summary>The directory holding a repository's packs.</summary>
    public string PackDirectory(long repositoryId) =>
        Path.Combine(_dataDirectory, "repos", repositoryId.ToString(System.Globalization.CultureInfo.InvariantCulture), "packs");

    public async Task<IReadOnlyList<ObjectId>> FindMissingAsync(long repositoryId, IReadOnlyList<ObjectId> ids, CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = c.BeginTransaction(deferred: true);
        return await SqliteMetadataStore.FindMissingAsync(c, tx, HasChunkSql, repositoryId, ids, cancellationToken).ConfigureAwait(false);
    }

    public IChunkBatch BeginBatch(long repositoryId) => new Batch(this, repositoryId);

    public async IAsyncEnumerable<ChunkData> ReadManyAsync(long repositoryId, IReadOnlyList<ObjectId> ids,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = SqliteMetadataStore.Command(c, null,
            "SELECT pack_id, offset, stored_length, raw_length, compression FROM chunks WHERE repo_id = $r AND id = $id", ("$r", repositoryId));
        var pId = cmd.Parameters.Add("$id", SqliteType.Blob);
        byte[]? buffer = null;
        try
        {
            foreach (var id in ids)
            {
                cancellationToken.ThrowIfCancellationRequested();
                pId.Value = id.ToArray();
                long packId;
                PackEntry entry;
                await using (var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        throw new ObjectNotFoundException($"Chunk {id.ToShortString()} not found.");
                    }

                    packId = r.GetInt64(0);
                    entry = new PackEntry(id, EntryKind.Chunk, (Compression)r.GetInt32(4), r.GetInt64(1), r.GetInt32(2), r.GetInt32(3));
                }

                if (buffer is null || buffer.Length < entry.RawLength)
                {
                    if (buffer is not null)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                    }

                    buffer = ArrayPool<byte>.Shared.Rent(Math.Max(entry.RawLength, 256 * 1024));
                }

                var reader = await GetReaderAsync(packId, cancellationToken).ConfigureAwait(false);
                reader.ReadEntry(entry, buffer.AsSpan(0, entry.RawLength));
                yield return new ChunkData(id, buffer.AsMemory(0, entry.RawLength));
            }
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var reader in _readers.Values)
        {
            if (reader.IsValueCreated)
            {
                reader.Value.Dispose();
            }
        }

        _readers.Clear();
    }

    private async Task<PackReader> GetReaderAsync(long packId, CancellationToken cancellationToken)
    {
        if (_readers.TryGetValue(packId, out var cached))
        {
            return cached.Value;
        }

        await using var c = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var cmd = SqliteMetadataStore.Command(c, null, "SELECT repo_id, name FROM packs WHERE pack_id = $p", ("$p", packId));
        await using var r = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await r.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new CorruptObjectException($"The chunk index names pack #{packId}, which it does not list.");
        }

        var path = Path.Combine(PackDirectory(r.GetInt64(0)), r.GetString(1));
        return _readers.GetOrAdd(packId, _ => new Lazy<PackReader>(() => PackReader.Open(path))).Value;
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

    /// <summary>Deletes temporary packs and indexes complete packs the index does not list (a crash between rename and index).</summary>
    private void Recover()
    {
        var reposDirectory = Path.Combine(_dataDirectory, "repos");
        if (!Directory.Exists(reposDirectory))
        {
            return;
        }

        using var c = new SqliteConnection(_connectionString);
        c.Open();
        foreach (var repoDirectory in Directory.EnumerateDirectories(reposDirectory))
        {
            if (!long.TryParse(Path.GetFileName(repoDirectory), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture,
                out var repoId))
            {
                continue;
            }

            var packs = Path.Combine(repoDirectory, "packs");
            if (!Directory.Exists(packs))
            {
                continue;
            }

            foreach (var temp in Directory.EnumerateFiles(packs, PackFormat.TempPrefix + "*" + PackFormat.Extension))
            {
                File.Delete(temp);
            }

            foreach (var path in Directory.EnumerateFiles(packs, "pack-*" + PackFormat.Extension))
            {
                var name = Path.GetFileName(path);
                using (var exists = SqliteMetadataStore.Command(c, null, "SELECT 1 FROM packs WHERE repo_id = $r AND name = $n", ("$r", repoId), ("$n", name)))
                {
                    if (exists.ExecuteScalar() is not null)
                    {
                        continue;
                    }
                }

                IReadOnlyList<PackEntry> entries;
                using (var reader = PackReader.Open(path))
                {
                    entries = reader.ReadTrailer();
                }

                using var tx = c.BeginTransaction();
                IndexPack(c, tx, repoId, name, new FileInfo(path).Length, entries);
                tx.Commit();
            }
        }
    }

    private static void IndexPack(SqliteConnection c, SqliteTransaction tx, long repositoryId, string name, long size, IReadOnlyList<PackEntry> entries)
    {
        long packId;
        using (var add = SqliteMetadataStore.Command(c, tx,
            "INSERT INTO packs(repo_id, name, size) VALUES($r, $n, $s) ON CONFLICT(repo_id, name) DO UPDATE SET size = $s RETURNING pack_id",
            ("$r", repositoryId), ("$n", name), ("$s", size)))
        {
            packId = (long)add.ExecuteScalar()!;
        }

        using var cmd = SqliteMetadataStore.Command(c, tx,
            "INSERT OR IGNORE INTO chunks(repo_id, id, pack_id, offset, stored_length, raw_length, compression) VALUES($r, $id, $p, $o, $s, $raw, $c)",
            ("$r", repositoryId), ("$p", packId));
        var pId = cmd.Parameters.Add("$id", SqliteType.Blob);
        var pO = cmd.Parameters.Add("$o", SqliteType.Integer);
        var pS = cmd.Parameters.Add("$s", SqliteType.Integer);
        var pRaw = cmd.Parameters.Add("$raw", SqliteType.Integer);
        var pC = cmd.Parameters.Add("$c", SqliteType.Integer);
        foreach (var e in entries)
        {
            if (e.Kind != EntryKind.Chunk)
            {
                continue;
            }

            pId.Value = e.Id.ToArray();
            pO.Value = e.Offset;
            pS.Value = e.StoredLength;
            pRaw.Value = e.RawLength;
            pC.Value = (int)e.Compression;
            cmd.ExecuteNonQuery();
        }
    }

    /// <summary>One upload's chunks: a temporary pack published and indexed on commit.</summary>
    private sealed class Batch : IChunkBatch
    {
        // Trial-compress every 16th new chunk and compress the ones after it only when the trial saved 10%:
        // float weights are incompressible and cost one trial in sixteen.
        private const int SampleEvery = 16;

        private readonly LocalChunkStore _store;
        private readonly long _repositoryId;
        private readonly HashSet<ObjectId> _added = [];
        private SqliteConnection? _connection;
        private SqliteCommand? _has;
        private PackWriter? _pack;
        private int _sample;
        private bool _compressing;
        private bool _committed;

        public Batch(LocalChunkStore store, long repositoryId)
        {
            _store = store;
            _repositoryId = repositoryId;
        }

        public async Task<bool> AddAsync(ObjectId id, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_committed, this);
            if (_added.Contains(id))
            {
                return false;
            }

            if (_has is null)
            {
                _connection = await _store.OpenAsync(cancellationToken).ConfigureAwait(false);
                _has = SqliteMetadataStore.Command(_connection, null, HasChunkSql, ("$r", _repositoryId));
                _has.Parameters.Add("$id", SqliteType.Blob);
            }

            _has.Parameters[1].Value = id.ToArray();
            if (await _has.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null)
            {
                return false;
            }

            if (_pack is null)
            {
                var directory = _store.PackDirectory(_repositoryId);
                Directory.CreateDirectory(directory);
                _pack = new PackWriter(directory);
            }

            // The same cheap decision as a client's commit (ObjectWriter): an 8 KiB trial every 16th chunk.
            if (_sample++ % SampleEvery == 0)
            {
                _compressing = _pack.CompressionPays(data.Span);
            }

            _pack.Append(EntryKind.Chunk, id, data.Span, tryCompress: _compressing);

            _added.Add(id);
            return true;
        }

        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            ObjectDisposedException.ThrowIf(_committed, this);
            _committed = true;
            if (_pack is null)
            {
                return;
            }

            var entries = _pack.Entries;
            var name = _pack.Finish();
            var size = new FileInfo(Path.Combine(_store.PackDirectory(_repositoryId), name)).Length;

            // The pack is published: index it even if the request is being cancelled, so the two stay in step.
            await using var c = await _store.OpenAsync(CancellationToken.None).ConfigureAwait(false);
            await using var tx = c.BeginTransaction();
            IndexPack(c, tx, _repositoryId, name, size, entries);
            await tx.CommitAsync(CancellationToken.None).ConfigureAwait(false);
        }

        public async ValueTask DisposeAsync()
        {
            _pack?.Dispose();
            _pack = null;
            if (_has is not null)
            {
                await _has.DisposeAsync().ConfigureAwait(false);
            }

            if (_connection is not null)
            {
                await _connection.DisposeAsync().ConfigureAwait(false);
            }

            _committed = true;
        }
    }
}
