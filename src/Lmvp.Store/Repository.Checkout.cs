using Lmvp.Store.WorkingTree;

namespace Lmvp.Store;

/// <summary>What a checkout or restore did.</summary>
/// <param name="Commit">The commit the files came from.</param>
/// <param name="Branch">The branch HEAD is now on, or null when detached (or for a restore).</param>
/// <param name="FilesWritten">Files and links written.</param>
/// <param name="FilesRemoved">Tracked files removed because the target lacks them.</param>
/// <param name="BytesWritten">Bytes written.</param>
public sealed record CheckoutResult(ObjectId Commit, string? Branch, int FilesWritten, int FilesRemoved, long BytesWritten);

public sealed partial class Repository
{
    /// <summary>Makes the working tree match a commit or branch and moves HEAD there.</summary>
    /// <remarks>Refuses when tracked files have uncommitted changes, or untracked files would be overwritten, unless
    /// <paramref name="force"/>. Each file is written to a temporary name, verified against its id, then renamed, so a
    /// failure never leaves a partly written or corrupt file under a tracked name.</remarks>
    /// <exception cref="WorkingTreeDirtyException">Local changes would be overwritten and <paramref name="force"/> is off.</exception>
    public CheckoutResult Checkout(string revision, bool force = false, IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(revision);
        // "HEAD" on a branch stays on it (git checkout --force HEAD discards changes without detaching).
        var branch = revision == "HEAD" && CurrentBranch is { } onBranch ? onBranch
            : RefName.TryParse(RefName.HeadsPrefix + revision, out var branchRef) && _database.GetRef(branchRef.FullName) is not null ? revision : null;
        var target = ResolveCommit(revision);
        var head = Head;

        // Files git tracks belong to git: a checkout neither writes, removes nor checks them (unless snapshots include them).
        var rules = LoadIgnoreRules();
        var current = head is { } h ? FlattenCommit(h, rules) : new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        var wanted = FlattenCommit(target, rules);
        var writer = new CheckoutWriter(WorkingDirectory, _store, Promised);
        writer.ValidatePaths(wanted.Keys);
        var working = ScanWithIds(rules, cancellationToken);
        if (!force && CheckoutConflicts.Find(current, wanted, working) is { Count: > 0 } conflicts)
        {
            throw new WorkingTreeDirtyException(
                $"Checkout would overwrite uncommitted changes in {CheckoutConflicts.List(conflicts)}; commit them, or use --force to discard them.");
        }

        var removed = 0;
        foreach (var path in current.Keys)
        {
            if (!wanted.ContainsKey(path) && working.ContainsKey(path))
            {
                var full = writer.SafeFullPath(path);
                File.Delete(full);
                removed++;
                writer.RemoveEmptyParents(full);
            }
        }

        var (written, bytes) = writer.WriteEntries(
            wanted.Where(kv => (!working.TryGetValue(kv.Key, out var w) || !w.SameContent(kv.Value))
                && (force || !current.TryGetValue(kv.Key, out var c) || !c.SameContent(kv.Value))),
            progress,
            cancellationToken);
        if (branch is not null)
        {
            SetHeadToBranch(branch);
        }
        else
        {
            SetHeadDetached(target);
        }

        return new CheckoutResult(target, branch, written, removed, bytes);
    }

    /// <summary>Restores paths (files or directories) from <paramref name="sourceRevision"/> (HEAD by default) without moving HEAD.</summary>
    public CheckoutResult Restore(IEnumerable<string> paths, string sourceRevision = "HEAD", IProgress<ProgressInfo>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var source = ResolveCommit(sourceRevision);
        var files = FlattenCommit(source);
        var selected = new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        foreach (var raw in paths)
        {
            var path = NormalizeUserPath(raw);
            var matched = false;
            foreach (var (p, e) in files)
            {
                if (path.Length == 0 || p == path || p.StartsWith(path + "/", StringComparison.Ordinal))
                {
                    selected[p] = e;
                    matched = true;
                }
            }

            if (!matched)
            {
                throw new ObjectNotFoundException($"Path '{raw}' is not in {sourceRevision}.");
            }
        }

        var (written, bytes) = new CheckoutWriter(WorkingDirectory, _store, Promised).WriteEntries(selected, progress, cancellationToken);
        return new CheckoutResult(source, null, written, 0, bytes);
    }

    /// <summary>Turns a user-supplied path (relative to the current directory or absolute) into a slash-separated repository path.</summary>
    public string NormalizeUserPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var relative = Path.GetRelativePath(WorkingDirectory, full);
        if (relative == ".")
        {
            return "";
        }

        if (relative == ".." || relative.StartsWith(".." + Path.DirectorySeparatorChar, StringComparison.Ordinal) || Path.IsPathRooted(relative))
        {
            throw new LmvpException($"Path '{path}' is outside the repository at {WorkingDirectory}.");
        }

        return relative.Replace(Path.DirectorySeparatorChar, '/');
    }
}
