using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>The audit log of security events, for server admins.</summary>
internal static class AuditEndpoints
{
    /// <summary>The most events one page holds.</summary>
    public const int MaxPage = 500;

    public static void MapAuditEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/admin").WithTags("Admin").RequireAuthorization().WithErrorResponses(400, 401, 403);
        group.MapGet("/audit", ListAsync)
            .WithSummary("Security events, newest first (server admins): sign-ins and failed ones, tokens, members and roles, force pushes. "
                + "kind=signin.failed,token.created narrows by kind, user= by actor.");
    }

    public static async Task<Results<Ok<AuditLogResponse>, JsonHttpResult<ApiError>>> ListAsync(Caller caller, IAuditLog log, string? kind, string? user,
        long? before, int? limit, CancellationToken cancellationToken)
    {
        if (UserEndpoints.RequireServerAdmin(caller) is { } denied)
        {
            return denied;
        }

        var size = Math.Clamp(limit ?? 100, 1, MaxPage);
        var kinds = kind?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (kinds is { Length: > 50 })
        {
            return Errors.BadRequest("name at most 50 kinds");
        }

        var page = await log.ListAsync(new AuditQuery(kinds, string.IsNullOrEmpty(user) ? null : user, before, size), cancellationToken);
        return TypedResults.Ok(new AuditLogResponse([.. page.Select(ToResponse)], page.Count == size ? page[^1].Id : null));
    }

    internal static AuditEntryResponse ToResponse(AuditRecord e) =>
        new(e.Id, e.At, e.Kind, e.ActorName, e.Address, e.Repository.Length == 0 ? null : e.Repository, e.Subject, e.Detail);
}
