using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Server.Storage.FileSystem;
using Lmvp.Server.Storage.Sql;
using Lmvp.Server.Storage.Sqlite;

namespace Lmvp.Server.Hosting;

/// <summary>Everything a server keeps, opened together: the metadata aggregates over one database, the blob store, and
/// the chunk store above them.</summary>
internal sealed class ServerStorage : IDisposable
{
    private ServerStorage(SqlDatabase database, MetadataStores metadata, IBlobStore blobs, ChunkStore chunks)
    {
        Database = database;
        Metadata = metadata;
        Blobs = blobs;
        Chunks = chunks;
    }

    /// <summary>The metadata database.</summary>
    public SqlDatabase Database { get; }

    /// <summary>The metadata aggregates.</summary>
    public MetadataStores Metadata { get; }

    /// <summary>Where pack bytes are.</summary>
    public IBlobStore Blobs { get; }

    /// <summary>Chunks over the blobs and the chunk index.</summary>
    public ChunkStore Chunks { get; }

    /// <summary>Opens (creating if needed) the embedded storage of a data directory: SQLite for metadata, files for packs.</summary>
    /// <param name="paths">The data directory's layout.</param>
    /// <param name="time">The clock rows are stamped with.</param>
    /// <param name="decorateBlobs">Wraps the blob store (tests inject faults here).</param>
    /// <param name="cancellationToken">Stops opening.</param>
    public static async Task<ServerStorage> OpenAsync(ServerPaths paths, TimeProvider time, Func<IBlobStore, IBlobStore>? decorateBlobs = null,
        CancellationToken cancellationToken = default)
    {
        var database = await SqliteDatabase.OpenAsync(paths.DataDirectory, time, cancellationToken).ConfigureAwait(false);
        IBlobStore blobs = new FileSystemBlobStore(paths.DataDirectory);
        blobs = decorateBlobs?.Invoke(blobs) ?? blobs;
        var metadata = database.Stores();
        return new ServerStorage(database, metadata, blobs, new ChunkStore(blobs, metadata.Chunks, paths.Temp));
    }

    public void Dispose() => (Blobs as IDisposable)?.Dispose();
}
