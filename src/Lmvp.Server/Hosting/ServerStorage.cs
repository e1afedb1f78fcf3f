using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Server.Storage.FileSystem;
using Lmvp.Server.Storage.Postgres;
using Lmvp.Server.Storage.S3;
using Lmvp.Server.Storage.Sql;
using Lmvp.Server.Storage.Sqlite;

namespace Lmvp.Server.Hosting;

/// <summary>Everything a server keeps, opened together: the metadata aggregates over one database, the blob store, and
/// the chunk store above them.</summary>
/// <param name="Database">The metadata database.</param>
/// <param name="Metadata">The metadata aggregates.</param>
/// <param name="Blobs">Where pack bytes are.</param>
/// <param name="Chunks">Chunks over the blobs and the chunk index.</param>
internal sealed record ServerStorage(SqlDatabase Database, MetadataStores Metadata, IBlobStore Blobs, ChunkStore Chunks) : IDisposable, IAsyncDisposable
{
    /// <summary>The keys every server of a shared database uses (null for the embedded database, whose keys are files in the data
    /// directory).</summary>
    public SqlServerKeys? SharedKeys { get; init; }

    /// <summary>Opens (creating if needed) the embedded storage of a data directory: SQLite for metadata, files for packs.</summary>
    /// <param name="paths">The data directory's layout.</param>
    /// <param name="time">The clock rows are stamped with.</param>
    /// <param name="decorateBlobs">Wraps the blob store (tests inject faults here).</param>
    /// <param name="cancellationToken">Stops opening.</param>
    public static Task<ServerStorage> OpenAsync(ServerPaths paths, TimeProvider time, Func<IBlobStore, IBlobStore>? decorateBlobs = null,
        CancellationToken cancellationToken = default) =>
        OpenAsync(new StorageSettings(paths.DataDirectory, null, null), paths, time, decorateBlobs, cancellationToken);

    /// <summary>Opens the storage <paramref name="settings"/> name, migrating the database's schema; <paramref name="paths"/> gives the
    /// spool directory (and the data directory where one is used).</summary>
    public static async Task<ServerStorage> OpenAsync(StorageSettings settings, ServerPaths paths, TimeProvider time,
        Func<IBlobStore, IBlobStore>? decorateBlobs = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(paths);
        SqlDatabase database = settings.Database is { } connection
            ? await PostgresDatabase.OpenAsync(connection, time, cancellationToken).ConfigureAwait(false)
            : await SqliteDatabase.OpenAsync(paths.DataDirectory, time, cancellationToken).ConfigureAwait(false);
        IBlobStore blobs;
        if (settings.Packs is { } bucket)
        {
            var s3 = new S3BlobStore(bucket.Resolve(Environment.GetEnvironmentVariable));
            await s3.CheckAsync(cancellationToken).ConfigureAwait(false);
            blobs = s3;
        }
        else
        {
            blobs = new FileSystemBlobStore(paths.DataDirectory);
        }

        blobs = decorateBlobs?.Invoke(blobs) ?? blobs;
        var metadata = SqlStores.Create(database);
        return new ServerStorage(database, metadata, blobs, new ChunkStore(blobs, metadata.Chunks, paths.Temp))
        {
            SharedKeys = settings.IsShared ? new SqlServerKeys(database) : null,
        };
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        (Blobs as IDisposable)?.Dispose();
        if (Database is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync().ConfigureAwait(false);
        }
    }
}
