using Microsoft.Extensions.Caching.Memory;

namespace Lmvp.Server.Services;

/// <summary>Decoded commits, trees and manifests, and derived results (histories, tree sizes), shared by all web requests.</summary>
/// <remarks>
/// Everything cached is a function of content-addressed, immutable objects, so entries never go stale; they are only
/// evicted for space. Keys include the repository id: a repository sees only objects it holds itself, even though equal
/// ids in two repositories decode to equal values.
/// </remarks>
internal sealed class ObjectCache : IDisposable
{
    /// <summary>The rough byte budget of the cache.</summary>
    public const long SizeLimit = 256L * 1024 * 1024;

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = SizeLimit, CompactionPercentage = 0.25 });

    public bool TryGet<T>(CacheKey key, out T value)
        where T : class
    {
        if (_cache.TryGetValue(key, out var found) && found is T typed)
        {
            value = typed;
            return true;
        }

        value = null!;
        return false;
    }

    /// <summary>True when <paramref name="key"/> is cached.</summary>
    public bool Contains(CacheKey key) => _cache.TryGetValue(key, out _);

    /// <summary>Keeps <paramref name="value"/>, counting about <paramref name="bytes"/> against the budget.</summary>
    public T Set<T>(CacheKey key, T value, long bytes)
        where T : class
    {
        using (var entry = _cache.CreateEntry(key))
        {
            entry.Value = value;
            entry.Size = Math.Max(64, bytes);
        }

        return value;
    }

    public void Dispose() => _cache.Dispose();
}

/// <summary>What a cache entry is: a kind of value, its repository, and the id it derives from.</summary>
internal readonly record struct CacheKey(CacheKind Kind, long RepositoryId, Lmvp.Store.ObjectId Id);

/// <summary>The kinds of cached values.</summary>
internal enum CacheKind : byte
{
    Commit,
    Tree,
    Manifest,
    History,
    TreeSize,
    ModelCard,
    MetricDirections,
    TensorLayout,
}
