using Lmvp.Store;
using Lmvp.Store.Formats;
using Lmvp.Store.Graph;

namespace Lmvp.Server.Services;

/// <summary>Tensor views of a repository's model files for the API and the web pages, with each file's layout read once (through
/// the few chunks holding its header) and cached: a layout is a function of the file's content and its name's extension.</summary>
internal sealed class RepositoryTensors(ObjectCache cache)
{
    /// <summary>The layout of a stored file, or null when it is not a model file lmvp reads.</summary>
    public async Task<TensorLayout?> LayoutAsync(RepositoryGraph graph, ObjectId fileId, string path, CancellationToken cancellationToken)
    {
        var key = new CacheKey(CacheKind.TensorLayout, graph.Id, KeyFor(fileId, path));
        if (cache.TryGet<Box>(key, out var cached))
        {
            return cached.Layout;
        }

        var layout = await TensorDiffer.ReadLayoutAsync(graph, graph, fileId, path, cancellationToken);
        cache.Set(key, new Box(layout), 256 + ((layout?.Tensors.Count ?? 0) * 160L));
        return layout;
    }

    /// <summary>The tensor comparison of every changed file that is a model file in either version.</summary>
    public async Task<IReadOnlyList<FileTensorDiff>> CompareAsync(RepositoryGraph graph, IEnumerable<FileDiff> files, CancellationToken cancellationToken)
    {
        var result = new List<FileTensorDiff>();
        foreach (var file in files)
        {
            var (oldLayout, oldChunks) = await SideAsync(graph, file.Old, file.Path, cancellationToken);
            var (newLayout, newChunks) = await SideAsync(graph, file.New, file.Path, cancellationToken);
            if (TensorDiffer.Compare(file.Path, oldLayout, oldChunks, newLayout, newChunks) is { } diff)
            {
                result.Add(diff);
            }
        }

        return result;
    }

    private async Task<(TensorLayout?, IReadOnlyList<ChunkRef>?)> SideAsync(RepositoryGraph graph, TreeEntry? entry, string path, CancellationToken cancellationToken)
    {
        if (entry is null || entry.Kind != TreeEntryKind.File)
        {
            return (null, null);
        }

        var manifest = await graph.FindManifestAsync(entry.Id, cancellationToken) ?? throw new ObjectNotFoundException($"File {entry.Id.ToShortString()} not found.");
        return (await LayoutAsync(graph, entry.Id, path, cancellationToken), manifest.Chunks);
    }

    /// <summary>Only ONNX is recognized by name, so the key is the file id, set apart for .onnx names.</summary>
    private static ObjectId KeyFor(ObjectId fileId, string path)
    {
        if (!path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
        {
            return fileId;
        }

        Span<byte> bytes = stackalloc byte[ObjectId.Size + 4];
        fileId.CopyTo(bytes);
        "onnx"u8.CopyTo(bytes[ObjectId.Size..]);
        return ObjectId.Compute(bytes);
    }

    private sealed record Box(TensorLayout? Layout);
}
