using System.Runtime.CompilerServices;
using Lmvp.Server.Hosting;
using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Graph;
using Lmvp.Store.Packs;
using Lmvp.Store.Protocol;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>The sync protocol of docs/PROTOCOL.md: refs, missing ids, verified uploads, closure and chunk download, ref update.</summary>
internal static class SyncEndpoints
{
    public static void MapSyncEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/repos/{owner}/{name}").WithTags("Sync").WithRepositoryAccess().WithErrorResponses(400, 401, 403, 404, 409, 413, 415, 422, 500, 503, 507);
        group.MapGet("/refs", GetRefsAsync).WithSummary("Branches and tags, and the default branch.");
        group.MapPost("/objects/missing", FindMissingObjectsAsync).WithSummary("Which of these commits, trees and manifests the server lacks.");
        group.MapPost("/chunks/missing", FindMissingChunksAsync).WithSummary("Which of these chunks the server lacks.");
        Upload(group.MapPost("/objects", UploadObjectsAsync), "Upload trees, commits and manifests (a frame stream); each is verified; all are kept or none.");
        Upload(group.MapPost("/chunks", UploadChunksAsync), "Upload chunks (a frame stream); each is hashed before anything is kept; all are kept or none.");
        group.MapPost("/objects/closure", GetClosureAsync)
            .WithSummary("Every commit, tree and manifest reachable from want and not from have (a frame stream).")
            .WithRequestTimeout(RequestLimits.StreamPolicy);
        group.MapPost("/chunks/download", DownloadChunksAsync)
            .WithSummary("These chunks, in the order asked (a frame stream).")
            .WithRequestTimeout(RequestLimits.StreamPolicy);
        group.MapPost("/refs/update", UpdateRefAsync).WithSummary("Move a ref by compare-and-swap to a commit whose whole closure is present.")
            .Requires(AccessLevel.Write);
    }

    /// <summary>What both frame-stream uploads declare: the media type, the large body limit and timeout, the write role.</summary>
    private static void Upload(RouteHandlerBuilder endpoint, string summary) =>
        endpoint.WithSummary(summary).Accepts<byte[]>(FrameFormat.MediaType).WithBodyLimit(ProtocolLimits.MaxUploadBody)
            .WithRequestTimeout(RequestLimits.UploadPolicy).Requires(AccessLevel.Write);

    public static async Task<Results<Ok<RefsResponse>, JsonHttpResult<ApiError>>> GetRefsAsync(RepositoryContext repo, IRefStore refs,
        CancellationToken cancellationToken)
    {
        var list = await refs.ListRefsAsync(repo.Id, cancellationToken);
        return TypedResults.Ok(new RefsResponse(repo.Record.DefaultBranch, list.ToDictionary(r => r.Key, r => r.Value.ToString(), StringComparer.Ordinal)));
    }

    public static Task<Results<Ok<MissingResponse>, JsonHttpResult<ApiError>>> FindMissingObjectsAsync(IdListRequest request, RepositoryContext repo,
        IObjectStore objects, CancellationToken cancellationToken) =>
        MissingAsync(request, ids => objects.FindMissingObjectsAsync(repo.Id, ids, cancellationToken));

    public static Task<Results<Ok<MissingResponse>, JsonHttpResult<ApiError>>> FindMissingChunksAsync(IdListRequest request, RepositoryContext repo,
        ChunkStore chunks, CancellationToken cancellationToken) =>
        MissingAsync(request, ids => chunks.FindMissingAsync(repo.Id, ids, cancellationToken));

    public static async Task<Results<Ok<StoredResponse>, JsonHttpResult<ApiError>>> UploadObjectsAsync(RepositoryContext repo, HttpRequest request,
        IObjectStore objects, FileVerifier files, ServerPaths paths, CancellationToken cancellationToken)
    {
        // Verified objects wait in a spool file until the whole stream has arrived, then go to the store in one
        // transaction: memory stays bounded and a bad or truncated stream leaves nothing behind.
        await using var spool = new FileStream(Path.Combine(paths.Temp, "objects-" + Guid.NewGuid().ToString("N")), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var spoolWriter = new FrameWriter(spool);
        var manifests = new List<FileManifest>();
        var refused = await ReadUploadAsync(request, ProtocolLimits.MaxObjectFrame, async (frame, _) =>
        {
            if (VerifyObject(frame, manifests) is { } bad)
            {
                return bad;
            }

            await spoolWriter.WriteAsync(frame.Kind, frame.Id, frame.Data, cancellationToken);
            return null;
        }, cancellationToken);
        if (refused is not null)
        {
            return refused;
        }

        await spoolWriter.CompleteAsync(cancellationToken);

        // A file is accepted only if its chunks, which a push sends first, are all here and hash in order to its id: a manifest filed
        // under another file's id would otherwise make every clone of the branch fail.
        var fresh = (await objects.FindMissingObjectsAsync(repo.Id, [.. manifests.Select(m => m.FileId)], cancellationToken)).ToHashSet();
        manifests.RemoveAll(m => !fresh.Contains(m.FileId));
        if (await files.VerifyAsync(repo.Id, manifests, mark: false, cancellationToken) is { } bad)
        {
            return Errors.Status(bad.ChunkMissing ? StatusCodes.Status422UnprocessableEntity : StatusCodes.Status400BadRequest,
                $"file {bad.FileId} does not verify: {bad.Problem}; nothing was stored");
        }

        spool.Position = 0;
        var stored = await objects.PutObjectsAsync(repo.Id, ReadSpoolAsync(spool, cancellationToken), cancellationToken);
        await objects.MarkCompleteAsync(repo.Id, [.. manifests.Select(m => m.FileId)], cancellationToken);
        return TypedResults.Ok(new StoredResponse(stored));
    }

    public static async Task<Results<Ok<StoredResponse>, JsonHttpResult<ApiError>>> UploadChunksAsync(RepositoryContext repo, HttpRequest request,
        ChunkStore chunks, CancellationToken cancellationToken)
    {
        await using var batch = chunks.BeginBatch(repo.Id);
        // Pooled and sized by the largest chunk decoded (256 KiB at most from lmvp): a 4 MiB array per request was a fresh
        // large-object allocation each time, which the GC frees only at a full collection.
        byte[]? scratch = null;
        try
        {
            return await ReceiveChunksAsync(request, batch, length =>
            {
                if (scratch is null || scratch.Length < length)
                {
                    ServerBuffers.Return(ref scratch);
                    scratch = ServerBuffers.Pool.Rent(length);
                }

                return scratch;
            }, cancellationToken);
        }
        finally
        {
            ServerBuffers.Return(ref scratch);
        }
    }

    private static async Task<Results<Ok<StoredResponse>, JsonHttpResult<ApiError>>> ReceiveChunksAsync(HttpRequest request, ChunkStore.ChunkBatch batch,
        Func<int, byte[]> scratchOf, CancellationToken cancellationToken)
    {
        var refused = await ReadUploadAsync(request, ProtocolLimits.MaxChunkFrame, (frame, number) =>
        {
            if (frame.Kind != ObjectKind.Chunk)
            {
                return new($"frame {number} is a {Describe(frame.Kind)}, not a chunk (send it to .../objects)");
            }

            if (frame.RawLength == 0)
            {
                return new($"chunk {frame.Id} is empty");
            }

            if (frame.Encoding == ChunkEncoding.Raw)
            {
                var actual = ObjectId.Compute(frame.Data.Span);
                if (actual != frame.Id)
                {
                    return new($"chunk {frame.Id} does not match its bytes (they hash to {actual})");
                }

                batch.Add(frame.Id, frame.Data.Span);
                return new((string?)null);
            }

            // Decoded into exactly its declared raw length (a frame that would expand further is refused), hashed, and only
            // then kept, in the encoding it came in.
            try
            {
                PackFormat.DecodeEntry(new PackEntry(frame.Id, ObjectKind.Chunk, frame.Encoding, 0, frame.Data.Length, frame.RawLength), frame.Data.Span,
                    scratchOf(frame.RawLength).AsSpan(0, frame.RawLength));
            }
            catch (CorruptObjectException e)
            {
                return new(e.Message.TrimEnd('.'));
            }

            batch.AddStored(frame.Id, frame.Encoding, frame.Data.Span, frame.RawLength);
            return new((string?)null);
        }, cancellationToken);
        return refused ?? (Results<Ok<StoredResponse>, JsonHttpResult<ApiError>>)TypedResults.Ok(new StoredResponse(await batch.CommitAsync(cancellationToken)));
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
        ChunkStore chunks, HttpContext http, CancellationToken cancellationToken)
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

        if (FrameFormat.AcceptsVersion2(http.Request.Headers.Accept))
        {
            // Chunks go as they are stored (compressed ones compressed); the client decodes, hashes and only then keeps each.
            return new FrameStreamResult(async (writer, ct) =>
            {
                await foreach (var chunk in chunks.ReadStoredManyAsync(repo.Id, ids, ct))
                {
                    await writer.WriteStoredAsync(ObjectKind.Chunk, chunk.Id, chunk.Encoding, chunk.RawLength, chunk.Stored, ct);
                }
            }, version: 2);
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
        var move = await updates.MoveAsync(repo.Graph, request, repo.Actor(RefActor.Push), cancellationToken);
        return move.Status == RefMoveStatus.Moved ? TypedResults.Ok(new RefUpdateResponse(request.Name, request.New)) : Errors.ForMove(move);
    }

    private static async Task<Results<Ok<MissingResponse>, JsonHttpResult<ApiError>>> MissingAsync(IdListRequest request,
        Func<List<ObjectId>, Task<IReadOnlyList<ObjectId>>> findMissing)
    {
        if (ParseIds(request.Ids, "ids", out var ids) is { } invalid)
        {
            return invalid;
        }

        var missing = await findMissing(ids);
        return TypedResults.Ok(new MissingResponse(missing.Select(m => m.ToString()).ToList()));
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

    /// <summary>Null when a metadata frame verifies, else why not; a manifest, decoded to verify it, is added to <paramref name="manifests"/>
    /// (decoding it again from the spool was another large-object array per large file).</summary>
    private static string? VerifyObject(Frame frame, List<FileManifest> manifests)
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
                manifests.Add(FileManifest.Decode(frame.Data.Span, frame.Id));
                return null;
            default:
                return $"a {Describe(frame.Kind)} frame cannot be uploaded to .../objects (chunks go to .../chunks)";
        }
    }

    private static async IAsyncEnumerable<MetadataObject> ReadSpoolAsync(Stream spool, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var reader = new FrameReader(spool, ProtocolLimits.MaxObjectFrame, ServerBuffers.Pool);
        while (await reader.ReadAsync(cancellationToken) is { } frame)
        {
            yield return new MetadataObject(frame.Id, frame.Kind, frame.Data);
        }
    }

    /// <summary>Reads a whole frame-stream upload, handing each frame (and its 1-based number) to <paramref name="onFrame"/>, which
    /// answers null to go on or why the frame is refused; null when the stream was read to its end and nothing was refused.</summary>
    private static async Task<JsonHttpResult<ApiError>?> ReadUploadAsync(HttpRequest request, int maxFrame, Func<Frame, int, ValueTask<string?>> onFrame,
        CancellationToken cancellationToken)
    {
        if (RequireFrames(request) is { } wrongType)
        {
            return wrongType;
        }

        using var reader = new FrameReader(request.Body, maxFrame, ServerBuffers.Pool);
        var frames = 0;
        try
        {
            while (await reader.ReadAsync(cancellationToken) is { } frame)
            {
                if (++frames > ProtocolLimits.MaxFramesPerUpload)
                {
                    return Errors.BadRequest($"more than {ProtocolLimits.MaxFramesPerUpload} frames in one request; nothing was stored");
                }

                if (await onFrame(frame, frames) is { } refusal)
                {
                    return Errors.BadRequest(refusal + "; nothing was stored");
                }
            }

            return await HasTrailingBytesAsync(request.Body, cancellationToken) ? Errors.BadRequest("bytes after the end frame; nothing was stored") : null;
        }
        catch (CorruptObjectException e)
        {
            return Errors.BadRequest(e.Message + " Nothing was stored.");
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
