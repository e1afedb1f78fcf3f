using System.Runtime.CompilerServices;
using Lmvp.Server.Hosting;
using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Graph;
using Lmvp.Store.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>The sync protocol of docs/PROTOCOL.md: refs, missing ids, verified uploads, closure and chunk download, ref update.</summary>
internal static class SyncEndpoints
{
    public static void MapSyncEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/repos/{owner}/{name}").WithTags("Sync").RequireAuthorization().WithRepositoryAccess().WithErrorResponses(400, 401, 403, 404, 409, 413, 415, 422, 503);
        group.MapGet("/refs", GetRefsAsync).WithSummary("Branches and tags, and the default branch.");
        group.MapPost("/objects/missing", FindMissingObjectsAsync).WithSummary("Which of these commits, trees and manifests the server lacks.");
        group.MapPost("/chunks/missing", FindMissingChunksAsync).WithSummary("Which of these chunks the server lacks.");
        group.MapPost("/objects", UploadObjectsAsync)
            .WithSummary("Upload trees, commits and manifests (a frame stream); each is verified; all are kept or none.")
            .Accepts<byte[]>(FrameFormat.MediaType)
            .WithBodyLimit(ProtocolLimits.MaxUploadBody)
            .WithRequestTimeout(RequestLimits.UploadPolicy)
            .Requires(AccessLevel.Write);
        group.MapPost("/chunks", UploadChunksAsync)
            .WithSummary("Upload chunks (a frame stream); each is hashed before anything is kept; all are kept or none.")
            .Accepts<byte[]>(FrameFormat.MediaType)
            .WithBodyLimit(ProtocolLimits.MaxUploadBody)
            .WithRequestTimeout(RequestLimits.UploadPolicy)
            .Requires(AccessLevel.Write);
        group.MapPost("/objects/closure", GetClosureAsync)
            .WithSummary("Every commit, tree and manifest reachable from want and not from have (a frame stream).")
            .WithRequestTimeout(RequestLimits.StreamPolicy);
        group.MapPost("/chunks/download", DownloadChunksAsync)
            .WithSummary("These chunks, in the order asked (a frame stream).")
            .WithRequestTimeout(RequestLimits.StreamPolicy);
        group.MapPost("/refs/update", UpdateRefAsync).WithSummary("Move a ref by compare-and-swap to a commit whose whole closure is present.")
            .Requires(AccessLevel.Write);
    }

    public static async Task<Results<Ok<RefsResponse>, JsonHttpResult<ApiError>>> GetRefsAsync(RepositoryContext repo, IRefStore refs,
        CancellationToken cancellationToken)
    {
        var list = await refs.ListRefsAsync(repo.Id, cancellationToken);
        return TypedResults.Ok(new RefsResponse(repo.Record.DefaultBranch, list.ToDictionary(r => r.Key, r => r.Value.ToString(), StringComparer.Ordinal)));
    }

    public static async Task<Results<Ok<MissingResponse>, JsonHttpResult<ApiError>>> FindMissingObjectsAsync(IdListRequest request, RepositoryContext repo,
        IObjectStore objects, CancellationToken cancellationToken)
    {
        if (ParseIds(request.Ids, "ids", out var ids) is { } invalid)
        {
            return invalid;
        }

        var missing = await objects.FindMissingObjectsAsync(repo.Id, ids, cancellationToken);
        return TypedResults.Ok(new MissingResponse(missing.Select(m => m.ToString()).ToList()));
    }

    public static async Task<Results<Ok<MissingResponse>, JsonHttpResult<ApiError>>> FindMissingChunksAsync(IdListRequest request, RepositoryContext repo,
        ChunkStore chunks, CancellationToken cancellationToken)
    {
        if (ParseIds(request.Ids, "ids", out var ids) is { } invalid)
        {
            return invalid;
        }

        var missing = await chunks.FindMissingAsync(repo.Id, ids, cancellationToken);
        return TypedResults.Ok(new MissingResponse(missing.Select(m => m.ToString()).ToList()));
    }

    public static async Task<Results<Ok<StoredResponse>, JsonHttpResult<ApiError>>> UploadObjectsAsync(RepositoryContext repo, HttpRequest request,
        IObjectStore objects, ServerPaths paths, CancellationToken cancellationToken)
    {
        if (RequireFrames(request) is { } wrongType)
        {
            return wrongType;
        }

        // Verified objects wait in a spool file until the whole stream has arrived, then go to the store in one
        // transaction: memory stays bounded and a bad or truncated stream leaves nothing behind.
        await using var spool = new FileStream(Path.Combine(paths.Temp, "objects-" + Guid.NewGuid().ToString("N")), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var spoolWriter = new FrameWriter(spool);
        var reader = new FrameReader(request.Body, ProtocolLimits.MaxObjectFrame);
        var frames = 0;
        try
        {
            while (await reader.ReadAsync(cancellationToken) is { } frame)
            {
                if (++frames > ProtocolLimits.MaxFramesPerUpload)
                {
                    return Errors.BadRequest($"more than {ProtocolLimits.MaxFramesPerUpload} frames in one request; nothing was stored");
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
        var stored = await objects.PutObjectsAsync(repo.Id, ReadSpoolAsync(spool, cancellationToken), cancellationToken);
        return TypedResults.Ok(new StoredResponse(stored));
    }

    public static async Task<Results<Ok<StoredResponse>, JsonHttpResult<ApiError>>> UploadChunksAsync(RepositoryContext repo, HttpRequest request,
        ChunkStore chunks, CancellationToken cancellationToken)
    {
        if (RequireFrames(request) is { } wrongType)
        {
            return wrongType;
        }

        await using var batch = chunks.BeginBatch(repo.Id);
        var reader = new FrameReader(request.Body, ProtocolLimits.MaxChunkFrame);
        var frames = 0;
        try
        {
            while (await reader.ReadAsync(cancellationToken) is { } frame)
            {
                if (++frames > ProtocolLimits.MaxFramesPerUpload)
                {
                    return Errors.BadRequest($"more than {ProtocolLimits.MaxFramesPerUpload} frames in one request; nothing was stored");
                }

                if (frame.Kind != ObjectKind.Chunk)
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

                batch.Add(frame.Id, frame.Data.Span);
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

        return TypedResults.Ok(new StoredResponse(await batch.CommitAsync(cancellationToken)));
    }

    public static async Task<Results<FrameStreamResult, JsonHttpResult<ApiError>>> GetClosureAsync(ClosureRequest request, RepositoryContext repo,
        IObjectStore objects, CancellationToken cancellationToken)
    {
        if (ParseIds(request.Want, "want", out var want) is { } badWant)
        {
            return badWant;
        }

        if (ParseIds(request.Have ?? [], "have", out var have) is { } badHave)
        {
            return badHave;
        }

        foreach (var id in want)
        {
            // Only complete commits are served, so the stream never stops half-way for want of an object.
            if (!await objects.IsCompleteAsync(repo.Id, id, cancellationToken))
            {
                return Errors.NotFound($"commit {id} not found (or not completely pushed) in {repo.Record.FullName}");
            }
        }

        return new FrameStreamResult(async (writer, ct) =>
        {
            await foreach (var node in Closure.ObjectsAsync(repo.Graph, want, have, ct))
            {
                var data = node.Commit?.Encode() ?? node.Tree?.Encode() ?? node.Manifest!.Encode();
                await writer.WriteAsync(node.Kind, node.Id, data, ct);
            }
        });
    }

    public static async Task<Results<FrameStreamResult, JsonHttpResult<ApiError>>> DownloadChunksAsync(IdListRequest request, RepositoryContext repo,
        ChunkStore chunks, CancellationToken cancellationToken)
    {
        if (ParseIds(request.Ids, "ids", out var ids) is { } invalid)
        {
            return invalid;
        }

        var missing = await chunks.FindMissingAsync(repo.Id, ids, cancellationToken);
        if (missing.Count > 0)
        {
            return Errors.NotFound($"chunk {missing[0]} not found in {repo.Record.FullName} ({missing.Count} of the {ids.Count} asked are missing)");
        }

        return new FrameStreamResult(async (writer, ct) =>
        {
            await foreach (var chunk in chunks.ReadManyAsync(repo.Id, ids, ct))
            {
                await writer.WriteAsync(ObjectKind.Chunk, chunk.Id, chunk.Data, ct);
            }
        });
    }

    public static async Task<Results<Ok<RefUpdateResponse>, JsonHttpResult<ApiError>>> UpdateRefAsync(RefUpdateRequest request, RepositoryContext repo,
        RefUpdates updates, CancellationToken cancellationToken)
    {
        var move = await updates.MoveAsync(repo.Graph, request, cancellationToken);
        return move.Status switch
        {
            RefMoveStatus.Moved => TypedResults.Ok(new RefUpdateResponse(request.Name, request.New)),
            RefMoveStatus.Invalid => Errors.BadRequest(move.Message),
            RefMoveStatus.Incomplete => Errors.Unprocessable(move.Message),
            _ => Errors.Conflict(move.Message),
        };
    }

    /// <summary>Parses a JSON id list, enforcing the count limit.</summary>
    private static JsonHttpResult<ApiError>? ParseIds(IReadOnlyList<string>? values, string field, out List<ObjectId> ids)
    {
        ids = [];
        if (values is null)
        {
            return Errors.BadRequest($"{field} is required");
        }

        if (values.Count > ProtocolLimits.MaxIdsPerRequest)
        {
            return Errors.BadRequest($"{field} has {values.Count} ids; at most {ProtocolLimits.MaxIdsPerRequest} per request");
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
            case ObjectKind.Tree:
                Tree.Decode(frame.Data.Span, frame.Id);
                return null;
            case ObjectKind.Commit:
                Commit.Decode(frame.Data.Span, frame.Id);
                return null;
            case ObjectKind.Manifest:
                // Decode accepts only the canonical encoding (fixed-width fields, minimal varints, no trailing bytes).
                FileManifest.Decode(frame.Data.Span, frame.Id);
                return null;
            default:
                return $"a {Describe(frame.Kind)} frame cannot be uploaded to .../objects (chunks go to .../chunks)";
        }
    }

    private static async IAsyncEnumerable<MetadataObject> ReadSpoolAsync(Stream spool, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var reader = new FrameReader(spool, ProtocolLimits.MaxObjectFrame);
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

    private static string Describe(ObjectKind kind) => kind.ToString().ToLowerInvariant();

    private static string Shorten(string? value) => value is null ? "null" : value.Length > 70 ? value[..70] + "..." : value;
}
