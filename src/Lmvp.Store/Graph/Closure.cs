using System.Runtime.CompilerServices;

namespace Lmvp.Store.Graph;

/// <summary>What one side of a sync lacks: the commits, trees and manifests reachable from some commits and not from others.</summary>
/// <remarks>
/// The receiver is taken to hold every <c>have</c> commit completely: their ancestors are not sent, nor the trees and files
/// of the <c>have</c> commits themselves. Unknown <c>have</c> ids are ignored. A push plans with it (want: the new commits,
/// have: the server's refs) and the server answers a fetch with it (want and have from the client).
/// </remarks>
public static class Closure
{
    /// <summary>Every object reachable from <paramref name="want"/> and not held by a side that has <paramref name="have"/>, each once.</summary>
    /// <exception cref="ObjectNotFoundException">Something reachable from <paramref name="want"/> is not in the source.</exception>
    /// <exception cref="CorruptObjectException">Something reachable is damaged in the source.</exception>
    public static async IAsyncEnumerable<GraphNode> ObjectsAsync(IObjectSource source, IEnumerable<ObjectId> want, IEnumerable<ObjectId> have,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(want);
        ArgumentNullException.ThrowIfNull(have);
        var haveCommits = new HashSet<ObjectId>();
        var held = new HashSet<ObjectId>();
        var ancestors = new Stack<ObjectId>();
        foreach (var id in have)
        {
            if (!haveCommits.Contains(id) && await source.FindCommitAsync(id, cancellationToken).ConfigureAwait(false) is { } commit)
            {
                await MarkHeldTreeAsync(source, commit.TreeId, held, cancellationToken).ConfigureAwait(false);
                ancestors.Push(id);
            }
        }

        while (ancestors.TryPop(out var id))
        {
            if (haveCommits.Add(id) && await source.FindCommitAsync(id, cancellationToken).ConfigureAwait(false) is { } commit)
            {
                foreach (var parent in commit.Parents)
                {
                    ancestors.Push(parent);
                }
            }
        }

        var walker = new GraphWalker(source)
        {
            Skip = (id, kind, _) => new(kind == ObjectKind.Commit ? haveCommits.Contains(id) : held.Contains(id)),
        };
        await foreach (var node in walker.WalkAsync(want, cancellationToken).ConfigureAwait(false))
        {
            if (node.IsMissing)
            {
                throw node.Problem == GraphNode.Absent
                    ? new ObjectNotFoundException($"{Describe(node.Kind)} {node.Id.ToShortString()} ({node.Where}) is missing.")
                    : new CorruptObjectException($"{Describe(node.Kind)} {node.Id.ToShortString()} ({node.Where}) is damaged: {node.Problem}");
            }

            yield return node;
        }
    }

    /// <summary>The synchronous form of <see cref="ObjectsAsync"/>.</summary>
    public static IEnumerable<GraphNode> Objects(IObjectSource source, IEnumerable<ObjectId> want, IEnumerable<ObjectId> have) =>
        Synchronously.Enumerate(ObjectsAsync(source, want, have));

    /// <summary>"commit", "tree" or "file" (a manifest is a file to a person).</summary>
    public static string Describe(ObjectKind kind) => kind switch
    {
        ObjectKind.Manifest => "file",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>Adds a held tree, its subtrees and its files to <paramref name="held"/>.</summary>
    private static async ValueTask MarkHeldTreeAsync(IObjectSource source, ObjectId root, HashSet<ObjectId> held, CancellationToken cancellationToken)
    {
        var pending = new Stack<ObjectId>();
        pending.Push(root);
        while (pending.TryPop(out var id))
        {
            if (!held.Add(id) || await source.FindTreeAsync(id, cancellationToken).ConfigureAwait(false) is not { } tree)
            {
                continue;
            }

            foreach (var e in tree.Entries)
            {
                if (e.Kind == TreeEntryKind.Directory)
                {
                    pending.Push(e.Id);
                }
                else if (e.Kind == TreeEntryKind.File)
                {
                    held.Add(e.Id);
                }
            }
        }
    }
}
