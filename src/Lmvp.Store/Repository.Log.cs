using Lmvp.Store.Graph;

namespace Lmvp.Store;

public sealed partial class Repository
{
    /// <summary>Commits reachable from <paramref name="revision"/>, newest first (by time, then id).</summary>
    public IEnumerable<Commit> Log(string revision = "HEAD") => History.Walk(_store, ResolveCommit(revision));

    /// <summary>True when <paramref name="ancestor"/> is reachable from <paramref name="descendant"/> (or equal to it).</summary>
    public bool IsAncestor(ObjectId ancestor, ObjectId descendant) => History.IsAncestor(_store, ancestor, descendant);

    /// <summary>Counts commits reachable from <paramref name="local"/> but not <paramref name="upstream"/>, and the reverse.</summary>
    public (int Ahead, int Behind) CountAheadBehind(ObjectId local, ObjectId upstream) => History.CountAheadBehind(_store, local, upstream);
}
