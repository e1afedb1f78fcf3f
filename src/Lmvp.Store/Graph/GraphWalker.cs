using System.Runtime.CompilerServices;

namespace Lmvp.Store.Graph;

/// <summary>Walks everything reachable from some commits: their parents, trees and files (manifests), each object once.</summary>
/// <remarks>
/// The one walk behind fsck and gc (everything reachable), push planning and the server's closure (what one side lacks),
/// a fetch's completeness check and the server's check before a ref moves. Walks are iterative, so a history of a million
/// commits cannot overflow the stack. Memory grows with the number of distinct commits, trees and files, never with
/// chunks. An object that cannot be read is yielded as missing and the walk goes on around it; a damaged copy counts as
/// missing, with the reason. The visited sets are kept across calls, so several roots walked one after the other share work.
/// Order: a commit, then its whole tree (each directory before what it holds, each file after its directory), then its parents.
/// </remarks>
public sealed class GraphWalker
{
    private readonly IObjectSource _source;

    /// <summary>Creates a walker over <paramref name="source"/>.</summary>
    public GraphWalker(IObjectSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
    }

    /// <summary>Objects not to enter: known present elsewhere with all they reach. A skipped object is neither read nor yielded.</summary>
    public Func<ObjectId, ObjectKind, CancellationToken, ValueTask<bool>>? Skip { get; init; }

    /// <summary>Commits reached (read, missing or skipped).</summary>
    public HashSet<ObjectId> Commits { get; } = [];

    /// <summary>Trees reached.</summary>
    public HashSet<ObjectId> Trees { get; } = [];

    /// <summary>File ids reached.</summary>
    public HashSet<ObjectId> Files { get; } = [];

    /// <summary>Walks from <paramref name="roots"/>, yielding every object reached that was not reached before.</summary>
    public async IAsyncEnumerable<GraphNode> WalkAsync(IEnumerable<ObjectId> roots, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(roots);
        var commits = new Stack<(ObjectId Id, ObjectId? Child)>();
        foreach (var root in roots.Reverse())
        {
            commits.Push((root, null));
        }

        var trees = new Stack<(ObjectId Id, string Path)>();
        while (commits.TryPop(out var next))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!Commits.Add(next.Id) || await SkipAsync(next.Id, ObjectKind.Commit, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var (commit, problem) = await ReadAsync(_source.FindCommitAsync, next.Id, cancellationToken).ConfigureAwait(false);
            yield return new GraphNode(ObjectKind.Commit, next.Id, next.Id, "", next.Child, null, commit, null, null, problem);
            if (commit is null)
            {
                continue;
            }

            trees.Push((commit.TreeId, ""));
            while (trees.TryPop(out var t))
            {
                if (!Trees.Add(t.Id) || await SkipAsync(t.Id, ObjectKind.Tree, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                var (tree, treeProblem) = await ReadAsync(_source.FindTreeAsync, t.Id, cancellationToken).ConfigureAwait(false);
                yield return new GraphNode(ObjectKind.Tree, t.Id, commit.Id, t.Path, null, null, null, tree, null, treeProblem);
                if (tree is null)
                {
                    continue;
                }

                for (var i = tree.Entries.Count - 1; i >= 0; i--)
                {
                    var e = tree.Entries[i];
                    if (e.Kind == TreeEntryKind.Directory)
                    {
                        trees.Push((e.Id, t.Path.Length == 0 ? e.Name : t.Path + "/" + e.Name));
                    }
                }

                foreach (var e in tree.Entries)
                {
                    if (e.Kind != TreeEntryKind.File || !Files.Add(e.Id) || await SkipAsync(e.Id, ObjectKind.Manifest, cancellationToken).ConfigureAwait(false))
                    {
                        continue;
                    }

                    var (manifest, manifestProblem) = await ReadAsync(_source.FindManifestAsync, e.Id, cancellationToken).ConfigureAwait(false);
                    var path = t.Path.Length == 0 ? e.Name : t.Path + "/" + e.Name;
                    yield return new GraphNode(ObjectKind.Manifest, e.Id, commit.Id, path, null, e, null, null, manifest, manifestProblem);
                }
            }

            for (var i = commit.Parents.Count - 1; i >= 0; i--)
            {
                commits.Push((commit.Parents[i], commit.Id));
            }
        }
    }

    /// <summary>The synchronous form of <see cref="WalkAsync"/>.</summary>
    public IEnumerable<GraphNode> Walk(IEnumerable<ObjectId> roots) => Synchronously.Enumerate(WalkAsync(roots));

    private ValueTask<bool> SkipAsync(ObjectId id, ObjectKind kind, CancellationToken cancellationToken) =>
        Skip is null ? new(false) : Skip(id, kind, cancellationToken);

    private static async ValueTask<(T? Value, string? Problem)> ReadAsync<T>(Func<ObjectId, CancellationToken, ValueTask<T?>> find, ObjectId id,
        CancellationToken cancellationToken)
        where T : class
    {
        try
        {
            var value = await find(id, cancellationToken).ConfigureAwait(false);
            return value is null ? (null, GraphNode.Absent) : (value, null);
        }
        catch (CorruptObjectException e)
        {
            return (null, e.Message);
        }
    }
}
