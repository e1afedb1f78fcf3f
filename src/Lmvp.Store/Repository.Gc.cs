using Lmvp.Store.Maintenance;

namespace Lmvp.Store;

/// <summary>What <see cref="Repository.CollectGarbage(bool, TimeSpan?, IProgress{ProgressInfo}?, CancellationToken)"/> freed, or with a dry run would free.</summary>
/// <param name="DryRun">True when nothing was changed.</param>
/// <param name="BytesFreed">Pack bytes removed from disk (or that would be).</param>
/// <param name="ChunksRemoved">Unreachable chunks dropped from the index.</param>
/// <param name="ObjectsRemoved">Unreachable trees, commits and manifests dropped from the index.</param>
/// <param name="PacksRewritten">Packs replaced by a copy holding only their live entries.</param>
/// <param name="PacksDeleted">Packs that held nothing live.</param>
/// <param name="LeftoverPacksDeleted">Temporary packs of killed commits, and old packs the index never named.</param>
/// <param name="PackBytesBefore">Bytes in pack files before.</param>
/// <param name="PackBytesAfter">Bytes in pack files after.</param>
/// <param name="Warnings">Packs left alone because a live entry in them is corrupt, one line each.</param>
public sealed record GarbageCollectionResult(bool DryRun, long BytesFreed, long ChunksRemoved, long ObjectsRemoved, int PacksRewritten, int PacksDeleted,
    int LeftoverPacksDeleted, long PackBytesBefore, long PackBytesAfter, IReadOnlyList<string> Warnings)
{
    /// <summary>Reflog entries older than the expiry that gc removed.</summary>
    public int ReflogEntriesExpired { get; init; }

    /// <summary>Reachable chunks that are not here because a remote promises them (a partial clone or fetch): kept as live, not damage.</summary>
    public long PromisedChunks { get; init; }
}

public sealed partial class Repository
{
    /// <summary>Removes every chunk and object that no branch, tag, remote-tracking ref, HEAD or recent reflog entry reaches, rewriting
    /// the packs that hold them; reflog entries older than the expiry expire.</summary>
    /// <remarks>Stops before changing anything if part of what is reachable is missing. Crash-safe: an old pack is deleted only
    /// after the index points at its replacement. Do not run it while a commit is running in the same repository.</remarks>
    /// <param name="dryRun">Only work out what would be freed.</param>
    /// <param name="reflogExpiry">How old a reflog entry may be and still keep its commits: null for <see cref="ReflogExpiry"/>,
    /// <see cref="TimeSpan.Zero"/> for none (<c>--prune=now</c>), <see cref="TimeSpan.MaxValue"/> for all.</param>
    /// <param name="progress">Bytes copied into rewritten packs.</param>
    /// <param name="cancellationToken">Stops between packs; every pack is either fully swapped or untouched.</param>
    public GarbageCollectionResult CollectGarbage(bool dryRun = false, TimeSpan? reflogExpiry = null, IProgress<ProgressInfo>? progress = null,
        CancellationToken cancellationToken = default) =>
        CollectGarbage(dryRun, reflogExpiry ?? ReflogExpiry(), DateTimeOffset.UtcNow, onStep: null, progress, cancellationToken);

    /// <summary>gc at a given time, with a hook called after each durable step of each pack swap, so tests can crash it there.</summary>
    internal GarbageCollectionResult CollectGarbage(bool dryRun, Action<string>? onStep, IProgress<ProgressInfo>? progress, CancellationToken cancellationToken) =>
        CollectGarbage(dryRun, ReflogExpiry(), DateTimeOffset.UtcNow, onStep, progress, cancellationToken);

    internal GarbageCollectionResult CollectGarbage(bool dryRun, TimeSpan reflogExpiry, DateTimeOffset now, Action<string>? onStep, IProgress<ProgressInfo>? progress,
        CancellationToken cancellationToken)
    {
        using var maintenance = MaintenanceLock.Acquire(RepositoryDirectory, "run gc");
        var roots = _database.ListRefs("refs/").ToList();
        if (Head is { } head)
        {
            roots.Add(new("HEAD", head));
        }

        // What a ref pointed at recently stays, so a deleted branch or a reset can be undone (lmvp reflog); entries whose commit
        // is gone already (expired, or never fetched) keep nothing.
        // --prune=now (a zero expiry) keeps nothing for the reflog and expires every entry.
        var cutoff = reflogExpiry == TimeSpan.MaxValue ? DateTimeOffset.MinValue : reflogExpiry == TimeSpan.Zero ? DateTimeOffset.MaxValue : now - reflogExpiry;
        if (reflogExpiry > TimeSpan.Zero)
        {
            roots.AddRange(_database.ListReflogTargets(cutoff)
                .Where(t => _database.HasObject(t.Value, ObjectKind.Commit))
                .Select(t => new KeyValuePair<string, ObjectId>($"the reflog of {t.Key}", t.Value)));
        }

        _packs.Reset();
        try
        {
            var result = new GarbageCollector(_store, progress) { OnStep = onStep }.Run(roots, dryRun, cancellationToken);
            return dryRun || cutoff == DateTimeOffset.MinValue ? result : result with { ReflogEntriesExpired = _database.ExpireReflog(cutoff) };
        }
        finally
        {
            _packs.Reset();
        }
    }
}
