using Lmvp.Store.Maintenance;

namespace Lmvp.Store;

/// <summary>What <see cref="Repository.CollectGarbage(bool, IProgress{ProgressInfo}?, CancellationToken)"/> freed, or with a dry run would free.</summary>
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
    /// <summary>Reachable chunks that are not here because a remote promises them (a partial clone or fetch): kept as live, not damage.</summary>
    public long PromisedChunks { get; init; }
}

public sealed partial class Repository
{
    /// <summary>Removes every chunk and object that no branch, tag, remote-tracking ref or HEAD reaches, rewriting the packs that hold them.</summary>
    /// <remarks>Stops before changing anything if part of what is reachable is missing. Crash-safe: an old pack is deleted only
    /// after the index points at its replacement. Do not run it while a commit is running in the same repository.</remarks>
    /// <param name="dryRun">Only work out what would be freed.</param>
    /// <param name="progress">Bytes copied into rewritten packs.</param>
    /// <param name="cancellationToken">Stops between packs; every pack is either fully swapped or untouched.</param>
    public GarbageCollectionResult CollectGarbage(bool dryRun = false, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default) =>
        CollectGarbage(dryRun, onStep: null, progress, cancellationToken);

    /// <summary>gc with a hook called after each durable step of each pack swap, so tests can crash it there.</summary>
    internal GarbageCollectionResult CollectGarbage(bool dryRun, Action<string>? onStep, IProgress<ProgressInfo>? progress, CancellationToken cancellationToken)
    {
        using var maintenance = MaintenanceLock.Acquire(RepositoryDirectory, "run gc");
        var roots = _database.ListRefs("refs/").ToList();
        if (Head is { } head)
        {
            roots.Add(new("HEAD", head));
        }

        _packs.Reset();
        try
        {
            return new GarbageCollector(_store, progress) { OnStep = onStep }.Run(roots, dryRun, cancellationToken);
        }
        finally
        {
            _packs.Reset();
        }
    }
}
