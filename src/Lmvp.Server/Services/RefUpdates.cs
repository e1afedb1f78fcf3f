using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Graph;
using Lmvp.Store.Protocol;

namespace Lmvp.Server.Services;

/// <summary>How a requested ref move ended.</summary>
internal enum RefMoveStatus
{
    /// <summary>The ref holds the new commit (or is gone, for a deletion).</summary>
    Moved,

    /// <summary>The request is malformed (a bad name or id), or a file it would publish does not verify.</summary>
    Invalid,

    /// <summary>The new commit's closure is not all on the server.</summary>
    Incomplete,

    /// <summary>The ref is not where the request expected, the move is not a fast-forward, or a tag would move without force.</summary>
    Conflict,

    /// <summary>The branch is protected and the move needs the admin role.</summary>
    Forbidden,

    /// <summary>There is no such ref (to delete), or no such value in its history (to restore).</summary>
    NotFound,
}

/// <summary>The outcome of a ref move, with the one line that explains a refusal.</summary>
internal sealed record RefMove(RefMoveStatus Status, string Message);

/// <summary>Who asks for a ref move: the caller, what they may do in the repository (the lower of role and token scope), the way the
/// request came (push, api, web) and the client address, all of which the ref history and the audit log record.</summary>
internal sealed record RefActor(Caller Caller, AccessLevel Access, string Via, string Address)
{
    /// <summary>A push over the sync protocol.</summary>
    public const string Push = "push";

    /// <summary>The JSON API (tags, commits, branch deletion, restore).</summary>
    public const string Api = "api";

    /// <summary>The web UI.</summary>
    public const string Web = "web";

    /// <summary>The history entry of a move of this kind by this actor.</summary>
    public RefMoveLog Log(string kind) =>
        new(kind, Via, Caller.IsAnonymous ? null : Caller.UserId, Caller.UserName, Caller.TokenId, Caller.AuthMethod);
}

/// <summary>The ref-update policy: a ref moves only to a commit whose whole closure is present and whose every new file verifies,
/// only from the value the client saw (compare-and-swap), only forward unless forced, a tag never without force, and a protected
/// branch backwards (or away) only for an admin. Every move is recorded in the ref history in its own transaction.</summary>
/// <remarks>Completeness is checked with the graph walk of Lmvp.Store over the repository; a commit, tree or file found complete
/// is marked, so later checks stop there and a push costs what it adds, not the size of the history. Chunks are never deleted
/// while a ref or the recent ref history reaches them, and gc drops the marks of what neither reaches, so a mark stays true; the
/// chunks a check finds are taken back from gc (see <see cref="Maintenance.ServerGc"/>).</remarks>
internal sealed class RefUpdates(IObjectStore objects, IRefStore refs, ChunkStore chunks, FileVerifier files, BranchProtection protection, AuditTrail audit)
{
    /// <summary>Chunk ids asked of the chunk index at once.</summary>
    private const int ChunkBatch = ProtocolLimits.MaxIdsPerRequest;

    /// <summary>History entries read at once when looking for a value to restore.</summary>
    private const int HistoryPage = 1000;

    /// <summary>Completeness marks looked up one at a time before all are read at once.</summary>
    private const int MarksAskedOneByOne = 64;

    public async Task<RefMove> MoveAsync(RepositoryGraph repository, RefUpdateRequest request, RefActor actor, CancellationToken cancellationToken)
    {
        if (ParseName(request.Name) is { } badName)
        {
            return badName;
        }

        if (!ObjectId.TryParse(request.New, out var target))
        {
            return new RefMove(RefMoveStatus.Invalid, "new must be a 64-digit hex commit id");
        }

        ObjectId? expected = null;
        if (request.Old is not null)
        {
            if (!ObjectId.TryParse(request.Old, out var old))
            {
                return new RefMove(RefMoveStatus.Invalid, "old must be a 64-digit hex commit id or null");
            }

            expected = old;
        }

        return await MoveCoreAsync(repository, RefName.Parse(request.Name), expected, target, request.Force, restore: false, actor, cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>Deletes a branch or tag that still points at what it pointed at when asked; a protected branch only for an admin, and
    /// never the default branch.</summary>
    public async Task<RefMove> DeleteAsync(RepositoryGraph repository, string fullName, RefActor actor, CancellationToken cancellationToken)
    {
        if (ParseName(fullName) is { } badName)
        {
            return badName;
        }

        var name = RefName.Parse(fullName);
        if (await refs.GetRefAsync(repository.Id, fullName, cancellationToken).ConfigureAwait(false) is not { } current)
        {
            return new RefMove(RefMoveStatus.NotFound, $"no {fullName} in {repository.Repository.FullName}");
        }

        if (name.IsBranch && name.ShortName == repository.Repository.DefaultBranch)
        {
            return new RefMove(RefMoveStatus.Conflict, $"{name.ShortName} is the default branch of {repository.Repository.FullName}; it cannot be deleted");
        }

        if (name.IsBranch && actor.Access < AccessLevel.Admin && await protection.IsProtectedAsync(repository.Repository, name.ShortName, cancellationToken).ConfigureAwait(false))
        {
            return new RefMove(RefMoveStatus.Forbidden, Protected(repository, name, "deleting it"));
        }

        if (await refs.DeleteRefAsync(repository.Id, fullName, current, actor.Log(RefMoveKinds.Delete), cancellationToken).ConfigureAwait(false)
            == RefUpdateOutcome.Conflict)
        {
            return new RefMove(RefMoveStatus.Conflict, $"{fullName} moved while it was being deleted; look again");
        }

        await audit.RecordAsync(AuditKinds.RefDeleted, actor.Caller, actor.Address, repository.Repository, fullName, $"was {current} ({actor.Via})",
            cancellationToken).ConfigureAwait(false);
        return new RefMove(RefMoveStatus.Moved, "");
    }

    /// <summary>Points a ref (existing or deleted) back at a value its history recorded; admins only, and only while that commit's
    /// closure is still on the server.</summary>
    public async Task<RefMove> RestoreAsync(RepositoryGraph repository, string fullName, ObjectId target, RefActor actor, CancellationToken cancellationToken)
    {
        if (ParseName(fullName) is { } badName)
        {
            return badName;
        }

        if (actor.Access < AccessLevel.Admin)
        {
            return new RefMove(RefMoveStatus.Forbidden, $"restoring a ref needs the admin role in {repository.Repository.FullName}");
        }

        if (!await InHistoryAsync(repository.Id, fullName, target, cancellationToken).ConfigureAwait(false))
        {
            return new RefMove(RefMoveStatus.NotFound, $"{fullName} never pointed at {target.ToShortString()} in {repository.Repository.FullName}'s ref history");
        }

        var current = await refs.GetRefAsync(repository.Id, fullName, cancellationToken).ConfigureAwait(false);
        return await MoveCoreAsync(repository, RefName.Parse(fullName), current, target, force: true, restore: true, actor, cancellationToken).ConfigureAwait(false);
    }

    private async Task<RefMove> MoveCoreAsync(RepositoryGraph repository, RefName name, ObjectId? expected, ObjectId target, bool force, bool restore,
        RefActor actor, CancellationToken cancellationToken)
    {
        var fullName = name.FullName;
        if (await FindMissingAsync(repository, target, cancellationToken).ConfigureAwait(false) is { } problem)
        {
            return problem with { Message = $"cannot move {fullName}: {problem.Message}" };
        }

        var current = await refs.GetRefAsync(repository.Id, fullName, cancellationToken).ConfigureAwait(false);
        if (current != expected)
        {
            return new RefMove(RefMoveStatus.Conflict, Moved(fullName, current, expected));
        }

        if (expected == target)
        {
            return new RefMove(RefMoveStatus.Moved, "");
        }

        var kind = expected is null ? RefMoveKinds.Create : RefMoveKinds.FastForward;
        if (expected is { } from)
        {
            if (name.IsTag)
            {
                if (!force)
                {
                    return new RefMove(RefMoveStatus.Conflict, $"tag {fullName} already exists at {from.ToShortString()}; moving a tag needs force");
                }

                kind = RefMoveKinds.Force;
            }
            else if (!await History.IsAncestorAsync(repository, from, target, cancellationToken).ConfigureAwait(false))
            {
                if (!force)
                {
                    return new RefMove(RefMoveStatus.Conflict, $"{fullName} at {from.ToShortString()} is not an ancestor of {target.ToShortString()} "
                        + "(not a fast-forward): pull and merge first, or force");
                }

                if (actor.Access < AccessLevel.Admin && await protection.IsProtectedAsync(repository.Repository, name.ShortName, cancellationToken).ConfigureAwait(false))
                {
                    return new RefMove(RefMoveStatus.Forbidden, Protected(repository, name, "a move that is not a fast-forward"));
                }

                kind = RefMoveKinds.Force;
            }
        }

        if (restore)
        {
            kind = RefMoveKinds.Restore;
        }

        if (await refs.CompareAndSwapRefAsync(repository.Id, fullName, expected, target, actor.Log(kind), cancellationToken).ConfigureAwait(false)
            == RefUpdateOutcome.Conflict)
        {
            var now = await refs.GetRefAsync(repository.Id, fullName, cancellationToken).ConfigureAwait(false);
            return new RefMove(RefMoveStatus.Conflict, Moved(fullName, now, expected));
        }

        if (kind is RefMoveKinds.Force or RefMoveKinds.Restore)
        {
            await audit.RecordAsync(kind == RefMoveKinds.Force ? AuditKinds.RefForced : AuditKinds.RefRestored, actor.Caller, actor.Address, repository.Repository,
                fullName, $"{expected?.ToString() ?? "(none)"} -> {target} ({actor.Via})", cancellationToken).ConfigureAwait(false);
        }

        return new RefMove(RefMoveStatus.Moved, "");
    }

    /// <summary>Null when <paramref name="commitId"/> and everything it reaches (ancestors, trees, files, chunks) are present and every
    /// file not verified before verifies now, else why not: Incomplete when something is missing, Invalid when a file's chunks do not
    /// hash to its id.</summary>
    /// <exception cref="DamagedDataException">The server's copy of a chunk is damaged.</exception>
    public async Task<RefMove?> FindMissingAsync(RepositoryGraph repository, ObjectId commitId, CancellationToken cancellationToken)
    {
        // One query per object for a push of a few commits; a walk that goes on (a long history pushed at once) reads every mark
        // in one query instead, as a round trip per object is what a networked database makes expensive.
        HashSet<ObjectId>? marks = null;
        var asked = 0;
        var walker = new GraphWalker(repository)
        {
            Skip = async (id, kind, ct) =>
            {
                if (kind == ObjectKind.Manifest)
                {
                    return false;
                }

                if (marks is null && ++asked > MarksAskedOneByOne)
                {
                    marks = await objects.ListCompleteAsync(repository.Id, ct).ConfigureAwait(false);
                }

                return marks?.Contains(id) ?? await objects.IsCompleteAsync(repository.Id, id, ct).ConfigureAwait(false);
            },
        };
        var verified = new List<ObjectId>();
        var manifests = new List<(FileManifest Manifest, string Path)>();
        await foreach (var node in walker.WalkAsync([commitId], cancellationToken).ConfigureAwait(false))
        {
            if (node.IsMissing)
            {
                return new RefMove(RefMoveStatus.Incomplete, node.Kind switch
                {
                    ObjectKind.Commit => $"commit {node.Id} ({(node.ChildOf is { } child ? "a parent of " + child.ToShortString() : "the new commit")}) "
                        + (node.Problem == GraphNode.Absent ? "is missing on the server" : "cannot be read: " + node.Problem),
                    ObjectKind.Tree => $"tree {node.Id} (directory '/{node.Path}') is missing on the server (in commit {node.Through.ToShortString()})",
                    _ => $"the manifest of file '{node.Path}' ({node.Id}) is missing on the server (in commit {node.Through.ToShortString()})",
                } + "; push it first");
            }

            if (node.Manifest is { } manifest)
            {
                if (manifest.Size != node.Entry!.Size)
                {
                    return new RefMove(RefMoveStatus.Invalid, $"file '{node.Path}' is {node.Entry.Size} bytes in its tree but {manifest.Size} in its manifest");
                }

                manifests.Add((manifest, node.Path));
            }
            else
            {
                verified.Add(node.Id);
            }
        }

        // Read through the manifests, not copied: a chunk two files share is asked for twice, which costs less than a set of every id.
        var chunkIds = IdViews.ChunksOf([.. manifests.Select(m => m.Manifest)]);
        for (var i = 0; i < chunkIds.Count; i += ChunkBatch)
        {
            var batch = IdViews.Range(chunkIds, i, Math.Min(ChunkBatch, chunkIds.Count - i));
            var missing = await chunks.FindMissingAndKeepAsync(repository.Id, batch, cancellationToken).ConfigureAwait(false);
            if (missing.Count > 0)
            {
                return new RefMove(RefMoveStatus.Incomplete,
                    $"chunk {missing[0]} is missing on the server ({missing.Count} missing in this batch of {batch.Count}); push it first");
            }
        }

        // Files stored before uploads were verified (or by any other way in) are verified once, here, before a ref can reach them.
        var unverified = (await objects.FindIncompleteAsync(repository.Id, [.. manifests.Select(m => m.Manifest.FileId)], cancellationToken).ConfigureAwait(false))
            .ToHashSet();
        if (unverified.Count > 0
            && await files.VerifyAsync(repository.Id, [.. manifests.Select(m => m.Manifest).Where(m => unverified.Contains(m.FileId)).DistinctBy(m => m.FileId)],
                mark: true, cancellationToken).ConfigureAwait(false) is { } bad)
        {
            var path = manifests.First(m => m.Manifest.FileId == bad.FileId).Path;
            return new RefMove(bad.ChunkMissing ? RefMoveStatus.Incomplete : RefMoveStatus.Invalid, $"file '{path}' ({bad.FileId}) does not verify: {bad.Problem}");
        }

        await objects.MarkCompleteAsync(repository.Id, verified, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private async Task<bool> InHistoryAsync(long repositoryId, string fullName, ObjectId target, CancellationToken cancellationToken)
    {
        long? before = null;
        while (true)
        {
            var page = await refs.ListRefHistoryAsync(repositoryId, fullName, before, HistoryPage, cancellationToken).ConfigureAwait(false);
            if (page.Any(e => e.Old == target || e.New == target))
            {
                return true;
            }

            if (page.Count < HistoryPage)
            {
                return false;
            }

            before = page[^1].Id;
        }
    }

    private static RefMove? ParseName(string fullName) =>
        RefName.TryParse(fullName, out var name) && (name.IsBranch || name.IsTag)
            ? null
            : new RefMove(RefMoveStatus.Invalid, RefName.Validate(fullName) is { } reason
                ? $"'{fullName}' is not a valid ref name: {reason}"
                : $"'{fullName}' is not a branch or tag (refs/heads/... or refs/tags/...)");

    private static string Protected(RepositoryGraph repository, RefName name, string what) =>
        $"{name.ShortName} is a protected branch of {repository.Repository.FullName}: {what} needs the admin role there";

    private static string Moved(string name, ObjectId? current, ObjectId? expected) =>
        $"{name} is at {current?.ToShortString() ?? "nothing"}, not {expected?.ToShortString() ?? "nothing"}: someone pushed first; pull and push again";
}
