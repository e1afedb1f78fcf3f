using Lmvp.Store.Chunking;
using Lmvp.Store.Index;
using Lmvp.Store.WorkingTree;

namespace Lmvp.Store;

/// <summary>How one file differs between two snapshots.</summary>
/// <param name="Path">Slash-separated path.</param>
/// <param name="Change">Added, modified or deleted.</param>
/// <param name="OldSize">Size before (0 when added).</param>
/// <param name="NewSize">Size after (0 when deleted).</param>
/// <param name="BytesDiffering">Bytes in chunks of the new file that the old file does not have (whole size when added or deleted).</param>
public sealed record FileDiff(string Path, FileChangeKind Change, long OldSize, long NewSize, long BytesDiffering);

/// <summary>How one metric differs; null where a side lacks it.</summary>
public sealed record MetricDelta(string Name, double? Old, double? New)
{
    /// <summary>New minus old, when both exist.</summary>
    public double? Delta => Old is { } o && New is { } n ? n - o : null;
}

/// <summary>The difference between two snapshots.</summary>
public sealed record SnapshotDiff(IReadOnlyList<FileDiff> Files, IReadOnlyList<MetricDelta> Metrics);

public sealed partial class Repository
{
    /// <summary>Compares two commits, or a commit with the working tree when <paramref name="toRevision"/> is null.</summary>
    public SnapshotDiff Diff(string fromRevision, string? toRevision, CancellationToken cancellationToken = default)
    {
        var fromId = ResolveCommit(fromRevision);
        var from = FlattenCommit(fromId);
        Dictionary<string, TreeEntry> to;
        IReadOnlyList<KeyValuePair<string, double>> toMetrics;
        Func<TreeEntry, string, IReadOnlyList<ChunkRef>> newChunks;
        if (toRevision is null)
        {
            to = ScanWithIds(cancellationToken);
            toMetrics = [];
            newChunks = (entry, path) => _store.HasManifest(entry.Id)
                ? _store.GetChunks(entry.Id)
                : ChunkWorkingFile(Path.Combine(WorkingDirectory, path), cancellationToken);
        }
        else
        {
            var toId = ResolveCommit(toRevision);
            to = FlattenCommit(toId);
            toMetrics = _store.GetCommit(toId).Metrics;
            newChunks = (entry, _) => _store.GetChunks(entry.Id);
        }

        var files = new List<FileDiff>();
        foreach (var (path, entry) in to)
        {
            if (!from.TryGetValue(path, out var old))
            {
                files.Add(new FileDiff(path, FileChangeKind.Added, 0, entry.Size, entry.Size));
            }
            else if (!SameContent(old, entry))
            {
                long differing = entry.Size;
                if (old.Kind == TreeEntryKind.File && entry.Kind == TreeEntryKind.File)
                {
                    if (old.Id == entry.Id)
                    {
                        differing = 0; // only the executable bit changed
                    }
                    else
                    {
                        differing = ChunkRef.BytesNotIn(newChunks(entry, path), _store.GetChunks(old.Id));
                    }
                }

                files.Add(new FileDiff(path, FileChangeKind.Modified, old.Size, entry.Size, differing));
            }
        }

        foreach (var (path, old) in from)
        {
            if (!to.ContainsKey(path))
            {
                files.Add(new FileDiff(path, FileChangeKind.Deleted, old.Size, 0, old.Size));
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        var fromMetrics = _store.GetCommit(fromId).Metrics.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        var toMap = toMetrics.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        var metrics = fromMetrics.Keys.Union(toMap.Keys).Order(StringComparer.Ordinal)
            .Select(k => new MetricDelta(k, fromMetrics.TryGetValue(k, out var o) ? o : null, toMap.TryGetValue(k, out var n) ? n : null))
            .Where(m => toRevision is not null && m.Old != m.New)
            .ToList();
        return new SnapshotDiff(files, metrics);
    }

    private static IReadOnlyList<ChunkRef> ChunkWorkingFile(string fullPath, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0, FileOptions.SequentialScan);
        return new ChunkPipeline(Chunker.Default).Process(stream, stream.Length, DiscardingSink.Instance, cancellationToken: cancellationToken).Chunks;
    }

    private sealed class DiscardingSink : IChunkSink
    {
        public static readonly DiscardingSink Instance = new();

        public void Accept(ReadOnlySpan<ChunkRef> chunks, ReadOnlySpan<byte> data)
        {
        }
    }
}
