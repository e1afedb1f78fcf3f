using Lmvp.Store.Chunking;
using Lmvp.Store.Codecs;
using Lmvp.Store.Formats;
using Lmvp.Store.Graph;

namespace Lmvp.Store;

public sealed partial class Repository
{
    /// <summary>Compares two commits, or a commit with the working tree when <paramref name="toRevision"/> is null.</summary>
    /// <remarks>Metrics and params are compared only between two commits, and only those that differ are listed (NaN equals NaN).</remarks>
    public SnapshotDiff Diff(string fromRevision, string? toRevision, CancellationToken cancellationToken = default) =>
        DiffCore(fromRevision, toRevision, tensors: false, cancellationToken);

    /// <summary>As <see cref="Diff"/>, and for every changed model file (safetensors, torch, ONNX, GGUF) which tensors were added,
    /// removed, changed or left unchanged, decided from the file headers and chunk ids without reading tensor bytes.</summary>
    public SnapshotDiff DiffTensors(string fromRevision, string? toRevision, CancellationToken cancellationToken = default) =>
        DiffCore(fromRevision, toRevision, tensors: true, cancellationToken);

    /// <summary>The tensor layout of a file in a commit, or null when it is not a model file this library reads.</summary>
    /// <exception cref="ObjectNotFoundException">The commit has no file at <paramref name="path"/>.</exception>
    public TensorLayout? ReadTensors(string revision, string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var commit = _store.GetCommit(ResolveCommit(revision));
        var normalized = path.Replace('\\', '/').Trim('/');
        var entry = Synchronously.Wait(TreeWalk.FindEntryAsync(_store, commit.TreeId, normalized));
        if (entry is null || entry.Kind == TreeEntryKind.Directory)
        {
            throw new ObjectNotFoundException($"'{normalized}' is not a file in commit {commit.Id.ToShortString()}.");
        }

        if (entry.Kind == TreeEntryKind.Symlink)
        {
            return null;
        }

        Promised.EnsurePresent([(normalized, _store.GetManifest(entry.Id))], "read the tensors of", CancellationToken.None);
        return Synchronously.Wait(TensorDiffer.ReadLayoutAsync(_store, _store, entry.Id, normalized));
    }

    private SnapshotDiff DiffCore(string fromRevision, string? toRevision, bool tensors, CancellationToken cancellationToken)
    {
        var fromId = ResolveCommit(fromRevision);
        var fromCommit = _store.GetCommit(fromId);
        if (toRevision is null)
        {
            // The working tree as a snapshot would see it: files left to git are compared on neither side.
            var rules = LoadIgnoreRules();
            var from = FlattenCommit(fromId, rules);

            // Working files are chunked once: for the bytes that differ and, when asked, for their tensors.
            var chunkedWorking = new Dictionary<string, FileChunkingResult>(StringComparer.Ordinal);
            FileChunkingResult ChunkWorking(string path, CancellationToken ct)
            {
                if (!chunkedWorking.TryGetValue(path, out var chunked))
                {
                    chunked = chunkedWorking[path] = ChunkWorkingFile(Path.Combine(WorkingDirectory, path), ct);
                }

                return chunked;
            }

            var working = ScanWithIds(rules, cancellationToken);
            var files = Synchronously.Wait(SnapshotDiffer.CompareFilesAsync(from, working, (path, entry, ct) => new(_store.HasManifest(entry.Id)
                ? _store.GetChunks(entry.Id)
                : ChunkWorking(path, ct).Manifest.Chunks), cancellationToken));
            if (!tensors)
            {
                return new SnapshotDiff(files, []);
            }

            var result = new List<FileTensorDiff>();
            foreach (var file in files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                (TensorLayout?, IReadOnlyList<ChunkRef>?) WorkingSide(TreeEntry? entry)
                {
                    if (entry is null || entry.Kind != TreeEntryKind.File || _store.HasManifest(entry.Id))
                    {
                        return StoredSide(file.Path, entry);
                    }

                    var chunked = ChunkWorking(file.Path, cancellationToken);
                    return (chunked.Layout, chunked.Manifest.Chunks);
                }

                var (oldLayout, oldChunks) = StoredSide(file.Path, file.Old);
                var (newLayout, newChunks) = WorkingSide(file.New);
                if (TensorDiffer.Compare(file.Path, oldLayout, oldChunks, newLayout, newChunks) is { } diff)
                {
                    result.Add(diff);
                }
            }

            return new SnapshotDiff(files, [], result);
        }

        var toCommit = _store.GetCommit(ResolveCommit(toRevision));
        var changed = Synchronously.Wait(SnapshotDiffer.CompareFilesAsync(FlattenCommit(fromId), FlattenCommit(toCommit.Id),
            (_, entry, _) => new(_store.GetChunks(entry.Id)), cancellationToken));
        var metrics = SnapshotDiffer.CompareMetrics(fromCommit, toCommit)
            .Where(m => m.Old is not { } o || m.New is not { } n || !MetricValues.SameValue(o, n)).ToList();
        var parameters = SnapshotDiffer.CompareParams(fromCommit, toCommit).Where(p => !Nullable.Equals(p.Old, p.New)).ToList();
        if (tensors)
        {
            // The tensor reader reads headers from the chunks: a partial clone brings the files of older versions in first.
            Promised.EnsurePresent([.. changed.SelectMany(f => new[] { (f.Path, Entry: f.Old), (f.Path, Entry: f.New) })
                .Where(side => side.Entry is { Kind: TreeEntryKind.File })
                .Select(side => ((string?)side.Path, _store.GetManifest(side.Entry!.Id)))], "read the tensors of", cancellationToken);
        }

        var tensorDiffs = tensors ? Synchronously.Wait(TensorDiffer.CompareFilesAsync(_store, _store, changed, cancellationToken)) : null;
        return new SnapshotDiff(changed, metrics, tensorDiffs) { Params = parameters };
    }

    private (TensorLayout? Layout, IReadOnlyList<ChunkRef>? Chunks) StoredSide(string path, TreeEntry? entry)
    {
        if (entry is null || entry.Kind != TreeEntryKind.File)
        {
            return (null, null);
        }

        var manifest = _store.GetManifest(entry.Id);
        Promised.EnsurePresent([(path, manifest)], "read the tensors of", CancellationToken.None);
        return (Synchronously.Wait(TensorDiffer.ReadLayoutAsync(_store, _store, entry.Id, path)), manifest.Chunks);
    }

    private static FileChunkingResult ChunkWorkingFile(string fullPath, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0, FileOptions.SequentialScan);
        return new FileChunker().Chunk(stream, fullPath, DiscardingSink.Instance, cancellationToken);
    }

    private sealed class DiscardingSink : IChunkSink
    {
        public static readonly DiscardingSink Instance = new();

        public void Accept(ReadOnlySpan<ChunkRef> chunks, ReadOnlySpan<ElementKind> kinds, ReadOnlySpan<byte> data)
        {
        }
    }
}
