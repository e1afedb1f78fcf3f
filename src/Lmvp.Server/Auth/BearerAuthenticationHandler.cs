using System.Text.Encodings.Web;
using Lmvp.Server.Api;
using Lmvp.Server.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Lmvp.Server.Auth;

/// <summary>Authenticates <c>Authorization: Bearer</c> with a personal access token or a session access token (JWT).</summary>
/// <remarks>Tokens are looked up by their SHA-256 hash and never logged. Every request re-checks revocation, expiry and
/// the user's state, so a revoked token or an ended session fails at once.</remarks>
internal sealed class BearerAuthenticationHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    /// <summary>The scheme name.</summary>
    public const string SchemeName = "Bearer";

    private const int MaxTokenLength = 4096;

    // Writing last-used times on every request would turn every read into a write; a few minutes' precision is enough.
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(5);

    private readonly MetadataStores _store;
    private readonly SessionTokens _sessions;
    private readonly TimeProvider _time;

    public BearerAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
        MetadataStores store, SessionTokens sessions, TimeProvider time)
        : base(options, logger, encoder)
    {
        _store = store;
        _sessions = sessions;
        _time = time;
    }

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.Length == 0)
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.Fail("the Authorization header must be 'Bearer <token>'");
        }

        var token = header["Bearer ".Length..].Trim();
        if (token.Length == 0 || token.Length > MaxTokenLength)
        {
            return AuthenticateResult.Fail("the token is not valid");
        }

        var cancellationToken = Context.RequestAborted;
        var now = _time.GetUtcNow();
        Caller caller;
        if (token.StartsWith(Secrets.TokenPrefix, StringComparison.Ordinal))
        {
            var hash = Secrets.Hash(token);
            var found = await _store.Tokens.FindTokenAsync(hash, cancellationToken).ConfigureAwait(false);
            if (found is not { } f)
            {
                return AuthenticateResult.Fail("the token is not valid");
            }

            if (f.Token.RevokedAt is not null)
            {
                return AuthenticateResult.Fail("the token has been revoked");
            }

            if (f.Token.ExpiresAt is { } expires && expires <= now)
            {
                return AuthenticateResult.Fail("the token has expired");
            }

            if (f.User.IsDisabled)
            {
                return AuthenticateResult.Fail("the account is disabled");
            }

            if (f.Token.LastUsedAt is not { } last || now - last > TouchInterval)
            {
                await _store.Tokens.TouchTokenAsync(f.Token.Id, now, cancellationToken).ConfigureAwait(false);
            }

            caller = new Caller(f.User.Id, f.User.Name, f.User.IsAdmin, f.Token.Scope, "token", null, f.Token.Id);
        }
        else
        {
            string? failure = null;
            var claims = await _sessions.ValidateAsync(token, reason => failure = reason).ConfigureAwait(false);
            if (claims is not { } c)
            {
                return AuthenticateResult.Fail(failure ?? "the token is not valid");
            }

            var session = await _store.Sessions.GetSessionAsync(c.SessionId, cancellationToken).ConfigureAwait(false);
            if (session is null || session.UserId != c.UserId || session.RevokedAt is not null || session.ExpiresAt <= now)
            {
                return AuthenticateResult.Fail("the session has ended: sign in again");
            }

            var user = await _store.Users.GetUserAsync(c.UserId, cancellationToken).ConfigureAwait(false);
            if (user is null || user.IsDisabled)
            {
                return AuthenticateResult.Fail("the account is disabled");
            }

            caller = new Caller(user.Id, user.Name, user.IsAdmin, AccessLevel.Admin, "session", session.Id, null);
        }

        return AuthenticateResult.Success(new AuthenticationTicket(caller.ToPrincipal(SchemeName), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync().ConfigureAwait(false);
        Response.Headers.WWWAuthenticate = "Bearer";
        await Errors.WriteAsync(Context, StatusCodes.Status401Unauthorized,
            result.Failure?.Message ?? "authentication required: send 'Authorization: Bearer <token>'").ConfigureAwait(false);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Errors.WriteAsync(Context, StatusCodes.Status403Forbidden, "forbidden");
}
