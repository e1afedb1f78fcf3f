using Lmvp.Store.Chunking;
using Lmvp.Store.Graph;

namespace Lmvp.Store;

public sealed partial class Repository
{
    /// <summary>Compares two commits, or a commit with the working tree when <paramref name="toRevision"/> is null.</summary>
    /// <remarks>Metrics are compared only between two commits, and only those that differ are listed.</remarks>
    public SnapshotDiff Diff(string fromRevision, string? toRevision, CancellationToken cancellationToken = default)
    {
        var fromId = ResolveCommit(fromRevision);
        var from = FlattenCommit(fromId);
        var fromCommit = _store.GetCommit(fromId);
        if (toRevision is null)
        {
            var working = ScanWithIds(cancellationToken);
            var files = Synchronously.Wait(SnapshotDiffer.CompareFilesAsync(from, working, (path, entry, ct) => new(_store.HasManifest(entry.Id)
                ? _store.GetChunks(entry.Id)
                : ChunkWorkingFile(Path.Combine(WorkingDirectory, path), ct)), cancellationToken));
            return new SnapshotDiff(files, []);
        }

        var toCommit = _store.GetCommit(ResolveCommit(toRevision));
        var changed = Synchronously.Wait(SnapshotDiffer.CompareFilesAsync(from, FlattenCommit(toCommit.Id),
            (_, entry, _) => new(_store.GetChunks(entry.Id)), cancellationToken));
        var metrics = SnapshotDiffer.CompareMetrics(fromCommit, toCommit).Where(m => m.Old != m.New).ToList();
        return new SnapshotDiff(changed, metrics);
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
