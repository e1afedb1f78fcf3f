using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>Repositories and their members.</summary>
internal static class RepositoryEndpoints
{
    /// <summary>The longest description accepted.</summary>
    public const int MaxDescriptionLength = 1000;

    public static void MapRepositoryEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/repos").WithTags("Repositories").RequireAuthorization();
        group.MapGet("/", ListAsync).WithSummary("Repositories the caller can read.");
        group.MapPost("/", CreateAsync).WithSummary("Create a repository owned by the caller (a push never creates one).");
        group.MapGet("/{owner}/{name}", GetAsync).WithSummary("A repository and the caller's role in it.");
        group.MapPatch("/{owner}/{name}", UpdateAsync).WithSummary("Change visibility or description (role admin).");
        group.MapGet("/{owner}/{name}/members", ListMembersAsync).WithSummary("Members and their roles (role admin).");
        group.MapPut("/{owner}/{name}/members/{username}", SetMemberAsync).WithSummary("Add a member or change their role (role admin).");
        group.MapDelete("/{owner}/{name}/members/{username}", RemoveMemberAsync).WithSummary("Remove a member (role admin).");
    }

    public static async Task<Ok<List<RepositoryResponse>>> ListAsync(Caller caller, IMetadataStore store, CancellationToken cancellationToken)
    {
        var repositories = await store.ListVisibleRepositoriesAsync(caller.UserId, caller.IsServerAdmin, cancellationToken);
        return TypedResults.Ok(repositories
            .Select(r => (r.Repository, Role: RepositoryAccess.RoleFromMembership(caller, r.Repository, r.MemberRole)))
            .Where(r => r.Role != AccessLevel.None)
            .Select(r => ToResponse(r.Repository, r.Role))
            .ToList());
    }

    public static async Task<Results<Created<RepositoryResponse>, JsonHttpResult<ApiError>>> CreateAsync(CreateRepositoryRequest request, Caller caller,
        IMetadataStore store, CancellationToken cancellationToken)
    {
        if (caller.Scope < AccessLevel.Write)
        {
            return Errors.Forbidden($"this token's scope is {caller.Scope.ToName()}; creating a repository needs write");
        }

        if (!Names.IsValid(request.Name))
        {
            return Errors.BadRequest($"'{request.Name}' is not a valid repository name: use letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit)");
        }

        if (request.Description is { Length: > MaxDescriptionLength })
        {
            return Errors.BadRequest($"the description is longer than {MaxDescriptionLength} characters");
        }

        var repository = await store.CreateRepositoryAsync(caller.UserId, request.Name, request.Private, request.Description ?? "", cancellationToken);
        return repository is null
            ? Errors.Conflict($"repository {caller.UserName}/{request.Name} already exists")
            : TypedResults.Created($"/api/v1/repos/{repository.FullName}", ToResponse(repository, AccessLevel.Admin));
    }

    public static async Task<Results<Ok<RepositoryResponse>, JsonHttpResult<ApiError>>> GetAsync(string owner, string name, Caller caller,
        RepositoryAccess access, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Read, cancellationToken);
        return grant.Error ?? (Results<Ok<RepositoryResponse>, JsonHttpResult<ApiError>>)TypedResults.Ok(ToResponse(grant.Repository!, grant.Role));
    }

    public static async Task<Results<Ok<RepositoryResponse>, JsonHttpResult<ApiError>>> UpdateAsync(string owner, string name,
        UpdateRepositoryRequest request, Caller caller, RepositoryAccess access, IMetadataStore store, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Admin, cancellationToken);
        if (grant.Error is { } error)
        {
            return error;
        }

        if (request.Description is { Length: > MaxDescriptionLength })
        {
            return Errors.BadRequest($"the description is longer than {MaxDescriptionLength} characters");
        }

        var updated = await store.UpdateRepositoryAsync(grant.Repository!.Id, request.Private, request.Description, cancellationToken);
        return TypedResults.Ok(ToResponse(updated!, grant.Role));
    }

    public static async Task<Results<Ok<List<MemberResponse>>, JsonHttpResult<ApiError>>> ListMembersAsync(string owner, string name, Caller caller,
        RepositoryAccess access, IMetadataStore store, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Admin, cancellationToken);
        if (grant.Error is { } error)
        {
            return error;
        }

        var members = await store.ListMembersAsync(grant.Repository!.Id, cancellationToken);
        return TypedResults.Ok(members.Select(m => new MemberResponse(m.UserName, m.Role.ToName())).ToList());
    }

    public static async Task<Results<Ok<MemberResponse>, JsonHttpResult<ApiError>>> SetMemberAsync(string owner, string name, string username,
        SetMemberRequest request, Caller caller, RepositoryAccess access, IMetadataStore store, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Admin, cancellationToken);
        if (grant.Error is { } error)
        {
            return error;
        }

        if (!AccessLevels.TryParse(request.Role, out var role))
        {
            return Errors.BadRequest("role must be read, write or admin");
        }

        var user = Names.IsValid(username) ? await store.FindUserAsync(username, cancellationToken) : null;
        if (user is null)
        {
            return Errors.NotFound($"no user named '{username}'");
        }

        if (user.Id == grant.Repository!.OwnerId)
        {
            return Errors.BadRequest($"{user.Name} owns {grant.Repository.FullName} and is always its admin");
        }

        await store.SetMemberAsync(grant.Repository.Id, user.Id, role, cancellationToken);
        return TypedResults.Ok(new MemberResponse(user.Name, role.ToName()));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> RemoveMemberAsync(string owner, string name, string username, Caller caller,
        RepositoryAccess access, IMetadataStore store, CancellationToken cancellationToken)
    {
        var grant = await access.AuthorizeAsync(caller, owner, name, AccessLevel.Admin, cancellationToken);
        if (grant.Error is { } error)
        {
            return error;
        }

        var user = Names.IsValid(username) ? await store.FindUserAsync(username, cancellationToken) : null;
        if (user is null || !await store.RemoveMemberAsync(grant.Repository!.Id, user.Id, cancellationToken))
        {
            return Errors.NotFound($"'{username}' is not a member of {grant.Repository?.FullName ?? owner + "/" + name}");
        }

        return TypedResults.NoContent();
    }

    internal static RepositoryResponse ToResponse(RepositoryRecord r, AccessLevel role) =>
        new(r.Owner, r.Name, r.FullName, r.IsPrivate, r.Description, r.DefaultBranch, role.ToName(), r.CreatedAt, r.UpdatedAt);
}
