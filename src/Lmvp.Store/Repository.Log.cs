namespace Lmvp.Store;

public sealed partial class Repository
{
    /// <summary>Commits reachable from <paramref name="revision"/>, newest first (by time, then id).</summary>
    public IEnumerable<Commit> Log(string revision = "HEAD")
    {
        var start = ResolveCommit(revision);
        return Walk(start);
    }

    /// <summary>True when <paramref name="ancestor"/> is reachable from <paramref name="descendant"/> (or equal to it).</summary>
    public bool IsAncestor(ObjectId ancestor, ObjectId descendant)
    {
        foreach (var c in Walk(descendant))
        {
            if (c.Id == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Counts commits reachable from <paramref name="local"/> but not <paramref name="upstream"/>, and the reverse.</summary>
    public (int Ahead, int Behind) CountAheadBehind(ObjectId local, ObjectId upstream)
    {
        var fromLocal = Walk(local).Select(c => c.Id).ToHashSet();
        var fromUpstream = Walk(upstream).Select(c => c.Id).ToHashSet();
        return (fromLocal.Count(id => !fromUpstream.Contains(id)), fromUpstream.Count(id => !fromLocal.Contains(id)));
    }

    internal IEnumerable<Commit> Walk(ObjectId start)
    {
        var seen = new HashSet<ObjectId> { start };
        var queue = new PriorityQueue<Commit, (long, ObjectId)>(Comparer<(long, ObjectId)>.Create((a, b) =>
        {
            var c = b.Item1.CompareTo(a.Item1);
            return c != 0 ? c : b.Item2.CompareTo(a.Item2);
        }));
        var first = _store.GetCommit(start);
        queue.Enqueue(first, (first.Time.ToUnixTimeMilliseconds(), first.Id));
        while (queue.TryDequeue(out var commit, out _))
        {
            yield return commit;
            foreach (var p in commit.Parents)
            {
                if (seen.Add(p) && _store.TryGetCommit(p, out var parent))
                {
                    queue.Enqueue(parent!, (parent!.Time.ToUnixTimeMilliseconds(), parent.Id));
                }
            }
        }
    }
}
