namespace Lmvp.Store.Graph;

/// <summary>One object a <see cref="GraphWalker"/> reached: a commit, tree or file manifest, decoded, or missing.</summary>
/// <param name="Kind">Commit, tree or manifest.</param>
/// <param name="Id">Its id (for a manifest, the file id).</param>
/// <param name="Through">The commit through which it was reached (the commit itself for a commit).</param>
/// <param name="Path">For a tree or file, its slash-separated path in that commit ("" for the root tree); "" for a commit.</param>
/// <param name="ChildOf">For a commit reached as a parent, the child that names it; null for a root of the walk.</param>
/// <param name="Entry">For a file, the tree entry that names it (its size and mode).</param>
/// <param name="Commit">The decoded commit, when <paramref name="Kind"/> is commit and it could be read.</param>
/// <param name="Tree">The decoded tree, likewise.</param>
/// <param name="Manifest">The decoded manifest, likewise.</param>
/// <param name="Problem">Null when the object was read; "missing" when the source does not hold it, else why its copy is unusable.</param>
public sealed record GraphNode(ObjectKind Kind, ObjectId Id, ObjectId Through, string Path, ObjectId? ChildOf, TreeEntry? Entry,
    Commit? Commit, Tree? Tree, FileManifest? Manifest, string? Problem)
{
    /// <summary>The <see cref="Problem"/> of an object the source does not hold.</summary>
    public const string Absent = "missing";

    /// <summary>True when the object could not be read.</summary>
    public bool IsMissing => Problem is not null;

    /// <summary>Who names the object, for a person: "parent of commit 1a2b…", "root tree of commit …", "dir/ in commit …", "a.bin in commit …".</summary>
    public string Where => Kind switch
    {
        ObjectKind.Commit => ChildOf is { } child ? $"parent of commit {child.ToShortString()}" : $"commit {Id.ToShortString()}",
        ObjectKind.Tree when Path.Length == 0 => $"root tree of commit {Through.ToShortString()}",
        ObjectKind.Tree => $"{Path}/ in commit {Through.ToShortString()}",
        _ => $"{Path} in commit {Through.ToShortString()}",
    };
}
