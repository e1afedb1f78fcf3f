using System.Reflection;
using System.Runtime.CompilerServices;
using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Html;
using Lmvp.Server.Web.Pages;
using Lmvp.Store;
using Lmvp.Store.Graph;

namespace Lmvp.Server.Web.Data;

/// <summary>What a run on a page is: a branch, a tag, or another revision (a commit id, <c>main~3</c>).</summary>
internal enum RunKind
{
    Branch,
    Tag,
    Commit,
}

/// <summary>A revision a page shows the history of: its name as typed (or the branch), what it is, and its commit.</summary>
internal sealed record RunView(string Name, RunKind Kind, ObjectId Head)
{
    /// <summary>"branch", "tag" or "commit".</summary>
    public string KindName => Kind.ToString().ToLowerInvariant();
}

/// <summary>A branch or tag pointing at a commit, as a label on a history row.</summary>
internal readonly record struct RefLabel(string Name, bool IsTag);

/// <summary>A repository as a page sees it: its record, the caller's role, and verified, cached reads of its objects through
/// the same graph algorithms as the CLI (<see cref="Lmvp.Store.Graph"/>).</summary>
internal sealed class RepositoryView
{
    private readonly ObjectCache _cache;
    private readonly RepositoryGraph? _graph;
    private IReadOnlyList<KeyValuePair<string, ObjectId>>? _refs;

    private RepositoryView(WebContext web, RepositoryGraph? graph, AccessLevel role, IResult? refusal)
    {
        Web = web;
        _graph = graph;
        Role = role;
        Refusal = refusal;
        _cache = web.Service<ObjectCache>();
    }

    public WebContext Web { get; }

    /// <summary>The repository's objects, chunks and refs.</summary>
    public RepositoryGraph Graph => _graph ?? throw new InvalidOperationException("The repository was not opened.");

    public RepositoryRecord Record => Graph.Repository;

    /// <summary>The caller's role here (read, write or admin).</summary>
    public AccessLevel Role { get; }

    /// <summary>What the page answers instead when the caller may not see the repository (sign in, or 404).</summary>
    internal IResult? Refusal { get; }

    public long Id => Record.Id;

    public string Owner => Record.Owner;

    public string Name => Record.Name;

    private CancellationToken Aborted => Web.Aborted;

    /// <summary>Opens <paramref name="record"/> for a page whose caller has <paramref name="role"/> in it.</summary>
    public static RepositoryView Open(WebContext web, RepositoryRecord record, AccessLevel role) =>
        new(web, web.Service<RepositoryGraphs>().For(record), role, null);

    /// <summary>Binds a page parameter to the repository of the route's {owner}/{name}, checked once per request.</summary>
    public static async ValueTask<RepositoryView> BindAsync(HttpContext http, ParameterInfo parameter)
    {
        _ = parameter;
        return await RepositoryPageFilter.ResolveAsync(http);
    }

    internal static RepositoryView Refused(WebContext web, IResult refusal) => new(web, null, AccessLevel.None, refusal);

    // ---- refs ----

    public async Task<IReadOnlyList<KeyValuePair<string, ObjectId>>> RefsAsync() =>
        _refs ??= await Web.Service<IRefStore>().ListRefsAsync(Id, Aborted);

    /// <summary>Branch names and their commits, the default branch first.</summary>
    public async Task<IReadOnlyList<KeyValuePair<string, ObjectId>>> BranchesAsync() =>
        [.. (await RefsAsync()).Where(r => r.Key.StartsWith(RefName.HeadsPrefix, StringComparison.Ordinal))
            .Select(r => new KeyValuePair<string, ObjectId>(r.Key[RefName.HeadsPrefix.Length..], r.Value))
            .OrderBy(b => b.Key == Record.DefaultBranch ? 0 : 1).ThenBy(b => b.Key, StringComparer.Ordinal)];

    public async Task<IReadOnlyList<KeyValuePair<string, ObjectId>>> TagsAsync() =>
        [.. (await RefsAsync()).Where(r => r.Key.StartsWith(RefName.TagsPrefix, StringComparison.Ordinal))
            .Select(r => new KeyValuePair<string, ObjectId>(r.Key[RefName.TagsPrefix.Length..], r.Value))
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

    /// <summary>What a page's <c>?branch=</c> names: a branch (the default branch when empty), or any other revision the CLI takes
    /// (a tag, a full or short id, <c>main~3</c>); null when it names nothing here.</summary>
    public async Task<RunView?> ResolveRunAsync(string? revision)
    {
        if (await ResolveBranchAsync(revision) is { } branch)
        {
            return new RunView(branch.Branch, RunKind.Branch, branch.Head);
        }

        if (string.IsNullOrEmpty(revision) || await ResolveCommitAsync(revision) is not { } commit)
        {
            return null;
        }

        var isTag = (await TagsAsync()).Any(t => t.Key == revision);
        return new RunView(revision, isTag ? RunKind.Tag : RunKind.Commit, commit.Id);
    }

    /// <summary>The branches and tags that point at each commit (tags after branches, each in name order).</summary>
    public async Task<ILookup<ObjectId, RefLabel>> RefLabelsAsync() =>
        (await BranchesAsync()).Select(b => (b.Value, Label: new RefLabel(b.Key, false)))
            .Concat((await TagsAsync()).Select(t => (t.Value, Label: new RefLabel(t.Key, true))))
            .ToLookup(r => r.Value, r => r.Label);

    /// <summary>Which end of each metric is better here: the default branch's <c>.lmvpmetrics</c>, else the CLI's guess from the name.</summary>
    public async Task<MetricDirections> MetricDirectionsAsync()
    {
        if (await ResolveBranchAsync(null) is not { } head || await TryGetCommitAsync(head.Head) is not { } commit
            || (await GetTreeAsync(commit.TreeId)).Entries.FirstOrDefault(e => e.Name == MetricDirections.FileName && e.Kind == TreeEntryKind.File) is not { } file
            || file.Size > MetricDirections.MaxBytes)
        {
            return MetricDirections.FromNames;
        }

        var key = new CacheKey(CacheKind.MetricDirections, Id, file.Id);
        if (_cache.TryGet<MetricDirections>(key, out var cached))
        {
            return cached;
        }

        var text = System.Text.Encoding.UTF8.GetString(await ReadSmallFileAsync(file.Id, MetricDirections.MaxBytes));
        return _cache.Set(key, MetricDirections.Parse(text), text.Length * 4L);
    }

    /// <summary>Any revision (branch, tag, full or short id, HEAD~N), resolved as the CLI and the API do; null when it names no
    /// commit this repository holds.</summary>
    public async Task<Commit?> ResolveCommitAsync(string? revision) =>
        string.IsNullOrEmpty(revision) || revision.Length > 255 ? null : (await Revisions.ResolveAsync(Graph, revision, Aborted)).Commit;

    /// <summary>A <c>{rev}/{path}</c> URL tail split at the revision (branch names may hold slashes).</summary>
    public Task<ResolvedRevision> ResolveWithPathAsync(string? revisionAndPath) => Revisions.ResolveWithPathAsync(Graph, revisionAndPath, Aborted);

    // ---- objects ----

    public async Task<Commit?> TryGetCommitAsync(ObjectId id) => await Graph.FindCommitAsync(id, Aborted);

    public async Task<Commit> GetCommitAsync(ObjectId id) =>
        await TryGetCommitAsync(id) ?? throw new ObjectNotFoundException($"Commit {id.ToShortString()} not found.");

    public async Task<Tree> GetTreeAsync(ObjectId id) =>
        await Graph.FindTreeAsync(id, Aborted) ?? throw new ObjectNotFoundException($"Tree {id.ToShortString()} not found.");

    public async Task<FileManifest> GetManifestAsync(ObjectId fileId) =>
        await Graph.FindManifestAsync(fileId, Aborted) ?? throw new ObjectNotFoundException($"File {fileId.ToShortString()} not found.");

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
        await foreach (var commit in History.WalkAsync(Graph, head, Aborted))
        {
            result.Add(commit);
        }

        // The commits themselves are cached (and counted) separately; this entry is the list.
        return _cache.Set(key, result.ToArray(), result.Count * 8L + 64);
    }

    /// <summary>The entry at <paramref name="path"/> under <paramref name="root"/> ("" is the root itself), or null.</summary>
    public async Task<TreeEntry?> FindEntryAsync(ObjectId root, string path) => await TreeWalk.FindEntryAsync(Graph, root, path, Aborted);

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

    /// <summary>A verified, seekable stream of a file's content.</summary>
    public async Task<VerifiedFileStream> OpenFileAsync(ObjectId fileId) => new(Graph, await GetManifestAsync(fileId), Aborted);

    /// <summary>Reads a whole (small) file, verifying each chunk and then the file id.</summary>
    public async Task<byte[]> ReadSmallFileAsync(ObjectId fileId, long maxBytes)
    {
        var manifest = await GetManifestAsync(fileId);
        if (manifest.Size > maxBytes)
        {
            throw new InvalidOperationException($"File {fileId.ToShortString()} is larger than {Format.Bytes(maxBytes)}.");
        }

        var bytes = new byte[manifest.Size];
        await using var stream = new VerifiedFileStream(Graph, manifest, Aborted);
        await stream.ReadExactlyAsync(bytes, Aborted);
        return bytes;
    }
}
