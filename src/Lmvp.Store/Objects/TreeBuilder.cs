using Lmvp.Store.Graph;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Objects;

/// <summary>Builds the nested trees of a snapshot from its files' paths and stores each through a writer.</summary>
internal static class TreeBuilder
{
    /// <summary>Builds and stores the nested trees for a list of paths; returns the root.</summary>
    public static Tree Build(List<(string Path, TreeEntry Entry)> entries, ObjectWriter writer) =>
        SnapshotTrees.Build(entries, tree => writer.PutObject(ObjectKind.Tree, tree.Id, tree.Encoded));
}
