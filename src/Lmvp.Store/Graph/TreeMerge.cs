namespace Lmvp.Store.Graph;

/// <summary>The three-way merge of two snapshots, file by file: ours where only we changed a path, theirs where only they did.</summary>
internal static class TreeMerge
{
    /// <summary>The merged files in path order, and the paths both sides changed differently (the merge fails when there are any).</summary>
    public static (List<(string Path, TreeEntry Entry)> Merged, List<string> Conflicts) Merge(IReadOnlyDictionary<string, TreeEntry> baseFiles,
        IReadOnlyDictionary<string, TreeEntry> ours, IReadOnlyDictionary<string, TreeEntry> theirs)
    {
        var merged = new List<(string Path, TreeEntry Entry)>();
        var conflicts = new List<string>();
        foreach (var path in ours.Keys.Union(theirs.Keys).Order(StringComparer.Ordinal))
        {
            var o = ours.GetValueOrDefault(path);
            var t = theirs.GetValueOrDefault(path);
            var a = baseFiles.GetValueOrDefault(path);
            TreeEntry? pick;
            if (Same(o, t) || Same(t, a))
            {
                pick = o;
            }
            else if (Same(o, a))
            {
                pick = t;
            }
            else
            {
                conflicts.Add(path);
                continue;
            }

            if (pick is not null)
            {
                merged.Add((path, pick));
            }
        }

        return (merged, conflicts);

        static bool Same(TreeEntry? x, TreeEntry? y) => x is null ? y is null : y is not null && x.SameContent(y);
    }
}
