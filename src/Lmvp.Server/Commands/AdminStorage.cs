using Lmvp.Server.Hosting;
using Lmvp.Server.Storage;
using Lmvp.Server.Storage.Postgres;
using Lmvp.Server.Storage.Sql;
using Lmvp.Server.Storage.Sqlite;

namespace Lmvp.Server.Commands;

/// <summary>Storage opened by an admin command: just the metadata, or everything a server opens.</summary>
internal static class AdminStorage
{
    /// <summary>The metadata database of <paramref name="settings"/>, migrated.</summary>
    public static async Task<OpenedMetadata> OpenMetadataAsync(StorageSettings settings, CancellationToken cancellationToken)
    {
        SqlDatabase database;
        if (settings.Database is { } connection)
        {
            database = await PostgresDatabase.OpenAsync(connection, TimeProvider.System, cancellationToken);
        }
        else
        {
            var paths = new ServerPaths(settings.DataDirectory!);
            paths.Create();
            database = await SqliteDatabase.OpenAsync(paths.DataDirectory, TimeProvider.System, cancellationToken);
        }

        return new OpenedMetadata(database, SqlStores.Create(database));
    }

    /// <summary>Everything <paramref name="settings"/> names, as a server opens it (metadata, blobs, chunk store).</summary>
    public static async Task<ServerStorage> OpenAllAsync(StorageSettings settings, CancellationToken cancellationToken)
    {
        var paths = ServerPaths.For(settings);
        paths.Create();
        return await ServerStorage.OpenAsync(settings, paths, TimeProvider.System, null, cancellationToken);
    }

    /// <summary>An opened metadata database; disposing closes its pool.</summary>
    internal sealed record OpenedMetadata(SqlDatabase Database, MetadataStores Metadata) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Database is IAsyncDisposable d ? d.DisposeAsync() : ValueTask.CompletedTask;
    }
}
