namespace Lmvp.Store.WorkingTree;

/// <summary>The one rule for when moving the working tree from one snapshot to another would lose a local change.</summary>
/// <remarks>As git does: a local change conflicts only where the two snapshots differ; elsewhere it is carried over. A tracked
/// file that was modified or deleted conflicts when the target changes it; an untracked file conflicts when the target puts
/// something at its path, or needs its path for a directory, or replaces a directory holding it with a file.</remarks>
internal static class CheckoutConflicts
{
    /// <summary>The most paths a message lists.</summary>
    public const int MaxListed = 5;

    /// <summary>Paths whose local state moving from <paramref name="current"/> to <paramref name="wanted"/> would destroy, sorted.</summary>
    public static List<string> Find(Dictionary<string, TreeEntry> current, Dictionary<string, TreeEntry> wanted, Dictionary<string, TreeEntry> working)
    {
        var conflicts = new List<string>();
        foreach (var (path, entry) in current)
        {
            var changedHere = !working.TryGetValue(path, out var w) || !w.SameContent(entry);
            var changedThere = !wanted.TryGetValue(path, out var t) || !t.SameContent(entry);
            if (changedHere && changedThere)
            {
                conflicts.Add(path);
            }
        }

        foreach (var (path, entry) in wanted)
        {
            if (!current.ContainsKey(path) && working.TryGetValue(path, out var w) && !w.SameContent(entry))
            {
                conflicts.Add(path);
            }
        }

        conflicts.AddRange(UntrackedInTheWay(wanted, current, working));
        conflicts.Sort(StringComparer.Ordinal);
        return conflicts;
    }

    /// <summary>"a, b, c (+2 more)": the first paths of a list, for a one-line message.</summary>
    public static string List(IReadOnlyList<string> paths) =>
        string.Join(", ", paths.Take(MaxListed)) + (paths.Count > MaxListed ? $" (+{paths.Count - MaxListed} more)" : "");

    /// <summary>Untracked files that writing <paramref name="wanted"/> would delete: a file where the target has a directory,
    /// or a file inside a directory the target replaces with a file.</summary>
    private static IEnumerable<string> UntrackedInTheWay(Dictionary<string, TreeEntry> wanted, Dictionary<string, TreeEntry> current,
        Dictionary<string, TreeEntry> working)
    {
        var wantedDirectories = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in wanted.Keys)
        {
            for (var slash = path.IndexOf('/', StringComparison.Ordinal); slash > 0; slash = path.IndexOf('/', slash + 1))
            {
                wantedDirectories.Add(path[..slash]);
            }
        }

        foreach (var path in working.Keys)
        {
            if (current.ContainsKey(path) || wanted.ContainsKey(path))
            {
                continue; // tracked, or overwritten by a file: checked by the caller
            }

            var inTheWay = wantedDirectories.Contains(path);
            for (var slash = path.IndexOf('/', StringComparison.Ordinal); !inTheWay && slash > 0; slash = path.IndexOf('/', slash + 1))
            {
                inTheWay = wanted.ContainsKey(path[..slash]);
            }

            if (inTheWay)
            {
                yield return path;
            }
        }
    }

}
