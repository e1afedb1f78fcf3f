using Lmvp.Server.Services;
using Lmvp.Store;
using Lmvp.Store.Graph;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Lmvp.Server.Api;

/// <summary>Files of any revision as JSON listings and as bytes: <c>tree/{rev}/{path}</c>, <c>resolve/{rev}/{path}</c>, and SHA-256
/// digests for clients without BLAKE3.</summary>
internal static class FileEndpoints
{
    /// <summary>The most paths one digests request may name.</summary>
    public const int MaxDigestPaths = 1000;

    /// <summary>The most entries one tree listing holds.</summary>
    public const int MaxListing = 100_000;

    // Types a browser may render are sent as what they are only when they cannot run script; everything else is a download.
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [".json"] = "application/json",
        [".txt"] = "text/plain; charset=utf-8",
        [".md"] = "text/markdown; charset=utf-8",
        [".csv"] = "text/csv; charset=utf-8",
        [".yaml"] = "application/yaml",
        [".yml"] = "application/yaml",
        [".png"] = "image/png",
        [".jpg"] = "image/jpeg",
        [".jpeg"] = "image/jpeg",
    };

    public static void MapFileEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/repos/{owner}/{name}").WithTags("Files").WithRepositoryAccess().WithErrorResponses(400, 401, 403, 404, 500);
        group.MapGet("/tree/{**revisionAndPath}", TreeAsync)
            .WithSummary("The entries of a directory at a revision (recursive=true: every file below it), with SHA-256 where known.");
        group.MapMethods("/resolve/{**revisionAndPath}", [HttpMethods.Get, HttpMethods.Head], ResolveAsync)
            .WithSummary("A file's bytes at a revision, verified chunk by chunk; Range, ETag (the file id) and Repr-Digest (SHA-256).")
            .Produces(StatusCodes.Status200OK, contentType: "application/octet-stream").Produces(StatusCodes.Status206PartialContent)
            .Produces(StatusCodes.Status416RangeNotSatisfiable)
            .WithRequestTimeout(RequestLimits.StreamPolicy);
        group.MapPost("/digests", DigestsAsync).WithSummary("The SHA-256 of files at a revision, computed where not known yet.")
            .WithRequestTimeout(RequestLimits.StreamPolicy);
    }

    public static async Task<Results<Ok<TreeResponse>, JsonHttpResult<ApiError>>> TreeAsync(RepositoryContext repo, FileDigests digests,
        string revisionAndPath, bool? recursive, CancellationToken cancellationToken)
    {
        var resolved = await Revisions.ResolveWithPathAsync(repo.Graph, revisionAndPath, cancellationToken);
        if (resolved.Error is { } error)
        {
            return error;
        }

        var commit = resolved.Commit!;
        var path = resolved.Path;
        var entry = await TreeWalk.FindEntryAsync(repo.Graph, commit.TreeId, path, cancellationToken);
        if (entry is null)
        {
            return Errors.NotFound($"no '{path}' in {commit.Id.ToShortString()} ('{resolved.Revision}')");
        }

        var listing = new List<(string Path, TreeEntry Entry)>();
        if (entry.Kind != TreeEntryKind.Directory)
        {
            listing.Add((path, entry));
        }
        else if (recursive == true)
        {
            await foreach (var (p, e) in TreeWalk.FlattenAsync(repo.Graph, entry.Id, cancellationToken))
            {
                if (listing.Count == MaxListing)
                {
                    return Errors.BadRequest($"more than {MaxListing} files below '{path}': list a smaller directory");
                }

                listing.Add((Join(path, p), e));
            }
        }
        else
        {
            var tree = await repo.Graph.FindTreeAsync(entry.Id, cancellationToken) ?? throw new ObjectNotFoundException($"Tree {entry.Id.ToShortString()} not found.");
            listing.AddRange(tree.Entries.Select(e => (Join(path, e.Name), e)));
        }

        var known = await digests.GetKnownAsync([.. listing.Where(l => l.Entry.Kind == TreeEntryKind.File).Select(l => l.Entry.Id)], cancellationToken);
        return TypedResults.Ok(new TreeResponse(commit.Id.ToString(), path,
            [.. listing.Select(l => ContentViews.ToResponse(l.Path, l.Entry, l.Entry.Kind == TreeEntryKind.File ? known.GetValueOrDefault(l.Entry.Id) : null))]));
    }

    public static async Task<IResult> ResolveAsync(RepositoryContext repo, FileDigests digests, FileVerifier verifier, HttpResponse response,
        string revisionAndPath, CancellationToken cancellationToken)
    {
        var resolved = await Revisions.ResolveWithPathAsync(repo.Graph, revisionAndPath, cancellationToken);
        if (resolved.Error is { } error)
        {
            return error;
        }

        var commit = resolved.Commit!;
        if (resolved.Path.Length == 0)
        {
            return Errors.BadRequest($"name a file after the revision: resolve/{resolved.Revision}/PATH");
        }

        var entry = await TreeWalk.FindEntryAsync(repo.Graph, commit.TreeId, resolved.Path, cancellationToken);
        if (entry is null)
        {
            return Errors.NotFound($"no '{resolved.Path}' in {commit.Id.ToShortString()} ('{resolved.Revision}')");
        }

        if (entry.Kind != TreeEntryKind.File)
        {
            return Errors.BadRequest($"'{resolved.Path}' is a {(entry.Kind == TreeEntryKind.Directory ? "directory: list it with tree/" : "symbolic link: it has no content")}");
        }

        var manifest = await repo.Graph.FindManifestAsync(entry.Id, cancellationToken)
            ?? throw new ObjectNotFoundException($"File {entry.Id.ToShortString()} not found.");

        // Verified whole once before it is first served: a file that does not verify is an error for that file, before any byte.
        if (await verifier.VerifyOnceAsync(repo.Id, manifest, cancellationToken) is { } bad)
        {
            return Errors.Coded(StatusCodes.Status500InternalServerError, Lmvp.Store.Protocol.ApiErrorCodes.Damaged, DamagedMessage(resolved.Path, bad));
        }

        var sha256 = await digests.GetAsync(repo.Graph, entry.Id, cancellationToken);
        var headers = response.Headers;
        headers["Repr-Digest"] = FileDigests.ToHeader(sha256);
        headers["X-Lmvp-Commit"] = commit.Id.ToString();
        headers["X-Lmvp-File-Id"] = entry.Id.ToString();
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        headers.XContentTypeOptions = "nosniff";

        // A URL with a full commit id always names the same bytes; one with a branch can change, so it is revalidated (the ETag
        // is the file id, a strong validator: the same id is the same bytes).
        headers.CacheControl = resolved.Revision == commit.Id.ToString() ? "private, max-age=31536000, immutable" : "private, no-cache";
        var type = ContentTypes.GetValueOrDefault(Path.GetExtension(entry.Name), "application/octet-stream");
        return TypedResults.Stream(new VerifiedFileStream(repo.Graph, manifest, cancellationToken), type, entry.Name, lastModified: null,
            entityTag: new EntityTagHeaderValue("\"" + entry.Id + "\""), enableRangeProcessing: true);
    }

    public static async Task<Results<Ok<DigestsResponse>, JsonHttpResult<ApiError>>> DigestsAsync(RepositoryContext repo, FileDigests digests,
        DigestsRequest request, CancellationToken cancellationToken)
    {
        if (request.Paths.Count > MaxDigestPaths)
        {
            return Errors.BadRequest($"ask for at most {MaxDigestPaths} paths at once");
        }

        var resolved = await Revisions.ResolveAsync(repo.Graph, request.Revision, cancellationToken);
        if (resolved.Error is { } error)
        {
            return error;
        }

        var commit = resolved.Commit!;
        var files = new List<TreeEntryResponse>(request.Paths.Count);
        foreach (var path in request.Paths)
        {
            var entry = await TreeWalk.FindEntryAsync(repo.Graph, commit.TreeId, path.Trim('/'), cancellationToken);
            if (entry is not { Kind: TreeEntryKind.File })
            {
                return Errors.NotFound($"no file '{path}' in {commit.Id.ToShortString()} ('{resolved.Revision}')");
            }

            files.Add(ContentViews.ToResponse(path.Trim('/'), entry, await digests.GetAsync(repo.Graph, entry.Id, cancellationToken)));
        }

        return TypedResults.Ok(new DigestsResponse(commit.Id.ToString(), files));
    }

    /// <summary>What a client is told about a file whose stored copy does not verify.</summary>
    internal static string DamagedMessage(string path, FileProblem bad) =>
        $"the server's copy of file '{path}' ({bad.FileId}) is damaged: {bad.Problem}";

    private static string Join(string directory, string name) => directory.Length == 0 ? name : directory + "/" + name;
}
