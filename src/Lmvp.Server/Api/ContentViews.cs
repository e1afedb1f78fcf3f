using System.Text.Json;
using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Store;

namespace Lmvp.Server.Api;

/// <summary>Objects as the content API shows them.</summary>
internal static class ContentViews
{
    /// <summary>The branches and tags that point at each commit, from one listing of the refs.</summary>
    public static async Task<ILookup<ObjectId, string>> RefNamesAsync(RepositoryGraph graph, IRefStore refs, CancellationToken cancellationToken) =>
        (await refs.ListRefsAsync(graph.Id, cancellationToken)).ToLookup(r => r.Value, r => r.Key);

    public static CommitResponse ToResponse(Commit c, ILookup<ObjectId, string> refNames)
    {
        var names = refNames[c.Id];
        return new CommitResponse(c.Id.ToString(), c.Id.ToShortString(), c.TreeId.ToString(), [.. c.Parents.Select(p => p.ToString())], c.Author, c.Time,
            c.Message, c.Subject, c.Metrics.ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal),
            c.Params.ToDictionary(p => p.Key, p => ToJson(p.Value), StringComparer.Ordinal),
            c.Provenance is { } p ? new ProvenanceResponse(p.GitCommit, p.Branch, p.IsDirty, p.OriginUrl, p.DirtyFiles.Count > 0 ? p.DirtyFiles : null) : null,
            [.. names.Where(n => n.StartsWith(RefName.HeadsPrefix, StringComparison.Ordinal)).Select(n => n[RefName.HeadsPrefix.Length..])],
            [.. names.Where(n => n.StartsWith(RefName.TagsPrefix, StringComparison.Ordinal)).Select(n => n[RefName.TagsPrefix.Length..])]);
    }

    public static TreeEntryResponse ToResponse(string path, TreeEntry e, byte[]? sha256) =>
        new(e.Name.Length > 0 ? e.Name : path[(path.LastIndexOf('/') + 1)..], path, Kind(e.Kind), e.Size, e.Id.ToString(), e.IsExecutable,
            sha256 is null ? null : Convert.ToHexStringLower(sha256), e.LinkTarget);

    /// <summary>A param as JSON: a number, or a string.</summary>
    public static JsonElement ToJson(ParamValue value) =>
        value.IsNumber ? JsonSerializer.SerializeToElement(value.Number, ContentJsonContext.Default.Double) : JsonSerializer.SerializeToElement(value.Text!, ContentJsonContext.Default.String);

    /// <summary>A param from JSON, or null when the value is neither a number nor a string.</summary>
    public static ParamValue? FromJson(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => ParamValue.FromNumber(value.GetDouble()),
        JsonValueKind.String => ParamValue.FromString(value.GetString()!),
        _ => (ParamValue?)null,
    };

    private static string Kind(TreeEntryKind kind) => kind switch
    {
        TreeEntryKind.Directory => "directory",
        TreeEntryKind.Symlink => "symlink",
        _ => "file",
    };
}
