using System.Runtime.CompilerServices;

namespace Lmvp.Store.Graph;

/// <summary>The commits reachable from a commit, newest first, and what follows from them: ancestry, merge bases,
/// ahead and behind counts.</summary>
/// <remarks>The order is <c>lmvp log</c>'s: by commit time, newest first, ties by id; each commit once. A parent the source
/// does not hold ends that line of history (a shallow or partly pushed history), a missing start is an error.</remarks>
public static class History
{
    /// <summary>Commits reachable from <paramref name="start"/>, newest first, read as the caller enumerates.</summary>
    /// <exception cref="ObjectNotFoundException"><paramref name="start"/> is not in the source.</exception>
    public static async IAsyncEnumerable<Commit> WalkAsync(IObjectSource source, ObjectId start, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var seen = new HashSet<ObjectId> { start };
        var queue = new PriorityQueue<Commit, (long Time, ObjectId Id)>(NewestFirst);
        var first = await source.FindCommitAsync(start, cancellationToken).ConfigureAwait(false)
            ?? throw new ObjectNotFoundException($"Commit {start.ToShortString()} not found.");
        queue.Enqueue(first, (first.Time.ToUnixTimeMilliseconds(), first.Id));
        while (queue.TryDequeue(out var commit, out _))
        {
            yield return commit;
            foreach (var p in commit.Parents)
            {
                if (seen.Add(p) && await source.FindCommitAsync(p, cancellationToken).ConfigureAwait(false) is { } parent)
                {
                    queue.Enqueue(parent, (parent.Time.ToUnixTimeMilliseconds(), parent.Id));
                }
            }
        }
    }

    /// <summary>The synchronous form of <see cref="WalkAsync"/>.</summary>
    public static IEnumerable<Commit> Walk(IObjectSource source, ObjectId start) => Synchronously.Enumerate(WalkAsync(source, start));

    /// <summary>True when <paramref name="ancestor"/> is <paramref name="descendant"/> or reachable from it.</summary>
    public static async ValueTask<bool> IsAncestorAsync(IObjectSource source, ObjectId ancestor, ObjectId descendant, CancellationToken cancellationToken = default)
    {
        await foreach (var c in WalkAsync(source, descendant, cancellationToken).ConfigureAwait(false))
        {
            if (c.Id == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The synchronous form of <see cref="IsAncestorAsync"/>.</summary>
    public static bool IsAncestor(IObjectSource source, ObjectId ancestor, ObjectId descendant) =>
        Synchronously.Wait(IsAncestorAsync(source, ancestor, descendant));

    /// <summary>Commits reachable from <paramref name="local"/> but not <paramref name="upstream"/>, and the reverse.</summary>
    public static (int Ahead, int Behind) CountAheadBehind(IObjectSource source, ObjectId local, ObjectId upstream)
    {
        var fromLocal = Walk(source, local).Select(c => c.Id).ToHashSet();
        var fromUpstream = Walk(source, upstream).Select(c => c.Id).ToHashSet();
        return (fromLocal.Count(id => !fromUpstream.Contains(id)), fromUpstream.Count(id => !fromLocal.Contains(id)));
    }

    /// <summary>The newest commit both reach, or null when their histories share nothing.</summary>
    public static ObjectId? MergeBase(IObjectSource source, ObjectId a, ObjectId b)
    {
        var fromA = Walk(source, a).Select(c => c.Id).ToHashSet();
        foreach (var c in Walk(source, b))
        {
            if (fromA.Contains(c.Id))
            {
                return c.Id;
            }
        }

        return null;
    }

    private static readonly IComparer<(long Time, ObjectId Id)> NewestFirst = Comparer<(long Time, ObjectId Id)>.Create((a, b) =>
    {
        var c = b.Time.CompareTo(a.Time);
        return c != 0 ? c : b.Id.CompareTo(a.Id);
    });
}
