using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>Branches and tags as JSON; tags made, moved (with force) and deleted, and branches deleted, over HTTP, by the same policy as a
/// push.</summary>
internal static class RefEndpoints
{
    public static void MapRefEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/repos/{owner}/{name}").WithTags("Refs").WithRepositoryAccess().WithErrorResponses(400, 401, 403, 404, 409);
        group.MapGet("/branches", BranchesAsync).WithSummary("Branches and their heads, and the default branch.");
        group.MapGet("/tags", TagsAsync).WithSummary("Tags and their commits.");
        group.MapPut("/tags/{**tag}", PutTagAsync).WithSummary("Create a tag at a revision, or move it with force (role write).").Requires(AccessLevel.Write);
        group.MapDelete("/tags/{**tag}", DeleteTagAsync).WithSummary("Delete a tag (role write).").Requires(AccessLevel.Write);
        group.MapDelete("/branches/{**branch}", DeleteBranchAsync)
            .WithSummary("Delete a branch (role write; admin for a protected branch; never the default branch).").Requires(AccessLevel.Write);
    }

    public static async Task<Results<Ok<BranchesResponse>, JsonHttpResult<ApiError>>> BranchesAsync(RepositoryContext repo, IRefStore refs,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(new BranchesResponse(repo.Record.DefaultBranch, await ListAsync(repo, refs, RefName.HeadsPrefix, cancellationToken)));

    public static async Task<Results<Ok<List<RefResponse>>, JsonHttpResult<ApiError>>> TagsAsync(RepositoryContext repo, IRefStore refs,
        CancellationToken cancellationToken) =>
        TypedResults.Ok(await ListAsync(repo, refs, RefName.TagsPrefix, cancellationToken));

    public static async Task<Results<Created<RefResponse>, Ok<RefResponse>, JsonHttpResult<ApiError>>> PutTagAsync(RepositoryContext repo, string tag,
        TagRequest request, IRefStore refs, RefUpdates refUpdates, CancellationToken cancellationToken)
    {
        var full = RefName.TagsPrefix + tag;
        if (!RefName.TryParse(full, out _))
        {
            return Errors.BadRequest($"'{tag}' is not a valid tag name: {RefName.Validate(full)}");
        }

        var target = await Revisions.ResolveAsync(repo.Graph, request.Target, cancellationToken);
        if (target.Error is { } error)
        {
            return error;
        }

        var current = await refs.GetRefAsync(repo.Id, full, cancellationToken);
        var id = target.Commit!.Id;
        var moved = await refUpdates.MoveAsync(repo.Graph, new(full, current?.ToString(), id.ToString(), request.Force), repo.Actor(RefActor.Api), cancellationToken);
        return moved.Status switch
        {
            RefMoveStatus.Moved when current is null => TypedResults.Created($"/api/v1/repos/{repo.Record.FullName}/tags/{tag}", new RefResponse(tag, id.ToString())),
            RefMoveStatus.Moved => TypedResults.Ok(new RefResponse(tag, id.ToString())),
            _ => Errors.ForMove(moved),
        };
    }

    public static Task<Results<NoContent, JsonHttpResult<ApiError>>> DeleteTagAsync(RepositoryContext repo, string tag, RefUpdates refUpdates,
        CancellationToken cancellationToken) => DeleteAsync(repo, RefName.TagsPrefix + tag, "tag", tag, refUpdates, cancellationToken);

    public static Task<Results<NoContent, JsonHttpResult<ApiError>>> DeleteBranchAsync(RepositoryContext repo, string branch, RefUpdates refUpdates,
        CancellationToken cancellationToken) => DeleteAsync(repo, RefName.HeadsPrefix + branch, "branch", branch, refUpdates, cancellationToken);

    private static async Task<Results<NoContent, JsonHttpResult<ApiError>>> DeleteAsync(RepositoryContext repo, string fullName, string what, string shortName,
        RefUpdates refUpdates, CancellationToken cancellationToken)
    {
        if (!RefName.TryParse(fullName, out _))
        {
            return Errors.NotFound($"no {what} '{shortName}' in {repo.Record.FullName}");
        }

        var deleted = await refUpdates.DeleteAsync(repo.Graph, fullName, repo.Actor(RefActor.Api), cancellationToken);
        return deleted.Status == RefMoveStatus.Moved ? TypedResults.NoContent() : Errors.ForMove(deleted);
    }

    private static async Task<List<RefResponse>> ListAsync(RepositoryContext repo, IRefStore refs, string prefix, CancellationToken cancellationToken) =>
        [.. (await refs.ListRefsAsync(repo.Id, cancellationToken))
            .Where(r => r.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Select(r => new RefResponse(r.Key[prefix.Length..], r.Value.ToString()))];
}
