using System.Globalization;
using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>Resumable whole-file uploads (role write): start a session, send parts at stated offsets (<c>Upload-Offset</c>, as tus
/// does), ask how much arrived, finish with the file's SHA-256; then name the upload in a commit request.</summary>
internal static class UploadEndpoints
{
    /// <summary>The header that carries a part's offset, and the bytes received in answers.</summary>
    public const string OffsetHeader = "Upload-Offset";

    public static void MapUploadEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/repos/{owner}/{name}/uploads").WithTags("Uploads").WithRepositoryAccess()
            .WithErrorResponses(400, 401, 403, 404, 409, 413, 422, 503);
        group.MapPost("", CreateAsync).WithSummary("Start uploading one file.").Requires(AccessLevel.Write);
        group.MapGet("/{id}", GetAsync).WithSummary("How much of the upload has arrived (where to resume).").Requires(AccessLevel.Write);
        group.MapPatch("/{id}", AppendAsync)
            .WithSummary($"Add the bytes of the body at the offset in the {OffsetHeader} header (which must be the bytes received so far).")
            .Accepts<byte[]>("application/octet-stream").WithBodyLimit(Uploads.MaxPartBytes).WithRequestTimeout(RequestLimits.UploadPolicy)
            .Requires(AccessLevel.Write);
        group.MapPost("/{id}/finish", FinishAsync)
            .WithSummary("Chunk and keep the uploaded file if its SHA-256 is the one stated (chunked as lmvp commit chunks).")
            .WithRequestTimeout(RequestLimits.StreamPolicy).Requires(AccessLevel.Write);
        group.MapDelete("/{id}", DeleteAsync).WithSummary("Abandon an upload.").Requires(AccessLevel.Write);
    }

    public static async Task<Results<Created<UploadResponse>, JsonHttpResult<ApiError>>> CreateAsync(RepositoryContext repo, CreateUploadRequest request,
        Uploads uploads, CancellationToken cancellationToken)
    {
        if (request.Size is < 0 or > Uploads.MaxFileBytes)
        {
            return Errors.BadRequest($"size must be 0 to {Uploads.MaxFileBytes} bytes");
        }

        var upload = await uploads.CreateAsync(repo.Id, repo.Caller.UserId, request.Size, cancellationToken);
        return TypedResults.Created($"/api/v1/repos/{repo.Record.FullName}/uploads/{upload.Id}", ToResponse(upload));
    }

    public static async Task<Results<Ok<UploadResponse>, JsonHttpResult<ApiError>>> GetAsync(RepositoryContext repo, string id, Uploads uploads,
        HttpResponse response, CancellationToken cancellationToken)
    {
        if (await uploads.FindAsync(id, repo.Id, repo.Caller.UserId, cancellationToken) is not { } upload)
        {
            return NotFound(id);
        }

        response.Headers[OffsetHeader] = upload.Received.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Ok(ToResponse(upload));
    }

    public static async Task<Results<Ok<UploadResponse>, JsonHttpResult<ApiError>>> AppendAsync(RepositoryContext repo, string id, HttpRequest request,
        Uploads uploads, CancellationToken cancellationToken)
    {
        if (await uploads.FindAsync(id, repo.Id, repo.Caller.UserId, cancellationToken) is not { } upload)
        {
            return NotFound(id);
        }

        if (!long.TryParse(request.Headers[OffsetHeader].ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return Errors.BadRequest($"send the part's offset in the {OffsetHeader} header (the server holds {upload.Received} bytes)");
        }

        var outcome = await uploads.AppendAsync(upload, offset, request.Body, cancellationToken);
        if (outcome.Upload is { } after)
        {
            request.HttpContext.Response.Headers[OffsetHeader] = after.Received.ToString(CultureInfo.InvariantCulture);
        }

        return outcome.Status switch
        {
            UploadStatus.Ok => TypedResults.Ok(ToResponse(outcome.Upload!)),
            UploadStatus.OffsetMismatch => Errors.Conflict(outcome.Message),
            _ => Errors.BadRequest(outcome.Message),
        };
    }

    public static async Task<Results<Ok<FinishedUploadResponse>, JsonHttpResult<ApiError>>> FinishAsync(RepositoryContext repo, string id,
        FinishUploadRequest request, Uploads uploads, CancellationToken cancellationToken)
    {
        if (request.Sha256 is not { Length: 64 } hex || !hex.All(Uri.IsHexDigit))
        {
            return Errors.BadRequest("sha256 must be the file's SHA-256 as 64 hex digits");
        }

        if (await uploads.FindAsync(id, repo.Id, repo.Caller.UserId, cancellationToken) is not { } upload)
        {
            return NotFound(id);
        }

        var outcome = await uploads.FinishAsync(upload, Convert.FromHexString(hex), cancellationToken);
        return outcome.Status switch
        {
            UploadStatus.Ok => TypedResults.Ok(new FinishedUploadResponse(upload.Id, outcome.Upload!.FileId!.Value.ToString(), outcome.Upload.Received,
                Convert.ToHexStringLower(outcome.Upload.Sha256!), outcome.NewChunks, outcome.NewBytes)),
            UploadStatus.Mismatch => Errors.Unprocessable(outcome.Message),
            _ => Errors.BadRequest(outcome.Message),
        };
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> DeleteAsync(RepositoryContext repo, string id, Uploads uploads,
        CancellationToken cancellationToken)
    {
        if (await uploads.FindAsync(id, repo.Id, repo.Caller.UserId, cancellationToken) is not { } upload)
        {
            return NotFound(id);
        }

        await uploads.DeleteAsync(upload, cancellationToken);
        return TypedResults.NoContent();
    }

    private static JsonHttpResult<ApiError> NotFound(string id) => Errors.NotFound($"no upload '{id}' of yours in this repository (it may have expired)");

    private static UploadResponse ToResponse(UploadRecord u) =>
        new(u.Id, u.Received, u.DeclaredSize, u.ExpiresAt, u.FileId?.ToString(), u.Sha256 is null ? null : Convert.ToHexStringLower(u.Sha256));
}
