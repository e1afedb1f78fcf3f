using Lmvp.Store.Packs;

namespace Lmvp.Store.Objects;

/// <summary>Builds the nested trees of a snapshot from its files' paths and stores each through a writer.</summary>
internal static class TreeBuilder
{
    /// <summary>Builds and stores the nested trees for a sorted list of paths; returns the root.</summary>
    public static Tree Build(List<(string Path, TreeEntry Entry)> entries, ObjectWriter writer)
    {
        var root = new DirectoryNode();
        foreach (var (path, entry) in entries)
        {
            var node = root;
            var parts = path.Split('/');
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (!node.Children.TryGetValue(parts[i], out var child))
                {
                    child = new DirectoryNode();
                    node.Children[parts[i]] = child;
                }

                node = child;
            }

            node.Entries.Add(entry);
        }

        return Store(root, writer);

        static Tree Store(DirectoryNode node, ObjectWriter writer)
        {
            var list = new List<TreeEntry>(node.Entries);
            foreach (var (name, child) in node.Children)
            {
                var tree = Store(child, writer);
                list.Add(new TreeEntry(name, TreeEntryKind.Directory, false, 0, tree.Id));
            }

            var result = Tree.Create(list);
            writer.PutObject(ObjectKind.Tree, result.Id, result.Encoded);
            return result;
        }
    }

    private sealed class DirectoryNode
    {
        public Dictionary<string, DirectoryNode> Children { get; } = new(StringComparer.Ordinal);

        public List<TreeEntry> Entries { get; } = [];
    }
}
