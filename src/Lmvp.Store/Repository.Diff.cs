using Lmvp.Store.Chunking;
using Lmvp.Store.Graph;

namespace Lmvp.Store;

public sealed partial class Repository
{
    /// <summary>Compares two commits, or a commit with the working tree when <paramref name="toRevision"/> is null.</summary>
    /// <remarks>Metrics and params are compared only between two commits, and only those that differ are listed (NaN equals NaN).</remarks>
    public SnapshotDiff Diff(string fromRevision, string? toRevision, CancellationToken cancellationToken = default)
    {
        var fromId = ResolveCommit(fromRevision);
        var fromCommit = _store.GetCommit(fromId);
        if (toRevision is null)
        {
            // The working tree as a snapshot would see it: files left to git are compared on neither side.
            var rules = LoadIgnoreRules();
            var from = FlattenCommit(fromId, rules);
            var working = ScanWithIds(rules, cancellationToken);
            var files = Synchronously.Wait(SnapshotDiffer.CompareFilesAsync(from, working, (path, entry, ct) => new(_store.HasManifest(entry.Id)
                ? _store.GetChunks(entry.Id)
                : ChunkWorkingFile(Path.Combine(WorkingDirectory, path), ct)), cancellationToken));
            return new SnapshotDiff(files, []);
        }

        var toCommit = _store.GetCommit(ResolveCommit(toRevision));
        var changed = Synchronously.Wait(SnapshotDiffer.CompareFilesAsync(FlattenCommit(fromId), FlattenCommit(toCommit.Id),
            (_, entry, _) => new(_store.GetChunks(entry.Id)), cancellationToken));
        var metrics = SnapshotDiffer.CompareMetrics(fromCommit, toCommit)
            .Where(m => m.Old is not { } o || m.New is not { } n || !MetricValues.SameValue(o, n)).ToList();
        var parameters = SnapshotDiffer.CompareParams(fromCommit, toCommit).Where(p => !Nullable.Equals(p.Old, p.New)).ToList();
        return new SnapshotDiff(changed, metrics) { Params = parameters };
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
