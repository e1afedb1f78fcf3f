using Lmvp.Store.Sync;

namespace Lmvp.Store;

public sealed partial class Repository
{
    private PromisedChunks? _promised;

    /// <summary>How checkout, restore and <see cref="OpenFile"/> reach the remote that promises chunks a partial clone or fetch
    /// left there (credentials, timeouts); null uses the saved credentials.</summary>
    public SyncOptions? RemoteOptions { get; set; }

    internal PromisedChunks Promised => _promised ??= new PromisedChunks(this);

    /// <summary>Downloads the missing chunks of <paramref name="manifests"/> from <paramref name="url"/>, verified, into the packs.</summary>
    internal async Task DownloadPromisedAsync(string url, IReadOnlyList<FileManifest> manifests, CancellationToken cancellationToken)
    {
        var options = RemoteOptions ?? new SyncOptions();
        options.Validate();
        using var maintenance = Maintenance.MaintenanceLock.AcquireShared(RepositoryDirectory, "fetch");
        using var connection = Connect(RemoteUrl.Parse(url), options);
        await new ChunkDownloader(this, connection, options, RequestBytes(options)).DownloadAsync(manifests, cancellationToken).ConfigureAwait(false);
    }
}
