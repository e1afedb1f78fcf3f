namespace Lmvp.Store.Graph;

/// <summary>The nested trees of a snapshot, built from its files' slash-separated paths: what <c>lmvp commit</c> stores, and what
/// lmvp-server stores for a commit made over its API.</summary>
public static class SnapshotTrees
{
    /// <summary>Builds the trees for <paramref name="files"/> (any order), hands each to <paramref name="store"/>, children before
    /// their parents, and returns the root. An entry's name is taken from the last part of its path.</summary>
    /// <exception cref="ArgumentException">A path has an empty or invalid part, names a file and a directory at once, or repeats.</exception>
    public static Tree Build(IEnumerable<(string Path, TreeEntry Entry)> files, Action<Tree> store)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(store);
        var root = new DirectoryNode();
        foreach (var (path, entry) in files)
        {
            var node = root;
            var parts = path.Split('/');
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (!Tree.IsValidName(parts[i]))
                {
                    throw new ArgumentException($"'{path}' is not a valid path: '{parts[i]}' cannot be a directory name.", nameof(files));
                }

                if (!node.Children.TryGetValue(parts[i], out var child))
                {
                    child = new DirectoryNode();
                    node.Children[parts[i]] = child;
                }

                node = child;
            }

            node.Entries.Add(entry.Name == parts[^1] ? entry : entry with { Name = parts[^1] });
        }

        return Store(root, store);
    }

    private static Tree Store(DirectoryNode node, Action<Tree> store)
    {
        var list = new List<TreeEntry>(node.Entries);
        foreach (var (name, child) in node.Children)
        {
            list.Add(new TreeEntry(name, TreeEntryKind.Directory, false, 0, Store(child, store).Id));
        }

        var tree = Tree.Create(list); // refuses a name that is both a file and a directory, as a duplicate
        store(tree);
        return tree;
    }

    private sealed class DirectoryNode
    {
        public Dictionary<string, DirectoryNode> Children { get; } = new(StringComparer.Ordinal);

        public List<TreeEntry> Entries { get; } = [];
    }
}
