using System.Runtime.CompilerServices;
using Lmvp.Store.Objects;

namespace Lmvp.Store.Graph;

/// <summary>The files of a snapshot: a tree walked recursively, and one path looked up.</summary>
public static class TreeWalk
{
    /// <summary>Every file and symlink under <paramref name="treeId"/> with its slash-separated path, in path order.</summary>
    /// <remarks>Paths longer than <see cref="Tree.MaxPathBytes"/> are refused as corrupt: no file system could hold them, and
    /// bounding the length bounds the depth, so a hostile chain of nested trees cannot exhaust memory or time.</remarks>
    /// <exception cref="ObjectNotFoundException">A tree is not in the source.</exception>
    public static async IAsyncEnumerable<KeyValuePair<string, TreeEntry>> FlattenAsync(IObjectSource source, ObjectId treeId,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var pending = new Stack<(ObjectId Tree, string Prefix, int Next, IReadOnlyList<TreeEntry> Entries)>();
        pending.Push((treeId, "", 0, (await RequireTreeAsync(source, treeId, cancellationToken).ConfigureAwait(false)).Entries));
        while (pending.TryPop(out var frame))
        {
            for (var i = frame.Next; i < frame.Entries.Count; i++)
            {
                var e = frame.Entries[i];
                var path = frame.Prefix.Length == 0 ? e.Name : frame.Prefix + "/" + e.Name;
                if (System.Text.Encoding.UTF8.GetByteCount(path) > Tree.MaxPathBytes)
                {
                    throw new CorruptObjectException($"Tree {frame.Tree.ToShortString()} leads to a path longer than {Tree.MaxPathBytes} bytes "
                        + $"('{CanonicalReader.Printable(path[..Math.Min(path.Length, 60)])}...'): nested too deep to check out.");
                }

                if (e.Kind == TreeEntryKind.Directory)
                {
                    // Depth first, in name order: finish this directory after the one it contains.
                    pending.Push(frame with { Next = i + 1 });
                    pending.Push((e.Id, path, 0, (await RequireTreeAsync(source, e.Id, cancellationToken).ConfigureAwait(false)).Entries));
                    break;
                }

                yield return new(path, e);
            }
        }
    }

    /// <summary>The synchronous form of <see cref="FlattenAsync"/>.</summary>
    public static IEnumerable<KeyValuePair<string, TreeEntry>> Flatten(IObjectSource source, ObjectId treeId) => Synchronously.Enumerate(FlattenAsync(source, treeId));

    /// <summary>The files of <paramref name="treeId"/> by path.</summary>
    public static async ValueTask<Dictionary<string, TreeEntry>> ToDictionaryAsync(IObjectSource source, ObjectId treeId, CancellationToken cancellationToken = default)
    {
        var map = new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        await foreach (var (path, entry) in FlattenAsync(source, treeId, cancellationToken).ConfigureAwait(false))
        {
            map[path] = entry;
        }

        return map;
    }

    /// <summary>The entry at <paramref name="path"/> under <paramref name="rootTree"/> ("" is the root itself), or null.</summary>
    public static async ValueTask<TreeEntry?> FindEntryAsync(IObjectSource source, ObjectId rootTree, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(path);
        var current = new TreeEntry("", TreeEntryKind.Directory, false, 0, rootTree);
        if (path.Length == 0)
        {
            return current;
        }

        foreach (var part in path.Split('/'))
        {
            if (current.Kind != TreeEntryKind.Directory || part.Length == 0)
            {
                return null;
            }

            var tree = await RequireTreeAsync(source, current.Id, cancellationToken).ConfigureAwait(false);
            if (tree.Find(part) is not { } next)
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    internal static async ValueTask<Tree> RequireTreeAsync(IObjectSource source, ObjectId id, CancellationToken cancellationToken) =>
        await source.FindTreeAsync(id, cancellationToken).ConfigureAwait(false) ?? throw new ObjectNotFoundException($"Tree {id.ToShortString()} not found.");
}
