using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Graph;
using Lmvp.Store.Protocol;

namespace Lmvp.Server.Services;

/// <summary>How a requested ref move ended.</summary>
internal enum RefMoveStatus
{
    /// <summary>The ref holds the new commit.</summary>
    Moved,

    /// <summary>The request is malformed (a bad name or id).</summary>
    Invalid,

    /// <summary>The new commit's closure is not all on the server.</summary>
    Incomplete,

    /// <summary>The ref is not where the request expected, the move is not a fast-forward, or a tag would move without force.</summary>
    Conflict,
}

/// <summary>The outcome of a ref move, with the one line that explains a refusal.</summary>
internal sealed record RefMove(RefMoveStatus Status, string Message);

/// <summary>The ref-update policy: a ref moves only to a commit whose whole closure is present, only from the value the client
/// saw (compare-and-swap), only forward unless forced, and a tag never moves without force.</summary>
/// <remarks>Completeness is checked with the graph walk of Lmvp.Store over the repository; a commit or tree found complete is
/// marked, so later checks stop there and a push costs what it adds, not the size of the history. Chunks are never deleted
/// while a ref reaches them, and gc drops the marks of what no ref reaches, so a mark stays true; the chunks a check finds are
/// taken back from gc (see <see cref="Maintenance.ServerGc"/>).</remarks>
internal sealed class RefUpdates(IObjectStore objects, IRefStore refs, ChunkStore chunks)
{
    /// <summary>Chunk ids asked of the chunk index at once.</summary>
    private const int ChunkBatch = ProtocolLimits.MaxIdsPerRequest;

    /// <summary>Completeness marks looked up one at a time before all are read at once.</summary>
    private const int MarksAskedOneByOne = 64;

    public async Task<RefMove> MoveAsync(RepositoryGraph repository, RefUpdateRequest request, CancellationToken cancellationToken)
    {
        if (!RefName.TryParse(request.Name, out var name) || !(name.IsBranch || name.IsTag))
        {
            return new RefMove(RefMoveStatus.Invalid, RefName.Validate(request.Name) is { } reason
                ? $"'{request.Name}' is not a valid ref name: {reason}"
                : $"'{request.Name}' is not a branch or tag (refs/heads/... or refs/tags/...)");
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

        if (await FindMissingAsync(repository, target, cancellationToken).ConfigureAwait(false) is { } missing)
        {
            return new RefMove(RefMoveStatus.Incomplete, $"cannot move {request.Name}: {missing}; push it first");
        }

        var current = await refs.GetRefAsync(repository.Id, request.Name, cancellationToken).ConfigureAwait(false);
        if (current != expected)
        {
            return new RefMove(RefMoveStatus.Conflict, Moved(request.Name, current, expected));
        }

        if (expected is { } from && from != target && !request.Force)
        {
            if (name.IsTag)
            {
                return new RefMove(RefMoveStatus.Conflict, $"tag {request.Name} already exists at {from.ToShortString()}; moving a tag needs force");
            }

            if (!await History.IsAncestorAsync(repository, from, target, cancellationToken).ConfigureAwait(false))
            {
                return new RefMove(RefMoveStatus.Conflict, $"{request.Name} at {from.ToShortString()} is not an ancestor of {target.ToShortString()} "
                    + "(not a fast-forward): pull and merge first, or force");
            }
        }

        if (await refs.CompareAndSwapRefAsync(repository.Id, request.Name, expected, target, cancellationToken).ConfigureAwait(false) == RefUpdateOutcome.Conflict)
        {
            var now = await refs.GetRefAsync(repository.Id, request.Name, cancellationToken).ConfigureAwait(false);
            return new RefMove(RefMoveStatus.Conflict, Moved(request.Name, now, expected));
        }

        return new RefMove(RefMoveStatus.Moved, "");
    }

    /// <summary>Null when <paramref name="commitId"/> and everything it reaches (ancestors, trees, manifests, chunks) are present,
    /// else a message naming the first thing missing.</summary>
    public async Task<string?> FindMissingAsync(RepositoryGraph repository, ObjectId commitId, CancellationToken cancellationToken)
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
        var chunkIds = new List<ObjectId>();
        var chunkSeen = new HashSet<ObjectId>();
        await foreach (var node in walker.WalkAsync([commitId], cancellationToken).ConfigureAwait(false))
        {
            if (node.IsMissing)
            {
                return node.Kind switch
                {
                    ObjectKind.Commit => $"commit {node.Id} ({(node.ChildOf is { } child ? "a parent of " + child.ToShortString() : "the new commit")}) "
                        + (node.Problem == GraphNode.Absent ? "is missing on the server" : "cannot be read: " + node.Problem),
                    ObjectKind.Tree => $"tree {node.Id} (directory '/{node.Path}') is missing on the server (in commit {node.Through.ToShortString()})",
                    _ => $"the manifest of file '{node.Path}' ({node.Id}) is missing on the server (in commit {node.Through.ToShortString()})",
                };
            }

            if (node.Manifest is { } manifest)
            {
                if (manifest.Size != node.Entry!.Size)
                {
                    return $"file '{node.Path}' is {node.Entry.Size} bytes in its tree but {manifest.Size} in its manifest";
                }

                foreach (var chunk in manifest.Chunks)
                {
                    if (chunkSeen.Add(chunk.Id))
                    {
                        chunkIds.Add(chunk.Id);
                    }
                }
            }
            else
            {
                verified.Add(node.Id);
            }
        }

        for (var i = 0; i < chunkIds.Count; i += ChunkBatch)
        {
            var batch = chunkIds.GetRange(i, Math.Min(ChunkBatch, chunkIds.Count - i));
            var missing = await chunks.FindMissingAndKeepAsync(repository.Id, batch, cancellationToken).ConfigureAwait(false);
            if (missing.Count > 0)
            {
                return $"chunk {missing[0]} is missing on the server ({missing.Count} missing in this batch of {batch.Count})";
            }
        }

        await objects.MarkCompleteAsync(repository.Id, verified, cancellationToken).ConfigureAwait(false);
        return null;
    }

    private static string Moved(string name, ObjectId? current, ObjectId? expected) =>
        $"{name} is at {current?.ToShortString() ?? "nothing"}, not {expected?.ToShortString() ?? "nothing"}: someone pushed first; pull and push again";
}
