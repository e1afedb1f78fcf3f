using System.Runtime.CompilerServices;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Objects;
using Lmvp.Store.Sync;

namespace Lmvp.Server.Sync;

/// <summary>Walks the object graph of a repository on the server: completeness before a ref moves, ancestry for
/// fast-forward checks, and the objects a fetch needs.</summary>
/// <remarks>
/// Walks are iterative (a history of a million commits must not overflow the stack). A commit or tree whose whole
/// closure was found present is marked complete, and later walks stop there, so a push costs what it adds, not the
/// size of the history. Objects and chunks are never deleted, so a mark stays true.
/// </remarks>
internal sealed class ClosureWalker
{
    /// <summary>Chunk ids asked of the chunk store at once.</summary>
    private const int ChunkBatch = 10_000;

    private readonly IMetadataStore _metadata;
    private readonly IChunkStore _chunks;

    public ClosureWalker(IMetadataStore metadata, IChunkStore chunks)
    {
        _metadata = metadata;
        _chunks = chunks;
    }

    /// <summary>Null when <paramref name="commitId"/> and everything it reaches (ancestors, trees, manifests, chunks) are
    /// present, else a message naming the first thing missing.</summary>
    public async Task<string?> FindMissingAsync(long repositoryId, ObjectId commitId, CancellationToken cancellationToken)
    {
        var seen = new HashSet<ObjectId>();
        var verified = new List<ObjectId>();
        var chunkIds = new List<ObjectId>();
        var chunkSeen = new HashSet<ObjectId>();
        var commits = new Stack<(ObjectId Id, string Role)>();
        commits.Push((commitId, "the new commit"));
        while (commits.TryPop(out var item))
        {
            if (!seen.Add(item.Id) || await _metadata.IsCompleteAsync(repositoryId, item.Id, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var commit = await GetCommitAsync(repositoryId, item.Id, cancellationToken).ConfigureAwait(false);
            if (commit is null)
            {
                return $"commit {item.Id} ({item.Role}) is missing on the server";
            }

            var treeMissing = await CheckTreeAsync(repositoryId, commit.TreeId, seen, verified, chunkIds, chunkSeen, cancellationToken).ConfigureAwait(false);
            if (treeMissing is not null)
            {
                return $"{treeMissing} (in commit {item.Id.ToShortString()})";
            }

            foreach (var parent in commit.Parents)
            {
                commits.Push((parent, "a parent of " + item.Id.ToShortString()));
            }

            verified.Add(item.Id);
        }

        for (var i = 0; i < chunkIds.Count; i += ChunkBatch)
        {
            var batch = chunkIds.GetRange(i, Math.Min(ChunkBatch, chunkIds.Count - i));
            var missing = await _chunks.FindMissingAsync(repositoryId, batch, cancellationToken).ConfigureAwait(false);
            if (missing.Count > 0)
            {
                return $"chunk {missing[0]} is missing on the server ({missing.Count} missing in this batch of {batch.Count})";
            }
        }

        await _metadata.MarkCompleteAsync(repositoryId, verified, cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="descendant"/> or one of its ancestors.</summary>
    public async Task<bool> IsAncestorAsync(long repositoryId, ObjectId ancestor, ObjectId descendant, CancellationToken cancellationToken)
    {
        var seen = new HashSet<ObjectId> { descendant };
        var queue = new Queue<ObjectId>();
        queue.Enqueue(descendant);
        while (queue.TryDequeue(out var id))
        {
            if (id == ancestor)
            {
                return true;
            }

            var commit = await GetCommitAsync(repositoryId, id, cancellationToken).ConfigureAwait(false);
            foreach (var parent in commit?.Parents ?? [])
            {
                if (seen.Add(parent))
                {
                    queue.Enqueue(parent);
                }
            }
        }

        return false;
    }

    /// <summary>Every commit, tree and manifest reachable from <paramref name="want"/> and not from <paramref name="have"/>.</summary>
    /// <remarks>Commits reachable from <paramref name="have"/> are skipped whole, and the trees and manifests of the
    /// <paramref name="have"/> commits themselves are left out: a client holds them with those commits. Unknown
    /// <paramref name="have"/> ids are ignored. Each object is sent once.</remarks>
    public async IAsyncEnumerable<MetadataObject> ClosureAsync(long repositoryId, IReadOnlyList<ObjectId> want, IReadOnlyList<ObjectId> have,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var haveCommits = new HashSet<ObjectId>();
        var excluded = new HashSet<ObjectId>();
        var stack = new Stack<ObjectId>();
        foreach (var id in have)
        {
            var commit = await GetCommitAsync(repositoryId, id, cancellationToken).ConfigureAwait(false);
            if (commit is null)
            {
                continue;
            }

            await ExcludeTreeAsync(repositoryId, commit.TreeId, excluded, cancellationToken).ConfigureAwait(false);
            stack.Push(id);
        }

        while (stack.TryPop(out var id))
        {
            if (!haveCommits.Add(id))
            {
                continue;
            }

            var commit = await GetCommitAsync(repositoryId, id, cancellationToken).ConfigureAwait(false);
            foreach (var parent in commit?.Parents ?? [])
            {
                stack.Push(parent);
            }
        }

        var sent = new HashSet<ObjectId>();
        foreach (var id in want)
        {
            stack.Push(id);
        }

        var trees = new Stack<ObjectId>();
        while (stack.TryPop(out var id))
        {
            if (haveCommits.Contains(id) || !sent.Add(id))
            {
                continue;
            }

            var commitObject = await RequireAsync(repositoryId, id, FrameKind.Commit, cancellationToken).ConfigureAwait(false);
            yield return commitObject;
            var commit = Commit.Decode(commitObject.Data.Span, id);
            trees.Push(commit.TreeId);
            while (trees.TryPop(out var treeId))
            {
                if (excluded.Contains(treeId) || !sent.Add(treeId))
                {
                    continue;
                }

                var treeObject = await RequireAsync(repositoryId, treeId, FrameKind.Tree, cancellationToken).ConfigureAwait(false);
                yield return treeObject;
                foreach (var entry in Tree.Decode(treeObject.Data.Span, treeId).Entries)
                {
                    if (entry.Kind == TreeEntryKind.Directory)
                    {
                        trees.Push(entry.Id);
                    }
                    else if (entry.Kind == TreeEntryKind.File && !excluded.Contains(entry.Id) && sent.Add(entry.Id))
                    {
                        yield return await RequireAsync(repositoryId, entry.Id, FrameKind.Manifest, cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            foreach (var parent in commit.Parents)
            {
                stack.Push(parent);
            }
        }
    }

    private async Task<string?> CheckTreeAsync(long repositoryId, ObjectId rootId, HashSet<ObjectId> seen, List<ObjectId> verified,
        List<ObjectId> chunkIds, HashSet<ObjectId> chunkSeen, CancellationToken cancellationToken)
    {
        var trees = new Stack<(ObjectId Id, string Path)>();
        trees.Push((rootId, "/"));
        while (trees.TryPop(out var item))
        {
            if (!seen.Add(item.Id) || await _metadata.IsCompleteAsync(repositoryId, item.Id, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var treeObject = await _metadata.GetObjectAsync(repositoryId, item.Id, cancellationToken).ConfigureAwait(false);
            if (treeObject is not { Kind: FrameKind.Tree } t)
            {
                return $"tree {item.Id} (directory '{item.Path}') is missing on the server";
            }

            foreach (var entry in Tree.Decode(t.Data.Span, item.Id).Entries)
            {
                var path = item.Path == "/" ? entry.Name : item.Path + "/" + entry.Name;
                if (entry.Kind == TreeEntryKind.Directory)
                {
                    trees.Push((entry.Id, path));
                }
                else if (entry.Kind == TreeEntryKind.File && seen.Add(entry.Id))
                {
                    var manifestObject = await _metadata.GetObjectAsync(repositoryId, entry.Id, cancellationToken).ConfigureAwait(false);
                    if (manifestObject is not { Kind: FrameKind.Manifest } m)
                    {
                        return $"the manifest of file '{path}' ({entry.Id}) is missing on the server";
                    }

                    var manifest = FileManifest.Decode(m.Data.Span, entry.Id);
                    if (manifest.Size != entry.Size)
                    {
                        return $"file '{path}' is {entry.Size} bytes in its tree but {manifest.Size} in its manifest";
                    }

                    foreach (var chunk in manifest.Chunks)
                    {
                        if (chunkSeen.Add(chunk.Id))
                        {
                            chunkIds.Add(chunk.Id);
                        }
                    }
                }
            }

            verified.Add(item.Id);
        }

        return null;
    }

    private async Task ExcludeTreeAsync(long repositoryId, ObjectId rootId, HashSet<ObjectId> excluded, CancellationToken cancellationToken)
    {
        var trees = new Stack<ObjectId>();
        trees.Push(rootId);
        while (trees.TryPop(out var id))
        {
            if (!excluded.Add(id))
            {
                continue;
            }

            var treeObject = await _metadata.GetObjectAsync(repositoryId, id, cancellationToken).ConfigureAwait(false);
            if (treeObject is not { Kind: FrameKind.Tree } t)
            {
                continue;
            }

            foreach (var entry in Tree.Decode(t.Data.Span, id).Entries)
            {
                if (entry.Kind == TreeEntryKind.Directory)
                {
                    trees.Push(entry.Id);
                }
                else if (entry.Kind == TreeEntryKind.File)
                {
                    excluded.Add(entry.Id);
                }
            }
        }
    }

    private async Task<Commit?> GetCommitAsync(long repositoryId, ObjectId id, CancellationToken cancellationToken)
    {
        var o = await _metadata.GetObjectAsync(repositoryId, id, cancellationToken).ConfigureAwait(false);
        return o is { Kind: FrameKind.Commit } c ? Commit.Decode(c.Data.Span, id) : null;
    }

    private async Task<MetadataObject> RequireAsync(long repositoryId, ObjectId id, FrameKind kind, CancellationToken cancellationToken)
    {
        var o = await _metadata.GetObjectAsync(repositoryId, id, cancellationToken).ConfigureAwait(false);
        return o is { } found && found.Kind == kind
            ? found
            : throw new ObjectNotFoundException($"{kind.ToString().ToLowerInvariant()} {id.ToShortString()} is missing on the server");
    }
}
