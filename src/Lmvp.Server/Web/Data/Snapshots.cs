using Lmvp.Store;
using Lmvp.Store.Chunking;

namespace Lmvp.Server.Web.Data;

/// <summary>How one file differs between two commits.</summary>
/// <param name="Path">Slash-separated path.</param>
/// <param name="Old">The entry before, or null when added.</param>
/// <param name="New">The entry after, or null when removed.</param>
/// <param name="BytesDiffering">Bytes in chunks of the new file that the old file does not have (the whole size when added).</param>
internal sealed record FileChange(string Path, TreeEntry? Old, TreeEntry? New, long BytesDiffering)
{
    public long SizeDelta => (New?.Size ?? 0) - (Old?.Size ?? 0);
}

/// <summary>A metric on either side of a comparison; null where a side lacks it.</summary>
internal sealed record MetricChange(string Name, double? Old, double? New)
{
    public double? Delta => Old is { } o && New is { } n ? n - o : null;
}

/// <summary>Storage arithmetic over snapshots: what a commit added, and how two commits differ chunk by chunk.</summary>
/// <remarks>The same definitions as <c>lmvp diff</c> in Lmvp.Store, computed from the server's objects.</remarks>
internal static class Snapshots
{
    /// <summary>Bytes of the distinct chunks in <paramref name="commit"/>'s files that no file of any parent holds:
    /// what storing this commit cost on top of its parents.</summary>
    public static async Task<long> AddedBytesAsync(RepositoryView repository, Commit commit)
    {
        var files = await repository.FlattenAsync(commit.TreeId);
        var parentFiles = new List<Dictionary<string, TreeEntry>>();
        foreach (var p in commit.Parents)
        {
            if (await repository.TryGetCommitAsync(p) is { } parent)
            {
                parentFiles.Add(await repository.FlattenAsync(parent.TreeId));
            }
        }

        var parentFileIds = parentFiles.SelectMany(f => f.Values).Where(e => e.Kind == TreeEntryKind.File).Select(e => e.Id).ToHashSet();
        var changed = files.Values.Where(e => e.Kind == TreeEntryKind.File && !parentFileIds.Contains(e.Id)).Select(e => e.Id).Distinct().ToList();
        if (changed.Count == 0)
        {
            return 0;
        }

        // Only files the parents lack can bring new chunks; their chunks are checked against every chunk the parents hold.
        var parentChunks = new HashSet<ObjectId>();
        foreach (var fileId in parentFileIds)
        {
            foreach (var c in (await repository.GetManifestAsync(fileId)).Chunks)
            {
                parentChunks.Add(c.Id);
            }
        }

        var counted = new HashSet<ObjectId>();
        long added = 0;
        foreach (var fileId in changed)
        {
            foreach (var c in (await repository.GetManifestAsync(fileId)).Chunks)
            {
                if (!parentChunks.Contains(c.Id) && counted.Add(c.Id))
                {
                    added += c.Length;
                }
            }
        }

        return added;
    }

    /// <summary>Files added, removed and changed from <paramref name="from"/> to <paramref name="to"/>, by path.</summary>
    public static async Task<IReadOnlyList<FileChange>> CompareFilesAsync(RepositoryView repository, Commit from, Commit to)
    {
        var before = await repository.FlattenAsync(from.TreeId);
        var after = await repository.FlattenAsync(to.TreeId);
        var changes = new List<FileChange>();
        foreach (var (path, entry) in after)
        {
            if (!before.TryGetValue(path, out var old))
            {
                changes.Add(new FileChange(path, null, entry, entry.Size));
            }
            else if (!Repository.SameContent(old, entry))
            {
                changes.Add(new FileChange(path, old, entry, await DifferingBytesAsync(repository, old, entry)));
            }
        }

        foreach (var (path, entry) in before)
        {
            if (!after.ContainsKey(path))
            {
                changes.Add(new FileChange(path, entry, null, entry.Size));
            }
        }

        changes.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return changes;
    }

    /// <summary>Every metric of either commit, by name.</summary>
    public static IReadOnlyList<MetricChange> CompareMetrics(Commit from, Commit to)
    {
        var old = from.Metrics.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        var now = to.Metrics.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        return [.. old.Keys.Union(now.Keys).Order(StringComparer.Ordinal)
            .Select(name => new MetricChange(name, old.TryGetValue(name, out var o) ? o : null, now.TryGetValue(name, out var n) ? n : null))];
    }

    private static async Task<long> DifferingBytesAsync(RepositoryView repository, TreeEntry old, TreeEntry entry)
    {
        if (old.Id == entry.Id)
        {
            return 0;
        }

        if (old.Kind != TreeEntryKind.File || entry.Kind != TreeEntryKind.File)
        {
            return entry.Size;
        }

        return ChunkRef.BytesNotIn((await repository.GetManifestAsync(entry.Id)).Chunks, (await repository.GetManifestAsync(old.Id)).Chunks);
    }
}
