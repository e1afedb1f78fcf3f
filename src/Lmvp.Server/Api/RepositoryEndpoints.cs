using Lmvp.Server.Auth;
using Lmvp.Server.Services;
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
        var group = app.MapGroup("/api/v1/repos").WithTags("Repositories").WithErrorResponses(400, 401, 403, 404, 409);
        group.MapGet("/", ListAsync).WithSummary("Repositories the caller can read (the public ones without an account).");
        group.MapPost("/", CreateAsync).WithSummary("Create a repository owned by the caller (a push never creates one).").RequireAuthorization();
        var repository = group.MapGroup("/{owner}/{name}").WithRepositoryAccess();
        repository.MapGet("", GetAsync).WithSummary("A repository and the caller's role in it.");
        repository.MapPatch("", UpdateAsync).WithSummary("Change visibility or description (role admin).").Requires(AccessLevel.Admin);
        repository.MapGet("/members", ListMembersAsync).WithSummary("Members and their roles (role admin).").Requires(AccessLevel.Admin);
        repository.MapPut("/members/{username}", SetMemberAsync).WithSummary("Add a member or change their role (role admin).").Requires(AccessLevel.Admin);
        repository.MapDelete("/members/{username}", RemoveMemberAsync).WithSummary("Remove a member (role admin).").Requires(AccessLevel.Admin);
    }

    public static async Task<Results<Ok<List<RepositoryResponse>>, JsonHttpResult<ApiError>>> ListAsync(HttpContext http, MetadataStores store,
        CancellationToken cancellationToken)
    {
        var (caller, refusal) = await RepositoryFilter.IdentifyAsync(http);
        if (caller is null)
        {
            return refusal!;
        }

        var repositories = await store.Repositories.ListVisibleRepositoriesAsync(caller.UserId, caller.IsServerAdmin, cancellationToken);
        return TypedResults.Ok(repositories
            .Select(r => (r.Repository, Role: RepositoryAccess.RoleFromMembership(caller, r.Repository, r.MemberRole)))
            .Where(r => r.Role != AccessLevel.None)
            .Select(r => ToResponse(r.Repository, r.Role))
            .ToList());
    }

    public static async Task<Results<Created<RepositoryResponse>, JsonHttpResult<ApiError>>> CreateAsync(CreateRepositoryRequest request, Caller caller,
        MetadataStores store, CancellationToken cancellationToken)
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

        var repository = await store.Repositories.CreateRepositoryAsync(caller.UserId, request.Name, request.Private, request.Description ?? "", cancellationToken);
        return repository is null
            ? Errors.Conflict($"repository {caller.UserName}/{request.Name} already exists")
            : TypedResults.Created($"/api/v1/repos/{repository.FullName}", ToResponse(repository, AccessLevel.Admin));
    }

    public static Results<Ok<RepositoryResponse>, JsonHttpResult<ApiError>> GetAsync(RepositoryContext repo) =>
        TypedResults.Ok(ToResponse(repo.Record, repo.Role));

    public static async Task<Results<Ok<RepositoryResponse>, JsonHttpResult<ApiError>>> UpdateAsync(RepositoryContext repo,
        UpdateRepositoryRequest request, IRepositoryStore repositories, CancellationToken cancellationToken)
    {
        if (request.Description is { Length: > MaxDescriptionLength })
        {
            return Errors.BadRequest($"the description is longer than {MaxDescriptionLength} characters");
        }

        var updated = await repositories.UpdateRepositoryAsync(repo.Id, request.Private, request.Description, cancellationToken);
        return TypedResults.Ok(ToResponse(updated!, repo.Role));
    }

    public static async Task<Results<Ok<List<MemberResponse>>, JsonHttpResult<ApiError>>> ListMembersAsync(RepositoryContext repo,
        IRepositoryStore repositories, CancellationToken cancellationToken)
    {
        var members = await repositories.ListMembersAsync(repo.Id, cancellationToken);
        return TypedResults.Ok(members.Select(m => new MemberResponse(m.UserName, m.Role.ToName())).ToList());
    }

    public static async Task<Results<Ok<MemberResponse>, JsonHttpResult<ApiError>>> SetMemberAsync(RepositoryContext repo, string username,
        SetMemberRequest request, MetadataStores store, AuditTrail audit, CancellationToken cancellationToken)
    {
        if (!AccessLevels.TryParse(request.Role, out var role))
        {
            return Errors.BadRequest("role must be read, write or admin");
        }

        var user = Names.IsValid(username) ? await store.Users.FindUserAsync(username, cancellationToken) : null;
        if (user is null)
        {
            return Errors.NotFound($"no user named '{username}'");
        }

        if (user.Id == repo.Record.OwnerId)
        {
            return Errors.BadRequest($"{user.Name} owns {repo.Record.FullName} and is always its admin");
        }

        var before = await store.Repositories.GetMemberRoleAsync(repo.Id, user.Id, cancellationToken);
        await store.Repositories.SetMemberAsync(repo.Id, user.Id, role, cancellationToken);
        await audit.MemberSetAsync(repo.Caller, repo.Address, repo.Record, user.Name, before, role, "api", cancellationToken);
        return TypedResults.Ok(new MemberResponse(user.Name, role.ToName()));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> RemoveMemberAsync(RepositoryContext repo, string username, MetadataStores store,
        AuditTrail audit, CancellationToken cancellationToken)
    {
        var user = Names.IsValid(username) ? await store.Users.FindUserAsync(username, cancellationToken) : null;
        var before = user is null ? AccessLevel.None : await store.Repositories.GetMemberRoleAsync(repo.Id, user.Id, cancellationToken);
        if (user is null || !await store.Repositories.RemoveMemberAsync(repo.Id, user.Id, cancellationToken))
        {
            return Errors.NotFound($"'{username}' is not a member of {repo.Record.FullName}");
        }

        await audit.MemberSetAsync(repo.Caller, repo.Address, repo.Record, user.Name, before, AccessLevel.None, "api", cancellationToken);
        return TypedResults.NoContent();
    }

    internal static RepositoryResponse ToResponse(RepositoryRecord r, AccessLevel role) =>
        new(r.Owner, r.Name, r.FullName, r.IsPrivate, r.Description, r.DefaultBranch, role.ToName(), r.CreatedAt, r.UpdatedAt);
}
