using System.Runtime.CompilerServices;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Graph;
using Lmvp.Store.Refs;

namespace Lmvp.Server.Services;

/// <summary>One repository as Lmvp.Store's graph algorithms see it on the server: its objects (verified, decoded once and
/// cached), its chunks, its refs and HEAD (the default branch).</summary>
internal sealed class RepositoryGraph(RepositoryRecord repository, IObjectStore objects, IRefStore refs, ChunkStore chunkStore, ObjectCache cache)
    : IObjectSource, IChunkSource, IRefSource
{
    /// <summary>The repository.</summary>
    public RepositoryRecord Repository { get; } = repository;

    public long Id => Repository.Id;

    public ValueTask<Commit?> FindCommitAsync(ObjectId id, CancellationToken cancellationToken) =>
        FindAsync(id, ObjectKind.Commit, CacheKind.Commit, data => Commit.Decode(data, id), 3, cancellationToken);

    public ValueTask<Tree?> FindTreeAsync(ObjectId id, CancellationToken cancellationToken) =>
        FindAsync(id, ObjectKind.Tree, CacheKind.Tree, data => Tree.Decode(data, id), 3, cancellationToken);

    public ValueTask<FileManifest?> FindManifestAsync(ObjectId fileId, CancellationToken cancellationToken) =>
        FindAsync(fileId, ObjectKind.Manifest, CacheKind.Manifest, data => FileManifest.Decode(data, fileId), 2, cancellationToken);

    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadChunksAsync(IReadOnlyList<ChunkRef> chunks, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var chunk in chunkStore.ReadManyAsync(Id, [.. chunks.Select(c => c.Id)], cancellationToken).ConfigureAwait(false))
        {
            yield return chunk.Data;
        }
    }

    public async ValueTask<ObjectId?> GetRefAsync(string fullName, CancellationToken cancellationToken) =>
        await refs.GetRefAsync(Id, fullName, cancellationToken).ConfigureAwait(false);

    public async ValueTask<ObjectId?> GetHeadAsync(CancellationToken cancellationToken) =>
        await refs.GetRefAsync(Id, RefName.HeadsPrefix + Repository.DefaultBranch, cancellationToken).ConfigureAwait(false);

    public async ValueTask<IReadOnlyList<ObjectId>> FindCommitsByPrefixAsync(string hexPrefix, int limit, CancellationToken cancellationToken) =>
        await objects.FindCommitsByPrefixAsync(Id, hexPrefix, limit, cancellationToken).ConfigureAwait(false);

    /// <summary>The stored bytes of an object, as the wire carries them.</summary>
    public async Task<MetadataObject?> GetStoredAsync(ObjectId id, CancellationToken cancellationToken) =>
        await objects.GetObjectAsync(Id, id, cancellationToken).ConfigureAwait(false);

    private async ValueTask<T?> FindAsync<T>(ObjectId id, ObjectKind kind, CacheKind cacheKind, Func<byte[], T> decode, int sizeFactor, CancellationToken cancellationToken)
        where T : class
    {
        var key = new CacheKey(cacheKind, Id, id);
        if (cache.TryGet<T>(key, out var cached))
        {
            return cached;
        }

        var stored = await objects.GetObjectAsync(Id, id, cancellationToken).ConfigureAwait(false);
        if (stored is not { } o || o.Kind != kind)
        {
            return null;
        }

        var data = o.Data.ToArray();
        return cache.Set(key, decode(data), (data.Length * (long)sizeFactor) + 256);
    }
}

/// <summary>Opens <see cref="RepositoryGraph"/>s over the server's stores.</summary>
internal sealed class RepositoryGraphs(IObjectStore objects, IRefStore refs, ChunkStore chunks, ObjectCache cache)
{
    public RepositoryGraph For(RepositoryRecord repository) => new(repository, objects, refs, chunks, cache);
}
