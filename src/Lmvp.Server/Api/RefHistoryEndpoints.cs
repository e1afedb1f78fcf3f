using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>The history of every ref move in a repository, restoring a ref to an earlier value, and the protected branches.</summary>
internal static class RefHistoryEndpoints
{
    /// <summary>The most entries one page of history holds.</summary>
    public const int MaxPage = 500;

    public static void MapRefHistoryEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/repos/{owner}/{name}").WithTags("Refs").WithRepositoryAccess().WithErrorResponses(400, 401, 403, 404, 409, 422);
        group.MapGet("/refs/history", HistoryAsync)
            .WithSummary("Every ref move (push, force push, delete, API, web, restore), newest first: who, when, old, new, with which token.");
        group.MapPost("/refs/restore", RestoreAsync).WithSummary("Point a ref back at a value its history recorded (role admin).").Requires(AccessLevel.Admin);
        group.MapGet("/protection", GetProtectionAsync).WithSummary("The protected branches (by default, the default branch).");
        group.MapPut("/protection", SetProtectionAsync).WithSummary("Set the protected branches (role admin).").Requires(AccessLevel.Admin);
    }

    public static async Task<Results<Ok<RefHistoryResponse>, JsonHttpResult<ApiError>>> HistoryAsync(RepositoryContext repo, IRefStore refs,
        string? @ref, long? before, int? limit, CancellationToken cancellationToken)
    {
        var name = @ref is null ? null : FullName(@ref);
        if (name is not null && !RefName.TryParse(name, out _))
        {
            return Errors.BadRequest($"'{@ref}' is not a valid ref name: {RefName.Validate(name)}");
        }

        var size = Math.Clamp(limit ?? 100, 1, MaxPage);
        var page = await refs.ListRefHistoryAsync(repo.Id, name, before, size, cancellationToken);
        return TypedResults.Ok(new RefHistoryResponse([.. page.Select(ToResponse)], page.Count == size ? page[^1].Id : null));
    }

    public static async Task<Results<Ok<RefResponse>, JsonHttpResult<ApiError>>> RestoreAsync(RepositoryContext repo, RestoreRefRequest request,
        RefUpdates refUpdates, CancellationToken cancellationToken)
    {
        if (!ObjectId.TryParse(request.Target, out var target))
        {
            return Errors.BadRequest("target must be a 64-digit hex commit id");
        }

        var name = FullName(request.Ref);
        var moved = await refUpdates.RestoreAsync(repo.Graph, name, target, repo.Actor(RefActor.Api), cancellationToken);
        return moved.Status == RefMoveStatus.Moved ? TypedResults.Ok(new RefResponse(name, target.ToString())) : Errors.ForMove(moved);
    }

    public static async Task<Results<Ok<ProtectionResponse>, JsonHttpResult<ApiError>>> GetProtectionAsync(RepositoryContext repo, BranchProtection protection,
        CancellationToken cancellationToken)
    {
        var (patterns, isDefault) = await protection.GetAsync(repo.Record, cancellationToken);
        return TypedResults.Ok(new ProtectionResponse(patterns, isDefault));
    }

    public static async Task<Results<Ok<ProtectionResponse>, JsonHttpResult<ApiError>>> SetProtectionAsync(RepositoryContext repo, ProtectionRequest request,
        BranchProtection protection, AuditTrail audit, CancellationToken cancellationToken)
    {
        if (await protection.SetAsync(repo.Record, request.Branches, cancellationToken) is { } error)
        {
            return Errors.BadRequest(error);
        }

        var (patterns, isDefault) = await protection.GetAsync(repo.Record, cancellationToken);
        await audit.RecordAsync(AuditKinds.ProtectionChanged, repo.Caller, repo.Address, repo.Record, "protected branches",
            isDefault ? "the default branch" : string.Join(", ", patterns), cancellationToken);
        return TypedResults.Ok(new ProtectionResponse(patterns, isDefault));
    }

    internal static RefHistoryEntryResponse ToResponse(RefHistoryRecord e) =>
        new(e.Id, e.Name, e.Old?.ToString(), e.New?.ToString(), e.Kind, e.Via, e.UserName, e.TokenId is { } t ? new RefHistoryTokenResponse(t, e.TokenName) : null,
            e.AuthMethod, e.At);

    /// <summary>A full ref name, from a full one or a branch's short name.</summary>
    internal static string FullName(string name) => name.StartsWith("refs/", StringComparison.Ordinal) ? name : RefName.HeadsPrefix + name;
}
