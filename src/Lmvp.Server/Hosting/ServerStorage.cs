using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Server.Storage.FileSystem;
using Lmvp.Server.Storage.Sql;
using Lmvp.Server.Storage.Sqlite;

namespace Lmvp.Server.Hosting;

/// <summary>Everything a server keeps, opened together: the metadata aggregates over one database, the blob store, and
/// the chunk store above them.</summary>
/// <param name="Database">The metadata database.</param>
/// <param name="Metadata">The metadata aggregates.</param>
/// <param name="Blobs">Where pack bytes are.</param>
/// <param name="Chunks">Chunks over the blobs and the chunk index.</param>
internal sealed record ServerStorage(SqlDatabase Database, MetadataStores Metadata, IBlobStore Blobs, ChunkStore Chunks) : IDisposable
{
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
