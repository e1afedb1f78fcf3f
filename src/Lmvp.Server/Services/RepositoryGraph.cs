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
        FindAsync(id, ObjectKind.Commit, CacheKind.Commit, data => Commit.Decode(data.Span, id), 3, cancellationToken);

    public ValueTask<Tree?> FindTreeAsync(ObjectId id, CancellationToken cancellationToken) =>
        FindAsync(id, ObjectKind.Tree, CacheKind.Tree, data => Tree.Decode(data.Span, id), 3, cancellationToken);

    public ValueTask<FileManifest?> FindManifestAsync(ObjectId fileId, CancellationToken cancellationToken) =>
        FindAsync(fileId, ObjectKind.Manifest, CacheKind.Manifest, data => FileManifest.Decode(data.Span, fileId), 2, cancellationToken);

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

    private async ValueTask<T?> FindAsync<T>(ObjectId id, ObjectKind kind, CacheKind cacheKind, Func<ReadOnlyMemory<byte>, T> decode, int sizeFactor, CancellationToken cancellationToken)
        where T : class
    {
        var key = new CacheKey(cacheKind, Id, id);
        if (cache.TryGet<T>(key, out var cached))
        {
            bool expand;
            lock (_unexpanded)
            {
                expand = _unexpanded.Remove(key);
            }

            if (expand)
            {
                await PrefetchAsync(cached, cancellationToken).ConfigureAwait(false);
            }

            return cached;
        }

        if (Interlocked.Increment(ref _misses) == BulkAfterMisses && kind != ObjectKind.Manifest)
        {
            await LoadAllAsync(cancellationToken).ConfigureAwait(false);
            if (cache.TryGet<T>(key, out var loaded))
            {
                return loaded;
            }
        }

        var stored = await objects.GetObjectAsync(Id, id, cancellationToken).ConfigureAwait(false);
        if (stored is not { } o || o.Kind != kind)
        {
            return null;
        }

        var data = o.Data; // decoded from the bytes as read: a copy was another large-object array per large manifest
        var value = cache.Set(key, decode(data), (data.Length * (long)sizeFactor) + 256);
        await PrefetchAsync(value, cancellationToken).ConfigureAwait(false);
        return value;
    }

    /// <summary>A walk that keeps missing the cache (a clone of a long history, a log of every commit) reads the repository's
    /// commits, trees and manifests in one streamed query each, up to a budget, rather than one round trip per object.</summary>
    private async Task LoadAllAsync(CancellationToken cancellationToken)
    {
        long budget = BulkBudgetBytes;
        foreach (var kind in new[] { ObjectKind.Commit, ObjectKind.Tree, ObjectKind.Manifest })
        {
            await foreach (var o in objects.ListObjectsAsync(Id, kind, cancellationToken).ConfigureAwait(false))
            {
                if ((budget -= o.Data.Length) < 0)
                {
                    return;
                }

                var data = o.Data;
                try
                {
                    _ = kind switch
                    {
                        ObjectKind.Commit => cache.Set<object>(new CacheKey(CacheKind.Commit, Id, o.Id), Commit.Decode(data.Span, o.Id), (data.Length * 3L) + 256),
                        ObjectKind.Tree => cache.Set<object>(new CacheKey(CacheKind.Tree, Id, o.Id), Tree.Decode(data.Span, o.Id), (data.Length * 3L) + 256),
                        _ => cache.Set<object>(new CacheKey(CacheKind.Manifest, Id, o.Id), FileManifest.Decode(data.Span, o.Id), (data.Length * 2L) + 256),
                    };
                }
                catch (CorruptObjectException)
                {
                    // Left for the direct read to report.
                }
            }
        }
    }

    /// <summary>Most walks read next what a commit or tree names: one query fetches those into the cache, so a walk costs a round
    /// trip per commit or directory rather than per object (what makes a networked database as fast as an embedded one).</summary>
    private async ValueTask PrefetchAsync(object decoded, CancellationToken cancellationToken)
    {
        var wanted = new List<(ObjectId Id, CacheKind Kind)>();
        void Want(ObjectId id, CacheKind kind)
        {
            if (wanted.Count < PrefetchLimit && !cache.Contains(new CacheKey(kind, Id, id)))
            {
                wanted.Add((id, kind));
            }
        }

        switch (decoded)
        {
            case Commit commit:
                Want(commit.TreeId, CacheKind.Tree);
                foreach (var parent in commit.Parents)
                {
                    Want(parent, CacheKind.Commit);
                }

                break;
            case Tree tree:
                foreach (var entry in tree.Entries)
                {
                    if (entry.Kind == TreeEntryKind.Directory)
                    {
                        Want(entry.Id, CacheKind.Tree);
                    }
                    else if (entry.Kind == TreeEntryKind.File)
                    {
                        Want(entry.Id, CacheKind.Manifest);
                    }
                }

                break;
        }

        if (wanted.Count == 0)
        {
            return;
        }

        foreach (var o in await objects.GetObjectsAsync(Id, [.. wanted.Select(w => w.Id).Distinct()], cancellationToken).ConfigureAwait(false))
        {
            // Decoded (and so verified) as a direct read would; an object that does not decode is left for that read to report.
            try
            {
                var data = o.Data;
                var key = o.Kind switch
                {
                    ObjectKind.Commit => new CacheKey(CacheKind.Commit, Id, o.Id),
                    ObjectKind.Tree => new CacheKey(CacheKind.Tree, Id, o.Id),
                    _ => new CacheKey(CacheKind.Manifest, Id, o.Id),
                };
                _ = o.Kind switch
                {
                    ObjectKind.Commit => cache.Set<object>(new CacheKey(CacheKind.Commit, Id, o.Id), Commit.Decode(data.Span, o.Id), (data.Length * 3L) + 256),
                    ObjectKind.Tree => cache.Set<object>(new CacheKey(CacheKind.Tree, Id, o.Id), Tree.Decode(data.Span, o.Id), (data.Length * 3L) + 256),
                    ObjectKind.Manifest => cache.Set<object>(new CacheKey(CacheKind.Manifest, Id, o.Id), FileManifest.Decode(data.Span, o.Id), (data.Length * 2L) + 256),
                    _ => null,
                };
                if (o.Kind != ObjectKind.Manifest)
                {
                    lock (_unexpanded)
                    {
                        _unexpanded.Add(key);
                    }
                }
            }
            catch (CorruptObjectException)
            {
            }
        }
    }

    /// <summary>The most objects one prefetch asks for.</summary>
    private const int PrefetchLimit = 256;

    /// <summary>Cache misses of one graph after which its commits and trees are read in bulk.</summary>
    private const int BulkAfterMisses = 64;

    /// <summary>The most bytes of objects a bulk read loads (a fraction of the cache).</summary>
    private const long BulkBudgetBytes = ObjectCache.SizeLimit / 8;

    private int _misses;

    /// <summary>Prefetched commits and trees whose own children were not prefetched yet: done when they are first read.</summary>
    private readonly HashSet<CacheKey> _unexpanded = [];
}

/// <summary>Opens <see cref="RepositoryGraph"/>s over the server's stores.</summary>
internal sealed class RepositoryGraphs(IObjectStore objects, IRefStore refs, ChunkStore chunks, ObjectCache cache)
{
    public RepositoryGraph For(RepositoryRecord repository) => new(repository, objects, refs, chunks, cache);
}
