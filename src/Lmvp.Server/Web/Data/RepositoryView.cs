using System.Runtime.CompilerServices;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Html;
using Lmvp.Store;
using Lmvp.Store.Objects;
using Lmvp.Store.Sync;

namespace Lmvp.Server.Web.Data;

/// <summary>A repository as a page sees it: its record, the caller's role, and verified, cached reads of its objects.</summary>
internal sealed class RepositoryView
{
    private readonly ObjectCache _cache;
    private IReadOnlyList<KeyValuePair<string, ObjectId>>? _refs;

    public RepositoryView(WebContext web, RepositoryRecord record, AccessLevel role)
    {
        Web = web;
        Record = record;
        Role = role;
        _cache = web.Service<ObjectCache>();
    }

    public WebContext Web { get; }

    public RepositoryRecord Record { get; }

    /// <summary>The caller's role here (read, write or admin).</summary>
    public AccessLevel Role { get; }

    public long Id => Record.Id;

    public string Owner => Record.Owner;

    public string Name => Record.Name;

    private IMetadataStore Store => Web.Store;

    private CancellationToken Aborted => Web.Aborted;

    // ---- refs ----

    public async Task<IReadOnlyList<KeyValuePair<string, ObjectId>>> RefsAsync() =>
        _refs ??= await Store.ListRefsAsync(Id, Aborted);

    /// <summary>Branch names and their commits, the default branch first.</summary>
    public async Task<IReadOnlyList<KeyValuePair<string, ObjectId>>> BranchesAsync() =>
        [.. (await RefsAsync()).Where(r => r.Key.StartsWith(Lmvp.Server.Api.Names.HeadsPrefix, StringComparison.Ordinal))
            .Select(r => new KeyValuePair<string, ObjectId>(r.Key[Lmvp.Server.Api.Names.HeadsPrefix.Length..], r.Value))
            .OrderBy(b => b.Key == Record.DefaultBranch ? 0 : 1).ThenBy(b => b.Key, StringComparer.Ordinal)];

    public async Task<IReadOnlyList<KeyValuePair<string, ObjectId>>> TagsAsync() =>
        [.. (await RefsAsync()).Where(r => r.Key.StartsWith(Lmvp.Server.Api.Names.TagsPrefix, StringComparison.Ordinal))
            .Select(r => new KeyValuePair<string, ObjectId>(r.Key[Lmvp.Server.Api.Names.TagsPrefix.Length..], r.Value))
            .OrderBy(t => t.Key, StringComparer.Ordinal)];

    /// <summary>The branch asked for (the default branch when none is named) and its commit, or null when it does not exist.</summary>
    public async Task<(string Branch, ObjectId Head)?> ResolveBranchAsync(string? branch)
    {
        var name = string.IsNullOrEmpty(branch) ? Record.DefaultBranch : branch;
        var branches = await BranchesAsync();
        foreach (var b in branches)
        {
            if (b.Key == name)
            {
                return (b.Key, b.Value);
            }
        }

        if (string.IsNullOrEmpty(branch) && branches is [var first, ..])
        {
            return (first.Key, first.Value);
        }

        return null;
    }

    /// <summary>A full commit id, a branch or a tag, as a commit this repository holds; null otherwise.</summary>
    public async Task<Commit?> ResolveCommitAsync(string? revision)
    {
        if (string.IsNullOrEmpty(revision) || revision.Length > 255)
        {
            return null;
        }

        if (ObjectId.TryParse(revision, out var id))
        {
            return await TryGetCommitAsync(id);
        }

        foreach (var r in await RefsAsync())
        {
            if (r.Key == Lmvp.Server.Api.Names.HeadsPrefix + revision || r.Key == Lmvp.Server.Api.Names.TagsPrefix + revision)
            {
                return await TryGetCommitAsync(r.Value);
            }
        }

        return null;
    }

    // ---- objects ----

    public async Task<Commit?> TryGetCommitAsync(ObjectId id)
    {
        var key = new CacheKey(CacheKind.Commit, Id, id);
        if (_cache.TryGet<Commit>(key, out var cached))
        {
            return cached;
        }

        var stored = await Store.GetObjectAsync(Id, id, Aborted);
        if (stored is not { Kind: FrameKind.Commit } o)
        {
            return null;
        }

        var commit = Commit.Decode(o.Data.Span, id);
        return _cache.Set(key, commit, o.Data.Length * 3L + 256);
    }

    public async Task<Commit> GetCommitAsync(ObjectId id) =>
        await TryGetCommitAsync(id) ?? throw new ObjectNotFoundException($"Commit {id.ToShortString()} not found.");

    public async Task<Tree> GetTreeAsync(ObjectId id)
    {
        var key = new CacheKey(CacheKind.Tree, Id, id);
        if (_cache.TryGet<Tree>(key, out var cached))
        {
            return cached;
        }

        var stored = await Store.GetObjectAsync(Id, id, Aborted);
        if (stored is not { Kind: FrameKind.Tree } o)
        {
            throw new ObjectNotFoundException($"Tree {id.ToShortString()} not found.");
        }

        var tree = Tree.Decode(o.Data.Span, id);
        return _cache.Set(key, tree, o.Data.Length * 3L + 256);
    }

    public async Task<FileManifest> GetManifestAsync(ObjectId fileId)
    {
        var key = new CacheKey(CacheKind.Manifest, Id, fileId);
        if (_cache.TryGet<FileManifest>(key, out var cached))
        {
            return cached;
        }

        var stored = await Store.GetObjectAsync(Id, fileId, Aborted);
        if (stored is not { Kind: FrameKind.Manifest } o)
        {
            throw new ObjectNotFoundException($"File {fileId.ToShortString()} not found.");
        }

        var manifest = FileManifest.Decode(o.Data.Span, fileId);
        return _cache.Set(key, manifest, o.Data.Length * 2L + 256);
    }

    // ---- derived ----

    /// <summary>The commits reachable from <paramref name="head"/>, newest first (by time, then id), as <c>lmvp log</c> lists them.</summary>
    public async Task<IReadOnlyList<Commit>> HistoryAsync(ObjectId head)
    {
        var key = new CacheKey(CacheKind.History, Id, head);
        if (_cache.TryGet<Commit[]>(key, out var cached))
        {
            return cached;
        }

        var result = new List<Commit>();
        var seen = new HashSet<ObjectId> { head };
        var queue = new PriorityQueue<Commit, (long Time, ObjectId Id)>(Comparer<(long Time, ObjectId Id)>.Create((a, b) =>
        {
            var c = b.Time.CompareTo(a.Time);
            return c != 0 ? c : b.Id.CompareTo(a.Id);
        }));
        var first = await GetCommitAsync(head);
        queue.Enqueue(first, (first.Time.ToUnixTimeMilliseconds(), first.Id));
        while (queue.TryDequeue(out var commit, out _))
        {
            result.Add(commit);
            foreach (var p in commit.Parents)
            {
                if (seen.Add(p) && await TryGetCommitAsync(p) is { } parent)
                {
                    queue.Enqueue(parent, (parent.Time.ToUnixTimeMilliseconds(), parent.Id));
                }
            }
        }

        // The commits themselves are cached (and counted) separately; this entry is the list.
        return _cache.Set(key, result.ToArray(), result.Count * 8L + 64);
    }

    /// <summary>The entry at <paramref name="path"/> under <paramref name="root"/> ("" is the root itself), or null.</summary>
    public async Task<TreeEntry?> FindEntryAsync(ObjectId root, string path)
    {
        var current = new TreeEntry("", TreeEntryKind.Directory, false, 0, root);
        if (path.Length == 0)
        {
            return current;
        }

        foreach (var part in path.Split('/'))
        {
            if (current.Kind != TreeEntryKind.Directory || part.Length == 0)
            {
                return null;
            }

            var tree = await GetTreeAsync(current.Id);
            var next = FindByName(tree, part);
            if (next is null)
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    /// <summary>Every file and symlink under <paramref name="root"/> by slash-separated path.</summary>
    public async Task<Dictionary<string, TreeEntry>> FlattenAsync(ObjectId root)
    {
        var files = new Dictionary<string, TreeEntry>(StringComparer.Ordinal);
        await FlattenIntoAsync(root, "", files);
        return files;
    }

    /// <summary>The total size of the files under a tree.</summary>
    public async Task<long> TreeSizeAsync(ObjectId treeId)
    {
        var key = new CacheKey(CacheKind.TreeSize, Id, treeId);
        if (_cache.TryGet<StrongBox<long>>(key, out var cached))
        {
            return cached.Value;
        }

        long total = 0;
        foreach (var e in (await GetTreeAsync(treeId)).Entries)
        {
            total += e.Kind == TreeEntryKind.Directory ? await TreeSizeAsync(e.Id) : e.Size;
        }

        return _cache.Set(key, new StrongBox<long>(total), 64).Value;
    }

    /// <summary>Reads a whole (small) file, verifying each chunk and then the file id.</summary>
    public async Task<byte[]> ReadSmallFileAsync(ObjectId fileId, long maxBytes)
    {
        var manifest = await GetManifestAsync(fileId);
        if (manifest.Size > maxBytes)
        {
            throw new InvalidOperationException($"File {fileId.ToShortString()} is larger than {Format.Bytes(maxBytes)}.");
        }

        var bytes = new byte[manifest.Size];
        var offset = 0;
        var chunks = Web.Service<IChunkStore>();
        await foreach (var chunk in chunks.ReadManyAsync(Id, [.. manifest.Chunks.Select(c => c.Id)], Aborted))
        {
            chunk.Data.Span.CopyTo(bytes.AsSpan(offset));
            offset += chunk.Data.Length;
        }

        if (offset != bytes.Length || ObjectId.Compute(bytes) != fileId)
        {
            throw new CorruptObjectException($"File {fileId.ToShortString()} is corrupt: its chunks do not hash to its id.");
        }

        return bytes;
    }

    private static TreeEntry? FindByName(Tree tree, string name)
    {
        // Entries are sorted by ordinal name order, so a binary search finds a name in a big directory quickly.
        int lo = 0, hi = tree.Entries.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = string.CompareOrdinal(tree.Entries[mid].Name, name);
            if (c == 0)
            {
                return tree.Entries[mid];
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return null;
    }

    private async Task FlattenIntoAsync(ObjectId treeId, string prefix, Dictionary<string, TreeEntry> files)
    {
        foreach (var e in (await GetTreeAsync(treeId)).Entries)
        {
            var path = prefix + e.Name;
            if (e.Kind == TreeEntryKind.Directory)
            {
                await FlattenIntoAsync(e.Id, path + "/", files);
            }
            else
            {
                files[path] = e;
            }
        }
    }
}
