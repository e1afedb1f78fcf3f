using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Lmvp.Server.Api;

/// <summary>Sessions: login, refresh, logout, and registration by invitation.</summary>
internal static class AuthEndpoints
{
    public static RouteGroupBuilder MapAuthEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/auth").WithTags("Auth").AllowAnonymous().WithErrorResponses(400, 401, 409, 429);
        group.MapPost("/login", LoginAsync).WithSummary("Sign in with a password: a 20-minute access token and a 30-day refresh token.");
        group.MapPost("/refresh", RefreshAsync).WithSummary("Spend a refresh token for a new pair (the old one stops working).");
        group.MapPost("/logout", LogoutAsync).WithSummary("End a session: its access and refresh tokens stop working.");
        group.MapPost("/register", RegisterAsync).WithSummary("Create an account with an invitation code.");
        return group;
    }

    public static async Task<Results<Ok<SessionTokensResponse>, JsonHttpResult<ApiError>>> LoginAsync(LoginRequest request, MetadataStores store,
        SessionTokens tokens, PasswordSignIn signIn, HttpContext http, TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Username) || string.IsNullOrEmpty(request.Password) || request.Password.Length > Passwords.MaxLength
            || request.Username.Length > 64)
        {
            return Errors.BadRequest("a username and a password are required");
        }

        var outcome = await signIn.SignInAsync(request.Username, request.Password, Services.AuditTrail.AddressOf(http), "api", cancellationToken);
        if (outcome.RetryAfter is { } wait)
        {
            http.Response.Headers.RetryAfter = RetryAfter(wait);
            return Errors.Coded(StatusCodes.Status429TooManyRequests, Lmvp.Store.Protocol.ApiErrorCodes.Throttled, outcome.ThrottledMessage);
        }

        if (outcome.User is not { } user)
        {
            return Errors.Unauthorized("wrong username or password");
        }

        var now = time.GetUtcNow();
        var refresh = Secrets.Create(Secrets.RefreshPrefix);
        var session = await store.Sessions.CreateSessionAsync(user.Id, Secrets.NewSessionId(), Secrets.Hash(refresh), now + SessionTokens.RefreshLifetime,
            cancellationToken);
        return TypedResults.Ok(Issue(tokens, user, session, refresh, now));
    }

    public static async Task<Results<Ok<SessionTokensResponse>, JsonHttpResult<ApiError>>> RefreshAsync(RefreshRequest request, MetadataStores store,
        SessionTokens tokens, TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.RefreshToken) || request.RefreshToken.Length > 256)
        {
            return Errors.BadRequest("a refreshToken is required");
        }

        var now = time.GetUtcNow();
        var next = Secrets.Create(Secrets.RefreshPrefix);
        var (outcome, session) = await store.Sessions.RotateRefreshTokenAsync(Secrets.Hash(request.RefreshToken), Secrets.Hash(next),
            now + SessionTokens.RefreshLifetime, now, cancellationToken);
        if (outcome == RefreshOutcome.Reused)
        {
            return Errors.Unauthorized("this refresh token was already used: the session has been ended; sign in again");
        }

        var user = session is null ? null : await store.Users.GetUserAsync(session.UserId, cancellationToken);
        if (outcome != RefreshOutcome.Rotated || session is null || user is null || user.IsDisabled)
        {
            return Errors.Unauthorized("the refresh token is not valid: sign in again");
        }

        return TypedResults.Ok(Issue(tokens, user, session, next, now));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiError>>> LogoutAsync([FromBody] LogoutRequest? request, Caller? caller,
        MetadataStores store, TimeProvider time, CancellationToken cancellationToken)
    {
        string? sessionId = null;
        if (!string.IsNullOrEmpty(request?.RefreshToken))
        {
            var session = await store.Sessions.FindSessionByRefreshAsync(Secrets.Hash(request.RefreshToken), cancellationToken);
            if (session is null)
            {
                return Errors.Unauthorized("the refresh token is not valid");
            }

            sessionId = session.Id;
        }
        else if (caller?.SessionId is { } sid)
        {
            sessionId = sid;
        }

        if (sessionId is null)
        {
            return Errors.BadRequest("send the session's refreshToken, or call with the session's access token");
        }

        await store.Sessions.RevokeSessionAsync(sessionId, time.GetUtcNow(), cancellationToken);
        return TypedResults.NoContent();
    }

    public static async Task<Results<Created<UserResponse>, JsonHttpResult<ApiError>>> RegisterAsync(RegisterRequest request, MetadataStores store,
        TimeProvider time, Services.AuditTrail audit, HttpContext http, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Code) || request.Code.Length > 256)
        {
            return Errors.BadRequest("an invitation code is required");
        }

        if (Accounts.ValidateUserName(request.Username) is { } nameError)
        {
            return Errors.BadRequest(nameError);
        }

        if (Passwords.Validate(request.Password) is { } passwordError)
        {
            return Errors.BadRequest(passwordError);
        }

        var (outcome, user) = await store.Invitations.RedeemInvitationAsync(Secrets.Hash(request.Code), request.Username, Passwords.Hash(request.Password),
            time.GetUtcNow(), cancellationToken);
        if (user is not null)
        {
            await audit.RecordAsync(AuditKinds.UserCreated, user.Id, user.Name, Services.AuditTrail.AddressOf(http), null, user.Name,
                "registered with an invitation (api)" + (user.IsAdmin ? " as a server admin" : ""), cancellationToken);
        }

        return outcome switch
        {
            RedeemOutcome.Created => TypedResults.Created($"/api/v1/users/{user!.Name}", UserEndpoints.ToResponse(user)),
            RedeemOutcome.NameTaken => Errors.Conflict($"the user name '{request.Username}' is taken"),
            _ => Errors.Unauthorized("the invitation code is not valid (unknown, used or expired)"),
        };
    }

    /// <summary>A Retry-After value in whole seconds, rounded up.</summary>
    internal static string RetryAfter(TimeSpan wait) => Math.Ceiling(wait.TotalSeconds).ToString("0", System.Globalization.CultureInfo.InvariantCulture);

    private static SessionTokensResponse Issue(SessionTokens tokens, UserRecord user, SessionRecord session, string refresh, DateTimeOffset now) =>
        new(tokens.Issue(user, session.Id, now), "Bearer", (int)SessionTokens.AccessLifetime.TotalSeconds, refresh, session.ExpiresAt);
}
