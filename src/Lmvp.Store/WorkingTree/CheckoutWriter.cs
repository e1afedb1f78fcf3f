using Lmvp.Store.Index;
using Lmvp.Store.Objects;
using Lmvp.Store.Sync;

namespace Lmvp.Store.WorkingTree;

/// <summary>Writes stored files into the working tree, each verified end to end before it takes its name.</summary>
/// <remarks>Each file is written to a temporary name beside its destination, its chunks and whole content verified against
/// their ids, then renamed into place: a failure never leaves a partly written or corrupt file under a tracked name. Paths
/// are checked before anything is written, so a hostile tree (one leading outside the working tree or into .lmvp or .git)
/// changes nothing.</remarks>
internal sealed partial class CheckoutWriter
{
    private readonly string _root;
    private readonly ObjectStore _store;
    private readonly RepositoryDatabase _database;
    private readonly PromisedChunks? _promised;

    /// <summary>A writer into <paramref name="root"/>; with <paramref name="promised"/>, chunks a remote promises are fetched first.</summary>
    public CheckoutWriter(string root, ObjectStore store, PromisedChunks? promised = null)
    {
        _root = root;
        _store = store;
        _database = store.Database;
        _promised = promised;
    }

    public (int Files, long Bytes) WriteEntries(IEnumerable<KeyValuePair<string, TreeEntry>> entries, IProgress<ProgressInfo>? progress, CancellationToken cancellationToken)
    {
        var list = entries.ToList();
        ValidatePaths(list.Select(e => e.Key));
        _promised?.EnsurePresent(
            list.Where(e => e.Value.Kind == TreeEntryKind.File).Select(e => ((string?)e.Key, _store.GetManifest(e.Value.Id))).ToList(), "check out", cancellationToken);
        var total = list.Where(e => e.Value.Kind == TreeEntryKind.File).Sum(e => e.Value.Size);
        long done = 0;
        var cache = _database.LoadStatCache();
        var count = 0;
        foreach (var (path, entry) in list)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var full = SafeFullPath(path);
            EnsureParentDirectories(path);
            if (entry.Kind == TreeEntryKind.Symlink)
            {
                DeleteIfPresent(full);
                File.CreateSymbolicLink(full, entry.LinkTarget ?? "");
                count++;
                continue;
            }

            WriteFileVerified(entry, full, n =>
            {
                done += n;
                progress?.Report(new ProgressInfo("checkout", done, total));
            }, cancellationToken);
            count++;
            if (FileStatReader.TryLstat(full) is { } stat)
            {
                // We just wrote and verified this content, so its stat may be cached even inside the racy window.
                cache[path] = StatCacheEntry.Of(stat, entry.Id);
            }
        }

        _database.ReplaceStatCache(cache);
        return (count, done);
    }

    /// <summary>Refuses the whole set before anything is written if any path is unsafe, so a hostile tree changes nothing.</summary>
    public void ValidatePaths(IEnumerable<string> paths)
    {
        foreach (var path in paths)
        {
            SafeFullPath(path);
        }
    }

    /// <summary>Maps a repository path to a full path, refusing anything that would land outside the working tree or in a
    /// repository directory (a planted .git/hooks file would run code; .lmvp is our own store).</summary>
    public string SafeFullPath(string path)
    {
        if (path.Length == 0 || path.Split('/').Any(part => !Tree.IsValidName(part) || IgnoreRules.IsRepositoryDirectoryName(part)))
        {
            throw new CorruptObjectException($"Refusing unsafe path '{CanonicalReader.Printable(path)}' from a tree.");
        }

        var full = Path.GetFullPath(Path.Combine(_root, path.Replace('/', Path.DirectorySeparatorChar)));
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new CorruptObjectException($"Refusing path '{CanonicalReader.Printable(path)}': it leaves the working tree.");
        }

        return full;
    }

    /// <summary>Creates the parent directories of a path; a symlink or file in the way is replaced, never followed.</summary>
    private void EnsureParentDirectories(string path)
    {
        var parts = path.Split('/');
        var current = _root;
        for (var i = 0; i < parts.Length - 1; i++)
        {
            current = Path.Combine(current, parts[i]);
            var stat = FileStatReader.TryLstat(current);
            if (stat is { IsDirectory: true })
            {
                continue;
            }

            if (stat is not null)
            {
                File.Delete(current); // a file or a symlink: writing through a link could escape the tree
            }

            Directory.CreateDirectory(current);
        }
    }

    private static void DeleteIfPresent(string full)
    {
        var stat = FileStatReader.TryLstat(full);
        if (stat is { IsDirectory: true })
        {
            Directory.Delete(full, recursive: true);
        }
        else if (stat is not null)
        {
            File.Delete(full);
        }
    }

    public void RemoveEmptyParents(string full)
    {
        for (var dir = Path.GetDirectoryName(full); dir is not null && dir.Length > _root.Length; dir = Path.GetDirectoryName(dir))
        {
            if (Directory.EnumerateFileSystemEntries(dir).Any())
            {
                return;
            }

            Directory.Delete(dir);
        }
    }
}
