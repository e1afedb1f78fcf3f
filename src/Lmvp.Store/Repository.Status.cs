using Lmvp.Store.Index;
using Lmvp.Store.WorkingTree;

namespace Lmvp.Store;

/// <summary>How a path differs between two snapshots.</summary>
public enum FileChangeKind
{
    /// <summary>Present only on the newer side.</summary>
    Added,

    /// <summary>Present on both sides with different content, type or executable bit.</summary>
    Modified,

    /// <summary>Present only on the older side.</summary>
    Deleted,
}

/// <summary>One changed path in the working tree.</summary>
public sealed record StatusEntry(string Path, FileChangeKind Change);

/// <summary>A path that snapshots leave out, and why.</summary>
/// <param name="Path">Slash-separated, relative to the root; a directory's ends with '/'.</param>
/// <param name="Reason">"tracked by git", or the ignore rule: ".lmvpignore:3: *.tmp".</param>
public sealed record IgnoredEntry(string Path, string Reason);

/// <summary>The working tree compared with HEAD.</summary>
public sealed record WorkingTreeStatus(IReadOnlyList<StatusEntry> Entries)
{
    /// <summary>True when nothing differs from HEAD.</summary>
    public bool IsClean => Entries.Count == 0;

    /// <summary>What snapshots leave out, when asked for (<c>.lmvp</c> and <c>.git</c> are never listed).</summary>
    public IReadOnlyList<IgnoredEntry> Ignored { get; init; } = [];
}

public sealed partial class Repository
{
    /// <summary>The setting that makes snapshots include files git tracks (off by default: git versions them, and each
    /// commit records the git commit and the names of dirty files).</summary>
    public const string IncludeGitTrackedKey = "snapshot.includeGitTracked";

    /// <summary>Compares the working tree with HEAD; files whose stat is unchanged are not read.</summary>
    public WorkingTreeStatus GetStatus(CancellationToken cancellationToken = default) => GetStatus(listIgnored: false, cancellationToken);

    /// <summary>Compares the working tree with HEAD, and with <paramref name="listIgnored"/> lists what snapshots leave out and why.</summary>
    /// <remarks>Files git tracks are left to git (unless <see cref="IncludeGitTrackedKey"/> is true): they are neither new,
    /// modified nor deleted here, even where an older commit holds them.</remarks>
    public WorkingTreeStatus GetStatus(bool listIgnored, CancellationToken cancellationToken)
    {
        var rules = LoadIgnoreRules();
        var head = Head;
        var headFiles = head is { } h ? FlattenCommit(h, rules) : new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        var ignored = listIgnored ? new List<IgnoredPath>() : null;
        var scan = ScanWithIds(rules, cancellationToken, ignored);
        var entries = new List<StatusEntry>();
        foreach (var (path, entry) in scan)
        {
            if (!headFiles.TryGetValue(path, out var old))
            {
                entries.Add(new StatusEntry(path, FileChangeKind.Added));
            }
            else if (!SameContent(old, entry))
            {
                entries.Add(new StatusEntry(path, FileChangeKind.Modified));
            }
        }

        foreach (var path in headFiles.Keys)
        {
            if (!scan.ContainsKey(path))
            {
                entries.Add(new StatusEntry(path, FileChangeKind.Deleted));
            }
        }

        entries.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return new WorkingTreeStatus(entries) { Ignored = ignored?.Select(i => new IgnoredEntry(i.Path, i.Reason)).ToList() ?? [] };
    }

    /// <summary>.lmvpignore, plus the files git tracks unless <see cref="IncludeGitTrackedKey"/> is true.</summary>
    internal IgnoreRules LoadIgnoreRules()
    {
        var rules = IgnoreRules.Load(WorkingDirectory);
        return IsTrue(GetConfig(IncludeGitTrackedKey)) ? rules : rules.WithGitTracked(Git.GitInfo.TrackedFiles(WorkingDirectory));
    }

    /// <summary>A commit's files without those the rules leave to git: checkout neither writes nor removes them.</summary>
    internal Dictionary<string, TreeEntry> FlattenCommit(ObjectId commitId, IgnoreRules rules)
    {
        var map = FlattenCommit(commitId);
        map.Keys.Where(rules.IsGitTracked).ToList().ForEach(path => map.Remove(path));
        return map;
    }

    /// <summary>true, yes, on or 1 (any case), as git reads a boolean setting.</summary>
    internal static bool IsTrue(string? value) => value?.Trim().ToLowerInvariant() is "true" or "yes" or "on" or "1";

    internal static bool SameContent(TreeEntry a, TreeEntry b) =>
        a.Kind == b.Kind && a.Id == b.Id && a.IsExecutable == b.IsExecutable && a.LinkTarget == b.LinkTarget;

    internal Dictionary<string, TreeEntry> FlattenCommit(ObjectId commitId)
    {
        var map = new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        foreach (var (path, entry) in _store.Flatten(_store.GetCommit(commitId).TreeId))
        {
            map[path] = entry;
        }

        return map;
    }

    /// <summary>Every working-tree file with its id: from the stat cache where the stat is unchanged, else by hashing it.</summary>
    /// <remarks>Files hashed here whose mtime is outside the racy window are added to the stat cache, as git refreshes its index.</remarks>
    internal Dictionary<string, TreeEntry> ScanWithIds(IgnoreRules rules, CancellationToken cancellationToken, List<IgnoredPath>? ignored = null)
    {
        var files = WorkingTreeScanner.Scan(WorkingDirectory, rules, cancellationToken, ignored);
        var cache = _database.LoadStatCache();
        var result = new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        var refreshed = false;
        var now = DateTimeOffset.UtcNow;
        foreach (var f in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = f.Path[(f.Path.LastIndexOf('/') + 1)..];
            if (f.Stat.IsSymlink)
            {
                var target = f.LinkTarget ?? "";
                var bytes = System.Text.Encoding.UTF8.GetBytes(target);
                result[f.Path] = new TreeEntry(name, TreeEntryKind.Symlink, false, bytes.Length, ObjectId.Compute(bytes), target);
                continue;
            }

            ObjectId id;
            if (cache.TryGetValue(f.Path, out var c) && Matches(c, f.Stat))
            {
                id = c.FileId;
            }
            else
            {
                id = HashFile(f.FullPath, cancellationToken);
                if (now - DateTimeOffset.FromUnixTimeMilliseconds(f.Stat.MtimeNs / 1_000_000) > RacyWindow && _store.HasManifest(id))
                {
                    cache[f.Path] = StatCacheEntry.Of(f.Stat, id);
                    refreshed = true;
                }
            }

            result[f.Path] = new TreeEntry(name, TreeEntryKind.File, f.Stat.IsExecutable, f.Stat.Size, id);
        }

        if (refreshed)
        {
            _database.ReplaceStatCache(cache.Where(kv => result.ContainsKey(kv.Key)));
        }

        return result;
    }

    internal static ObjectId HashFile(string path, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 0, FileOptions.SequentialScan);
        using var hasher = Blake3.Hasher.New();
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            int n;
            while ((n = stream.Read(buffer, 0, 1 << 20)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                hasher.Update(buffer.AsSpan(0, n));
            }
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }

        Span<byte> hash = stackalloc byte[ObjectId.Size];
        hasher.Finalize(hash);
        return new ObjectId(hash);
    }
}
