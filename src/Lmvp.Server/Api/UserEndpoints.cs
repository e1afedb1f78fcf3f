using Lmvp.Server.Auth;
using Lmvp.Server.Services;
using Lmvp.Store.Protocol;
using Lmvp.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>The caller, their personal access tokens, and (for server admins) every user.</summary>
internal static class UserEndpoints
{
    public static void MapUserEndpoints(this IEndpointRouteBuilder app)
    {
        var self = app.MapGroup("/api/v1/user").WithTags("Users").RequireAuthorization().WithErrorResponses(400, 401, 403, 404, 409);
        self.MapGet("/", GetCurrentUser).WithSummary("The caller.");
        self.MapGet("/tokens", ListTokensAsync).WithSummary("The caller's personal access tokens (never their values).");
        self.MapPost("/tokens", CreateTokenAsync).WithSummary("Create a personal access token; its value is shown only in this answer.");
        self.MapDelete("/tokens/{id:long}", RevokeTokenAsync).WithSummary("Revoke one of the caller's tokens.");

        var users = app.MapGroup("/api/v1/users").WithTags("Users").RequireAuthorization().WithErrorResponses(400, 401, 403, 404, 409);
        users.MapGet("/", ListUsersAsync).WithSummary("Every user (server admins).");
        users.MapPost("/", CreateUserAsync).WithSummary("Create a user directly (server admins).");
        users.MapPatch("/{username}", UpdateUserAsync).WithSummary("Make a user a server admin or not, disable or enable them (server admins).");
    }

    public static Ok<CurrentUserResponse> GetCurrentUser(Caller caller) =>
        TypedResults.Ok(new CurrentUserResponse(caller.UserName, caller.IsServerAdmin, caller.AuthMethod, caller.Scope.ToName()));

    public static async Task<Ok<List<TokenResponse>>> ListTokensAsync(Caller caller, MetadataStores store, CancellationToken cancellationToken)
    {
        var tokens = await store.Tokens.ListTokensAsync(caller.UserId, cancellationToken);
        return TypedResults.Ok(tokens.Select(t => new TokenResponse(t.Id, t.Name, t.Scope.ToName(), t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt))
            .ToList());
    }

    public static async Task<Results<Created<CreatedTokenResponse>, JsonHttpResult<ApiError>>> CreateTokenAsync(CreateTokenRequest request, Caller caller,
        MetadataStores store, TimeProvider time, AuditTrail audit, HttpContext http, CancellationToken cancellationToken)
    {
        if (RequireAdminScope(caller) is { } denied)
        {
            return denied;
        }

        if (Accounts.ValidateTokenName(request.Name) is { } nameError)
        {
            return Errors.BadRequest(nameError);
        }

        if (!AccessLevels.TryParse(request.Scope, out var scope))
        {
            return Errors.BadRequest("scope must be read, write or admin");
        }

        if (request.ExpiresDays is { } days && (days < 1 || days > Accounts.MaxExpiryDays))
        {
            return Errors.BadRequest($"expiresDays must be between 1 and {Accounts.MaxExpiryDays}");
        }

        DateTimeOffset? expires = request.ExpiresDays is { } d ? time.GetUtcNow().AddDays(d) : null;
        var (record, token) = await Accounts.CreateTokenAsync(store, caller.UserId, request.Name, scope, expires, cancellationToken);
        await audit.TokenCreatedAsync(caller, AuditTrail.AddressOf(http), caller.UserName, record, cancellationToken);
        return TypedResults.Created($"/api/v1/user/tokens/{record.Id}",
            new CreatedTokenResponse(record.Id, record.Name, record.Scope.ToName(), record.CreatedAt, record.ExpiresAt, token));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> RevokeTokenAsync(long id, Caller caller, MetadataStores store, AuditTrail audit,
        HttpContext http, CancellationToken cancellationToken)
    {
        if (RequireAdminScope(caller) is { } denied)
        {
            return denied;
        }

        if (!await store.Tokens.RevokeTokenAsync(caller.UserId, id, cancellationToken))
        {
            return Errors.NotFound($"you have no token #{id}");
        }

        await audit.TokenRevokedAsync(caller, AuditTrail.AddressOf(http), caller.UserName, id, cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Ok<List<UserResponse>>, JsonHttpResult<ApiError>>> ListUsersAsync(Caller caller, MetadataStores store,
        CancellationToken cancellationToken)
    {
        if (RequireServerAdmin(caller) is { } denied)
        {
            return denied;
        }

        var users = await store.Users.ListUsersAsync(cancellationToken);
        return TypedResults.Ok(users.Select(ToResponse).ToList());
    }

    public static async Task<Results<Created<UserResponse>, JsonHttpResult<ApiError>>> CreateUserAsync(CreateUserRequest request, Caller caller,
        MetadataStores store, AuditTrail audit, HttpContext http, CancellationToken cancellationToken)
    {
        if (RequireServerAdmin(caller) is { } denied)
        {
            return denied;
        }

        if (Accounts.ValidateUserName(request.Username) is { } nameError)
        {
            return Errors.BadRequest(nameError);
        }

        if (request.Password is not null && Passwords.Validate(request.Password) is { } passwordError)
        {
            return Errors.BadRequest(passwordError);
        }

        var user = await store.Users.CreateUserAsync(request.Username, request.Password is null ? null : Passwords.Hash(request.Password), request.Admin,
            cancellationToken);
        if (user is null)
        {
            return Errors.Conflict($"a user named '{request.Username}' already exists");
        }

        await audit.RecordAsync(AuditKinds.UserCreated, caller, AuditTrail.AddressOf(http), null, user.Name, user.IsAdmin ? "server admin (api)" : "api", cancellationToken);
        return TypedResults.Created($"/api/v1/users/{user.Name}", ToResponse(user));
    }

    public static async Task<Results<Ok<UserResponse>, JsonHttpResult<ApiError>>> UpdateUserAsync(string username, UpdateUserRequest request,
        Caller caller, MetadataStores store, AuditTrail audit, HttpContext http, CancellationToken cancellationToken)
    {
        if (RequireServerAdmin(caller) is { } denied)
        {
            return denied;
        }

        var user = Names.IsValid(username) ? await store.Users.FindUserAsync(username, cancellationToken) : null;
        if (user is null)
        {
            return Errors.NotFound($"no user named '{username}'");
        }

        if (user.Id == caller.UserId && (request.Admin == false || request.Disabled == true))
        {
            return Errors.BadRequest("you cannot remove your own admin rights or disable yourself");
        }

        var updated = await store.Users.UpdateUserAsync(user.Id, request.Admin, request.Disabled, cancellationToken);
        await audit.RecordAsync(AuditKinds.UserChanged, caller, AuditTrail.AddressOf(http), null, user.Name,
            $"server admin: {user.IsAdmin} -> {updated!.IsAdmin}; disabled: {user.IsDisabled} -> {updated.IsDisabled}", cancellationToken);
        return TypedResults.Ok(ToResponse(updated));
    }

    internal static UserResponse ToResponse(UserRecord user) => new(user.Name, user.IsAdmin, user.IsDisabled, user.CreatedAt);

    /// <summary>Managing tokens needs a session or an admin-scoped token, so a leaked read or write token cannot mint more.</summary>
    internal static JsonHttpResult<ApiError>? RequireAdminScope(Caller caller) =>
        caller.Scope < AccessLevel.Admin ? Errors.Forbidden($"this token's scope is {caller.Scope.ToName()}; this needs admin (or a signed-in session)") : null;

    internal static JsonHttpResult<ApiError>? RequireServerAdmin(Caller caller) =>
        !caller.IsServerAdmin ? Errors.Forbidden("only a server admin may do this")
        : RequireAdminScope(caller);
}
