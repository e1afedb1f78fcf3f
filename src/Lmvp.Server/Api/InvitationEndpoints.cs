using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>Invitations: one-time codes with which a new user registers (no mail server needed).</summary>
internal static class InvitationEndpoints
{
    /// <summary>How long an invitation lives unless asked otherwise.</summary>
    public const int DefaultExpiryDays = 7;

    public static void MapInvitationEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/invitations").WithTags("Invitations").RequireAuthorization().WithErrorResponses(400, 401, 403, 404);
        group.MapPost("/", CreateAsync).WithSummary("Invite someone: a repository admin to their repository, a server admin to anything.");
        group.MapGet("/", ListAsync).WithSummary("Invitations the caller made (server admins: all).");
        group.MapDelete("/{id:long}", DeleteAsync).WithSummary("Withdraw an invitation.");
    }

    public static async Task<Results<Created<CreatedInvitationResponse>, JsonHttpResult<ApiError>>> CreateAsync(CreateInvitationRequest request,
        Caller caller, MetadataStores store, RepositoryAccess access, TimeProvider time, CancellationToken cancellationToken)
    {
        if (UserEndpoints.RequireAdminScope(caller) is { } denied)
        {
            return denied;
        }

        var days = request.ExpiresDays ?? DefaultExpiryDays;
        if (days < 1 || days > 365)
        {
            return Errors.BadRequest("expiresDays must be between 1 and 365");
        }

        RepositoryRecord? repository = null;
        var role = AccessLevel.None;
        if (request.Repository is not null)
        {
            var parts = request.Repository.Split('/');
            if (parts.Length != 2)
            {
                return Errors.BadRequest("repository must be 'owner/name'");
            }

            var grant = await access.AuthorizeAsync(caller, parts[0], parts[1], AccessLevel.Admin, cancellationToken);
            if (grant.Error is { } error)
            {
                return error;
            }

            repository = grant.Repository;
            if (!AccessLevels.TryParse(request.Role ?? "read", out role))
            {
                return Errors.BadRequest("role must be read, write or admin");
            }
        }
        else if (request.Role is not null)
        {
            return Errors.BadRequest("a role needs a repository");
        }
        else if (!caller.IsServerAdmin)
        {
            return Errors.Forbidden("only a server admin may invite without a repository; name one you administer");
        }

        if (request.Admin && !caller.IsServerAdmin)
        {
            return Errors.Forbidden("only a server admin may invite another server admin");
        }

        var code = Secrets.Create(Secrets.InvitationPrefix);
        var invitation = await store.Invitations.CreateInvitationAsync(caller.UserId, Secrets.Hash(code), repository?.Id, role, request.Admin,
            time.GetUtcNow().AddDays(days), cancellationToken);
        return TypedResults.Created($"/api/v1/invitations/{invitation.Id}", new CreatedInvitationResponse(invitation.Id, code, repository?.FullName,
            repository is null ? null : role.ToName(), invitation.MakeAdmin, invitation.ExpiresAt));
    }

    public static async Task<Ok<List<InvitationResponse>>> ListAsync(Caller caller, MetadataStores store, CancellationToken cancellationToken)
    {
        var invitations = await store.Invitations.ListInvitationsAsync(caller.IsServerAdmin ? null : caller.UserId, cancellationToken);
        var list = new List<InvitationResponse>(invitations.Count);
        foreach (var i in invitations)
        {
            var repository = i.RepositoryId is { } r ? await store.Repositories.GetRepositoryAsync(r, cancellationToken) : null;
            var usedBy = i.UsedBy is { } u ? await store.Users.GetUserAsync(u, cancellationToken) : null;
            list.Add(new InvitationResponse(i.Id, repository?.FullName, repository is null ? null : i.Role.ToName(), i.MakeAdmin, i.CreatedAt, i.ExpiresAt,
                i.UsedAt, usedBy?.Name));
        }

        return TypedResults.Ok(list);
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> DeleteAsync(long id, Caller caller, MetadataStores store,
        CancellationToken cancellationToken)
    {
        if (UserEndpoints.RequireAdminScope(caller) is { } denied)
        {
            return denied;
        }

        var invitation = await store.Invitations.GetInvitationAsync(id, cancellationToken);
        if (invitation is null || (invitation.CreatedBy != caller.UserId && !caller.IsServerAdmin))
        {
            return Errors.NotFound($"no invitation #{id}");
        }

        await store.Invitations.DeleteInvitationAsync(id, cancellationToken);
        return TypedResults.NoContent();
    }
}
