using Lmvp.Store.Index;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;

namespace Lmvp.Store.Maintenance;

/// <summary>Finds which files (paths) in which commits use given chunks or files, so fsck can say what a broken chunk costs.</summary>
/// <remarks>Runs only when something is broken. One pass over the manifests maps broken chunks to file ids; then every commit's
/// tree is searched for those files, remembering per tree what it holds so shared subtrees are read once.</remarks>
internal sealed class UsageFinder
{
    private static readonly List<(string Path, ObjectId FileId)> NoHits = [];

    private readonly RepositoryDatabase _database;
    private readonly Dictionary<ObjectId, List<(string Path, ObjectId FileId)>> _treeHits = [];
    private HashSet<ObjectId> _targets = [];

    public UsageFinder(RepositoryDatabase database)
    {
        _database = database;
    }

    /// <summary>For each subject (a chunk id or a file id), the (path, commit) pairs that use it, newest commit first, at most <paramref name="limit"/> each.</summary>
    /// <returns>The usages and, per subject, how many there are in all.</returns>
    public Dictionary<ObjectId, (List<FsckUsage> Usages, int Total)> Find(IReadOnlySet<ObjectId> chunkIds, IReadOnlySet<ObjectId> fileIds, int limit, CancellationToken cancellationToken)
    {
        // file id -> the subjects it stands for (itself when listed, and each listed chunk it contains)
        var subjectsOfFile = new Dictionary<ObjectId, List<ObjectId>>();
        foreach (var f in fileIds)
        {
            subjectsOfFile[f] = [f];
        }

        if (chunkIds.Count > 0)
        {
            foreach (var (id, data) in _database.ListObjectsOfKind(ObjectKind.Manifest))
            {
                cancellationToken.ThrowIfCancellationRequested();
                FileManifest manifest;
                try
                {
                    manifest = FileManifest.Decode(data, id);
                }
                catch (CorruptObjectException)
                {
                    continue;
                }

                foreach (var c in manifest.Chunks.Select(c => c.Id).Distinct())
                {
                    if (chunkIds.Contains(c))
                    {
                        if (!subjectsOfFile.TryGetValue(id, out var list))
                        {
                            subjectsOfFile[id] = list = [];
                        }

                        list.Add(c);
                    }
                }
            }
        }

        var result = new Dictionary<ObjectId, (List<FsckUsage> Usages, int Total)>();
        if (subjectsOfFile.Count == 0)
        {
            return result;
        }

        _targets = [.. subjectsOfFile.Keys];
        var commits = new List<Commit>();
        foreach (var (id, data) in _database.ListObjectsOfKind(ObjectKind.Commit))
        {
            try
            {
                commits.Add(Commit.Decode(data, id));
            }
            catch (CorruptObjectException)
            {
            }
        }

        commits.Sort((a, b) => b.Time != a.Time ? b.Time.CompareTo(a.Time) : b.Id.CompareTo(a.Id));
        foreach (var commit in commits)
        {
            cancellationToken.ThrowIfCancellationRequested();
            foreach (var (path, fileId) in Hits(commit.TreeId))
            {
                foreach (var subject in subjectsOfFile[fileId])
                {
                    if (!result.TryGetValue(subject, out var entry))
                    {
                        entry = ([], 0);
                    }

                    if (entry.Usages.Count < limit)
                    {
                        entry.Usages.Add(new FsckUsage(path, commit.Id));
                    }

                    result[subject] = (entry.Usages, entry.Total + 1);
                }
            }
        }

        return result;
    }

    /// <summary>The target files under a tree, with paths relative to it.</summary>
    private List<(string Path, ObjectId FileId)> Hits(ObjectId treeId)
    {
        if (_treeHits.TryGetValue(treeId, out var cached))
        {
            return cached;
        }

        _treeHits[treeId] = NoHits; // guards against a (corrupt) cycle
        Tree tree;
        try
        {
            if (!_database.TryGetObject(treeId, ObjectKind.Tree, out var data))
            {
                return NoHits;
            }

            tree = Tree.Decode(data, treeId);
        }
        catch (CorruptObjectException)
        {
            return NoHits;
        }

        List<(string Path, ObjectId FileId)>? hits = null;
        foreach (var e in tree.Entries)
        {
            if (e.Kind == TreeEntryKind.File && _targets.Contains(e.Id))
            {
                (hits ??= []).Add((e.Name, e.Id));
            }
            else if (e.Kind == TreeEntryKind.Directory)
            {
                foreach (var (path, fileId) in Hits(e.Id))
                {
                    (hits ??= []).Add((e.Name + "/" + path, fileId));
                }
            }
        }

        var final = hits ?? NoHits;
        _treeHits[treeId] = final;
        return final;
    }
}
