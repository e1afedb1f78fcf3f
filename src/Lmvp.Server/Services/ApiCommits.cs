using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Graph;
using Lmvp.Store.Protocol;

namespace Lmvp.Server.Services;

/// <summary>What a commit made over the API changes: files to add or replace (by id, already stored), paths to delete.</summary>
/// <param name="Files">Paths and the files they hold after the commit.</param>
/// <param name="Deletes">Paths (files, or directories with everything under them) that go.</param>
internal sealed record SnapshotChanges(IReadOnlyList<(string Path, TreeEntry Entry)> Files, IReadOnlyList<string> Deletes);

/// <summary>How a commit request ended.</summary>
/// <param name="Move">The branch's move (Moved, or why not).</param>
/// <param name="Commit">The new commit, when the branch moved.</param>
internal sealed record ApiCommitOutcome(RefMove Move, Commit? Commit);

/// <summary>Makes a commit on a branch from the branch's snapshot and a set of changes, for clients that cannot build objects
/// themselves: trees are built by the same code as <c>lmvp commit</c>, and the branch moves by the same policy as a push
/// (compare-and-swap from the head the client saw, the whole closure present).</summary>
internal sealed class ApiCommits(IObjectStore objects, RefUpdates refUpdates)
{
    /// <summary>Commits <paramref name="changes"/> on top of <paramref name="parent"/> (null for a branch's first commit) and moves
    /// <paramref name="branch"/> from <paramref name="parent"/> to it; nothing changes unless the branch still holds the parent.</summary>
    /// <exception cref="ArgumentException">A change is impossible (a path not in the snapshot, an invalid path).</exception>
    public async Task<ApiCommitOutcome> CommitAsync(RepositoryGraph graph, string branch, Commit? parent, SnapshotChanges changes, string author,
        DateTimeOffset time, string message, IEnumerable<KeyValuePair<string, double>> metrics, IEnumerable<KeyValuePair<string, ParamValue>> parameters,
        Provenance? provenance, bool allowEmpty, RefActor actor, CancellationToken cancellationToken)
    {
        var files = parent is null
            ? new Dictionary<string, TreeEntry>(StringComparer.Ordinal)
            : await TreeWalk.ToDictionaryAsync(graph, parent.TreeId, cancellationToken).ConfigureAwait(false);
        foreach (var path in changes.Deletes)
        {
            if (files.Remove(path))
            {
                continue;
            }

            var under = path.TrimEnd('/') + "/";
            var inside = files.Keys.Where(k => k.StartsWith(under, StringComparison.Ordinal)).ToList();
            if (inside.Count == 0)
            {
                throw new ArgumentException($"cannot delete '{path}': "
                    + (parent is null ? "the branch has no files yet" : $"no such file or directory in {parent.Id.ToShortString()}"));
            }

            inside.ForEach(k => files.Remove(k));
        }

        foreach (var (path, entry) in changes.Files)
        {
            files[path] = entry;
        }

        var trees = new List<Tree>();
        Tree root;
        try
        {
            root = SnapshotTrees.Build(files.Select(f => (f.Key, f.Value)), trees.Add);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(e.Message.TrimEnd('.').Replace(" (Parameter 'files')", "", StringComparison.Ordinal), e);
        }

        if (parent is not null && root.Id == parent.TreeId && !allowEmpty)
        {
            throw new ArgumentException($"nothing to commit: the files would be those of {parent.Id.ToShortString()} (send allowEmpty to commit anyway)");
        }

        var commit = Commit.Create(root.Id, parent is null ? [] : [parent.Id], author, time, message, metrics, provenance, parameters);
        await objects.PutObjectsAsync(graph.Id, Objects(trees, commit), cancellationToken).ConfigureAwait(false);
        var move = await refUpdates.MoveAsync(graph, new RefUpdateRequest(RefName.HeadsPrefix + branch, parent?.Id.ToString(), commit.Id.ToString()), actor,
            cancellationToken).ConfigureAwait(false);
        return new(move, move.Status == RefMoveStatus.Moved ? commit : null);
    }

    private static async IAsyncEnumerable<MetadataObject> Objects(List<Tree> trees, Commit commit)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        foreach (var tree in trees)
        {
            yield return new MetadataObject(tree.Id, ObjectKind.Tree, tree.Encode());
        }

        yield return new MetadataObject(commit.Id, ObjectKind.Commit, commit.Encode());
    }
}
