using System.Runtime.CompilerServices;
using Lmvp.Server.Auth;
using Lmvp.Server.Hosting;
using Lmvp.Server.Storage;
using Lmvp.Server.Sync;
using Lmvp.Store;
using Lmvp.Store.Objects;
using Lmvp.Store.Sync;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>The sync protocol of docs/PROTOCOL.md: refs, missing ids, verified uploads, closure and chunk download, ref update.</summary>
internal static class SyncEndpoints
{
    public static void MapSyncEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/repos/{owner}/{name}").WithTags("Sync").RequireAuthorization();
        group.MapGet("/refs", GetRefsAsync).WithSummary("Branches and tags, and the default branch.");
        group.MapPost("/objects/missing", FindMissingObjectsAsync).WithSummary("Which of these commits, trees and manifests the server lacks.");
        group.MapPost("/chunks/missing", FindMissingChunksAsync).WithSummary("Which of these chunks the server lacks.");
        group.MapPost("/objects", UploadObjectsAsync)
            .WithSummary("Upload trees, commits and manifests (a frame stream); each is verified; all are kept or none.")
            .Accepts<byte[]>(FrameFormat.MediaType)
            .WithBodyLimit(RequestLimits.UploadBody)
            .WithRequestTimeout(RequestLimits.UploadPolicy);
        group.MapPost("/chunks", UploadChunksAsync)
            .WithSummary("Upload chunks (a frame stream); each is hashed before anything is kept; all are kept or none.")
            .Accepts<byte[]>(FrameFormat.MediaType)
            .WithBodyLimit(RequestLimits.UploadBody)
            .WithRequestTimeout(RequestLimits.UploadPolicy);
        group.MapPost("/objects/closure", GetClosureAsync)
            .WithSummary("Every commit, tree and manifest reachable from want and not from have (a frame stream).")
            .WithRequestTimeout(RequestLimits.StreamPolicy);
        group.MapPost("/chunks/download", DownloadChunksAsync)
            .WithSummary("These chunks, in the order asked (a frame stream).")
            .WithRequestTimeout(RequestLimits.StreamPolicy);
        group.MapPost("/refs/update", UpdateRefAsync).WithSummary("Move a ref by compare-and-swap to a commit whose whole closure is present.");
    }

    public static async Task<Results<Ok<RefsResponse>, JsonHttpResult<ApiError>>> GetRefsAsync(string owner, string name, Caller caller,
        RepositoryAccess access, IMetadataStore store, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Read, cancellationToken);
        if (grant.Error is { } error)
        {
            return error;
        }

        var refs = await store.ListRefsAsync(grant.Repository!.Id, cancellationToken);
        return TypedResults.Ok(new RefsResponse(grant.Repository.DefaultBranch, refs.ToDictionary(r => r.Key, r => r.Value.ToString(), StringComparer.Ordinal)));
    }

    public static async Task<Results<Ok<MissingResponse>, JsonHttpResult<ApiError>>> FindMissingObjectsAsync(string owner, string name,
        IdListRequest request, Caller caller, RepositoryAccess access, IMetadataStore store, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Read, cancellationToken);
        if (grant.Error is { } error)
        {
            return error;
        }

        if (ParseIds(request.Ids, "ids", out var ids) is { } invalid)
        {
            return invalid;
        }

        var missing = await store.FindMissingObjectsAsync(grant.Repository!.Id, ids, cancellationToken);
        return TypedResults.Ok(new MissingResponse(missing.Select(m => m.ToString()).ToList()));
    }

    public static async Task<Results<Ok<MissingResponse>, JsonHttpResult<ApiError>>> FindMissingChunksAsync(string owner, string name,
        IdListRequest request, Caller caller, RepositoryAccess access, IChunkStore chunks, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Read, cancellationToken);
        if (grant.Error is { } error)
        {
            return error;
        }

        if (ParseIds(request.Ids, "ids", out var ids) is { } invalid)
        {
            return invalid;
        }

        var missing = await chunks.FindMissingAsync(grant.Repository!.Id, ids, cancellationToken);
        return TypedResults.Ok(new MissingResponse(missing.Select(m => m.ToString()).ToList()));
    }

    public static async Task<Results<Ok<StoredResponse>, JsonHttpResult<ApiError>>> UploadObjectsAsync(string owner, string name, Caller caller,
        HttpRequest request, RepositoryAccess access, IMetadataStore store, ServerPaths paths, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Write, cancellationToken);
        if (grant.Error is { } error)
        {
            return error;
        }

        if (RequireFrames(request) is { } wrongType)
        {
            return wrongType;
        }

        // Verified objects wait in a spool file until the whole stream has arrived, then go to the store in one
        // transaction: memory stays bounded and a bad or truncated stream leaves nothing behind.
        await using var spool = new FileStream(Path.Combine(paths.Temp, "objects-" + Guid.NewGuid().ToString("N")), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var spoolWriter = new FrameWriter(spool);
        var reader = new FrameReader(request.Body, FrameFormat.MaxObjectFrame);
        var frames = 0;
        try
        {
            while (await reader.ReadAsync(cancellationToken) is { } frame)
            {
                if (++frames > RequestLimits.UploadFrames)
                {
                    return Errors.BadRequest($"more than {RequestLimits.UploadFrames} frames in one request; nothing was stored");
                }

                if (VerifyObject(frame) is { } bad)
                {
                    return Errors.BadRequest(bad + "; nothing was stored");
                }

                await spoolWriter.WriteAsync(frame.Kind, frame.Id, frame.Data, cancellationToken);
            }

            if (await HasTrailingBytesAsync(request.Body, cancellationToken))
            {
                return Errors.BadRequest("bytes after the end frame; nothing was stored");
            }
        }
        catch (CorruptObjectException e)
        {
            return Errors.BadRequest(e.Message + " Nothing was stored.");
        }

        await spoolWriter.CompleteAsync(cancellationToken);
        spool.Position = 0;
        var stored = await store.PutObjectsAsync(grant.Repository!.Id, ReadSpoolAsync(spool, cancellationToken), cancellationToken);
        return TypedResults.Ok(new StoredResponse(stored));
    }

    public static async Task<Results<Ok<StoredResponse>, JsonHttpResult<ApiError>>> UploadChunksAsync(string owner, string name, Caller caller,
        HttpRequest request, RepositoryAccess access, IChunkStore chunks, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Write, cancellationToken);
        if (grant.Error is { } error)
        {
            return error;
        }

        if (RequireFrames(request) is { } wrongType)
        {
            return wrongType;
        }

        await using var batch = chunks.BeginBatch(grant.Repository!.Id);
        var reader = new FrameReader(request.Body, FrameFormat.MaxChunkFrame);
        var frames = 0;
        var stored = 0;
        try
        {
            while (await reader.ReadAsync(cancellationToken) is { } frame)
            {
                if (++frames > RequestLimits.UploadFrames)
                {
                    return Errors.BadRequest($"more than {RequestLimits.UploadFrames} frames in one request; nothing was stored");
                }

                if (frame.Kind != FrameKind.Chunk)
                {
                    return Errors.BadRequest($"frame {frames} is a {Describe(frame.Kind)}, not a chunk (send it to .../objects); nothing was stored");
                }

                if (frame.Data.Length == 0)
                {
                    return Errors.BadRequest($"chunk {frame.Id} is empty; nothing was stored");
                }

                var actual = ObjectId.Compute(frame.Data.Span);
                if (actual != frame.Id)
                {
                    return Errors.BadRequest($"chunk {frame.Id} does not match its bytes (they hash to {actual}); nothing was stored");
                }

                if (await batch.AddAsync(frame.Id, frame.Data, cancellationToken))
                {
                    stored++;
                }
            }

            if (await HasTrailingBytesAsync(request.Body, cancellationToken))
            {
                return Errors.BadRequest("bytes after the end frame; nothing was stored");
            }
        }
        catch (CorruptObjectException e)
        {
            return Errors.BadRequest(e.Message + " Nothing was stored.");
        }

        await batch.CommitAsync(cancellationToken);
        return TypedResults.Ok(new StoredResponse(stored));
    }

    public static async Task<Results<FrameStreamResult, JsonHttpResult<ApiError>>> GetClosureAsync(string owner, string name, ClosureRequest request,
        Caller caller, RepositoryAccess access, IMetadataStore store, ClosureWalker walker, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Read, cancellationToken);
        if (grant.Error is { } error)
        {
            return error;
        }

        if (ParseIds(request.Want, "want", out var want) is { } badWant)
        {
            return badWant;
        }

        if (ParseIds(request.Have ?? [], "have", out var have) is { } badHave)
        {
            return badHave;
        }

        var repositoryId = grant.Repository!.Id;
        foreach (var id in want)
        {
            // Only complete commits are served, so the stream never stops half-way for want of an object.
            if (!await store.IsCompleteAsync(repositoryId, id, cancellationToken))
            {
                return Errors.NotFound($"commit {id} not found (or not completely pushed) in {grant.Repository.FullName}");
            }
        }

        return new FrameStreamResult(async (writer, ct) =>
        {
            await foreach (var o in walker.ClosureAsync(repositoryId, want, have, ct))
            {
                await writer.WriteAsync(o.Kind, o.Id, o.Data, ct);
            }
        });
    }

    public static async Task<Results<FrameStreamResult, JsonHttpResult<ApiError>>> DownloadChunksAsync(string owner, string name, IdListRequest request,
        Caller caller, RepositoryAccess access, IChunkStore chunks, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Read, cancellationToken);
        if (grant.Error is { } error)
        {
            return error;
        }

        if (ParseIds(request.Ids, "ids", out var ids) is { } invalid)
        {
            return invalid;
        }

        var repositoryId = grant.Repository!.Id;
        var missing = await chunks.FindMissingAsync(repositoryId, ids, cancellationToken);
        if (missing.Count > 0)
        {
            return Errors.NotFound($"chunk {missing[0]} not found in {grant.Repository.FullName} ({missing.Count} of the {ids.Count} asked are missing)");
        }

        return new FrameStreamResult(async (writer, ct) =>
        {
            await foreach (var chunk in chunks.ReadManyAsync(repositoryId, ids, ct))
            {
                await writer.WriteAsync(FrameKind.Chunk, chunk.Id, chunk.Data, ct);
            }
        });
    }

    public static async Task<Results<Ok<RefUpdateResponse>, JsonHttpResult<ApiError>>> UpdateRefAsync(string owner, string name, RefUpdateRequest request,
        Caller caller, RepositoryAccess access, IMetadataStore store, ClosureWalker walker, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Write, cancellationToken);
        if (grant.Error is { } error)
        {
            return error;
        }

        if (Names.ValidateRef(request.Name) is { } badName)
        {
            return Errors.BadRequest(badName);
        }

        if (!ObjectId.TryParse(request.New, out var target))
        {
            return Errors.BadRequest("new must be a 64-digit hex commit id");
        }

        ObjectId? expected = null;
        if (request.Old is not null)
        {
            if (!ObjectId.TryParse(request.Old, out var old))
            {
                return Errors.BadRequest("old must be a 64-digit hex commit id or null");
            }

            expected = old;
        }

        var repositoryId = grant.Repository!.Id;
        if (await walker.FindMissingAsync(repositoryId, target, cancellationToken) is { } missing)
        {
            return Errors.Unprocessable($"cannot move {request.Name}: {missing}; push it first");
        }

        var refs = await store.ListRefsAsync(repositoryId, cancellationToken);
        var current = refs.Where(r => r.Key == request.Name).Select(r => (ObjectId?)r.Value).FirstOrDefault();
        if (current != expected)
        {
            return Errors.Conflict(Moved(request.Name, current, expected));
        }

        if (expected is { } from && from != target && !request.Force)
        {
            if (request.Name.StartsWith(Names.TagsPrefix, StringComparison.Ordinal))
            {
                return Errors.Conflict($"tag {request.Name} already exists at {from.ToShortString()}; moving a tag needs force");
            }

            if (!await walker.IsAncestorAsync(repositoryId, from, target, cancellationToken))
            {
                return Errors.Conflict($"{request.Name} at {from.ToShortString()} is not an ancestor of {target.ToShortString()} (not a fast-forward): "
                    + "pull and merge first, or force");
            }
        }

        var outcome = await store.CompareAndSwapRefAsync(repositoryId, request.Name, expected, target, cancellationToken);
        if (outcome == RefUpdateOutcome.Conflict)
        {
            var now = (await store.ListRefsAsync(repositoryId, cancellationToken)).Where(r => r.Key == request.Name).Select(r => (ObjectId?)r.Value)
                .FirstOrDefault();
            return Errors.Conflict(Moved(request.Name, now, expected));
        }

        return TypedResults.Ok(new RefUpdateResponse(request.Name, target.ToString()));
    }

    private static string Moved(string name, ObjectId? current, ObjectId? expected) =>
        $"{name} is at {current?.ToShortString() ?? "nothing"}, not {expected?.ToShortString() ?? "nothing"}: someone pushed first; pull and push again";

    /// <summary>Parses a JSON id list, enforcing the count limit.</summary>
    private static JsonHttpResult<ApiError>? ParseIds(IReadOnlyList<string>? values, string field, out List<ObjectId> ids)
    {
        ids = [];
        if (values is null)
        {
            return Errors.BadRequest($"{field} is required");
        }

        if (values.Count > RequestLimits.Ids)
        {
            return Errors.BadRequest($"{field} has {values.Count} ids; at most {RequestLimits.Ids} per request");
        }

        ids.Capacity = values.Count;
        foreach (var value in values)
        {
            if (!ObjectId.TryParse(value, out var id) || value.Any(char.IsAsciiLetterUpper))
            {
                return Errors.BadRequest($"'{Shorten(value)}' in {field} is not a 64-digit lowercase hex id");
            }

            ids.Add(id);
        }

        return null;
    }

    /// <summary>Null when a metadata frame verifies, else why not.</summary>
    private static string? VerifyObject(Frame frame)
    {
        switch (frame.Kind)
        {
            case FrameKind.Tree:
                Tree.Decode(frame.Data.Span, frame.Id);
                return null;
            case FrameKind.Commit:
                Commit.Decode(frame.Data.Span, frame.Id);
                return null;
            case FrameKind.Manifest:
                // Decode accepts only the canonical encoding (fixed-width fields, minimal varints, no trailing bytes).
                FileManifest.Decode(frame.Data.Span, frame.Id);
                return null;
            default:
                return $"a {Describe(frame.Kind)} frame cannot be uploaded to .../objects (chunks go to .../chunks)";
        }
    }

    private static async IAsyncEnumerable<MetadataObject> ReadSpoolAsync(Stream spool, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = new FrameReader(spool, FrameFormat.MaxObjectFrame);
        while (await reader.ReadAsync(cancellationToken) is { } frame)
        {
            yield return new MetadataObject(frame.Id, frame.Kind, frame.Data);
        }
    }

    private static JsonHttpResult<ApiError>? RequireFrames(HttpRequest request) =>
        request.ContentType?.Split(';', 2)[0].Trim().Equals(FrameFormat.MediaType, StringComparison.OrdinalIgnoreCase) == true
            ? null
            : Errors.Status(StatusCodes.Status415UnsupportedMediaType, $"send the body as {FrameFormat.MediaType}");

    private static async Task<bool> HasTrailingBytesAsync(Stream body, CancellationToken cancellationToken)
    {
        var probe = new byte[1];
        return await body.ReadAsync(probe, cancellationToken) > 0;
    }

    private static string Describe(FrameKind kind) => kind.ToString().ToLowerInvariant();

    private static string Shorten(string? value) => value is null ? "null" : value.Length > 70 ? value[..70] + "..." : value;
}
