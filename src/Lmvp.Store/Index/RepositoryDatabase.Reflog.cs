using Lmvp.Store.Refs;

namespace Lmvp.Store.Index;

/// <summary>The reflog: every change of a ref (and of what HEAD points at), written in the same transaction as the change.</summary>
/// <remarks>Entries are kept after their ref is deleted, so a deleted branch's commits stay reachable for gc until the entries expire.
/// The message comes from the operation under way (<see cref="ReflogMessage"/>); a change made outside one is logged as "update".</remarks>
internal sealed partial class RepositoryDatabase
{
    private const string ReflogSchema = """
        CREATE TABLE IF NOT EXISTS reflog(seq INTEGER PRIMARY KEY, ref TEXT NOT NULL, old BLOB, new BLOB, time INTEGER NOT NULL, message TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS reflog_by_ref ON reflog(ref, seq);
        """;

    private string? _reflogMessage;

    /// <summary>Logs the ref changes made until the result is disposed with <paramref name="message"/> ("commit: epoch 3").</summary>
    public IDisposable ReflogMessage(string message)
    {
        var previous = _reflogMessage;
        _reflogMessage = message;
        return new Scope(() => _reflogMessage = previous);
    }

    /// <summary>The message in force, or <paramref name="fallback"/>.</summary>
    public string CurrentReflogMessage(string fallback = "update") => _reflogMessage ?? fallback;

    /// <summary>Records that <paramref name="name"/> went from <paramref name="old"/> to <paramref name="target"/> (null: did not exist / was
    /// deleted); when HEAD is on that branch, HEAD's move too.</summary>
    private void LogRefChange(string name, ObjectId? old, ObjectId? target)
    {
        if (old == target)
        {
            return;
        }

        var message = CurrentReflogMessage();
        AppendReflog(name, old, target, message);
        if (GetMeta(LocalRefs.HeadKey) == LocalRefs.SymbolicPrefix + name)
        {
            AppendReflog(LocalRefs.HeadKey, old, target, message);
        }
    }

    /// <summary>Appends one entry, stamped now.</summary>
    public void AppendReflog(string name, ObjectId? old, ObjectId? target, string message) =>
        NonQuery("INSERT INTO reflog(ref, old, new, time, message) VALUES($r, $o, $n, $t, $m)", ("$r", name), ("$o", (object?)old?.ToArray() ?? DBNull.Value),
            ("$n", (object?)target?.ToArray() ?? DBNull.Value), ("$t", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), ("$m", message));

    /// <summary>Entries of <paramref name="name"/> (every ref when null), newest first, at most <paramref name="limit"/>.</summary>
    public IReadOnlyList<ReflogEntry> ListReflog(string? name, int limit)
    {
        using var cmd = Command("SELECT ref, old, new, time, message FROM reflog WHERE $r IS NULL OR ref = $r ORDER BY seq DESC LIMIT $l",
            ("$r", (object?)name ?? DBNull.Value), ("$l", limit));
        using var r = cmd.ExecuteReader();
        var list = new List<ReflogEntry>();
        while (r.Read())
        {
            list.Add(new ReflogEntry(r.GetString(0), r.IsDBNull(1) ? null : new ObjectId((byte[])r[1]), r.IsDBNull(2) ? null : new ObjectId((byte[])r[2]),
                DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(3)), r.GetString(4)));
        }

        return list;
    }

    /// <summary>True when <paramref name="name"/> has reflog entries.</summary>
    public bool HasReflog(string name)
    {
        using var cmd = Command("SELECT 1 FROM reflog WHERE ref = $r LIMIT 1", ("$r", name));
        return cmd.ExecuteScalar() is not null;
    }

    /// <summary>Every commit an entry stamped at or after <paramref name="since"/> names, each once, with the ref it was logged under.</summary>
    public IReadOnlyList<KeyValuePair<string, ObjectId>> ListReflogTargets(DateTimeOffset since)
    {
        using var cmd = Command("SELECT ref, old, new FROM reflog WHERE time >= $t ORDER BY seq", ("$t", since.ToUnixTimeMilliseconds()));
        using var r = cmd.ExecuteReader();
        var seen = new HashSet<ObjectId>();
        var list = new List<KeyValuePair<string, ObjectId>>();
        while (r.Read())
        {
            for (var i = 1; i <= 2; i++)
            {
                if (!r.IsDBNull(i) && new ObjectId((byte[])r[i]) is var id && seen.Add(id))
                {
                    list.Add(new(r.GetString(0), id));
                }
            }
        }

        return list;
    }

    /// <summary>Deletes the entries stamped before <paramref name="before"/>; how many.</summary>
    public int ExpireReflog(DateTimeOffset before) => NonQuery("DELETE FROM reflog WHERE time < $t", ("$t", before.ToUnixTimeMilliseconds()));

    private sealed class Scope(Action end) : IDisposable
    {
        public void Dispose() => end();
    }
}
