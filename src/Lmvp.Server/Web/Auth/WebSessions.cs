using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Microsoft.AspNetCore.DataProtection;

namespace Lmvp.Server.Web.Auth;

/// <summary>Browser sign-in: a server-side session (the API's sessions table) named by an encrypted, HttpOnly cookie.</summary>
/// <remarks>
/// The cookie holds only the user and session ids, encrypted and authenticated with ASP.NET Data Protection, so it cannot be
/// forged or altered. Every request re-reads the session and the user: signing out (here or through the API) and disabling a
/// user end the browser session at once. The session's refresh token is never handed out, so a browser session cannot be
/// turned into API tokens. The cookie is SameSite=Lax (links from elsewhere still arrive signed in; cross-site posts do not
/// carry it) and every form is also protected by an antiforgery token.
/// </remarks>
internal sealed class WebSessions
{
    /// <summary>The session cookie's name.</summary>
    public const string CookieName = "lmvp_session";

    /// <summary>How long a browser stays signed in.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(14);

    private readonly IDataProtector _protector;
    private readonly MetadataStores _store;
    private readonly TimeProvider _time;
    private readonly PasswordSignIn _signIn;

    public WebSessions(IDataProtectionProvider protection, MetadataStores store, TimeProvider time, PasswordSignIn signIn)
    {
        _protector = protection.CreateProtector("Lmvp.Web.SessionCookie.v1");
        _store = store;
        _time = time;
        _signIn = signIn;
    }

    /// <summary>Checks a password (throttled and audited as the API login is) and, when it matches an enabled user, starts a session
    /// and sets its cookie.</summary>
    public async Task<SignInOutcome> SignInAsync(HttpContext http, string userName, string password, CancellationToken cancellationToken)
    {
        var outcome = await _signIn.SignInAsync(userName, password, Services.AuditTrail.AddressOf(http), "web", cancellationToken);
        if (outcome.User is not { } user)
        {
            return outcome;
        }

        var now = _time.GetUtcNow();
        var unusedRefresh = Secrets.Hash(Secrets.Create(Secrets.RefreshPrefix));
        var session = await _store.Sessions.CreateSessionAsync(user.Id, Secrets.NewSessionId(), unusedRefresh, now + Lifetime, cancellationToken);
        var value = _protector.Protect(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{user.Id}:{session.Id}"));
        http.Response.Cookies.Append(CookieName, value, CookieOptions(http, session.ExpiresAt));
        return outcome;
    }

    /// <summary>The signed-in caller, or null when the cookie is missing, damaged, or its session has ended.</summary>
    public async Task<(Caller Caller, UserRecord User)?> AuthenticateAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (!http.Request.Cookies.TryGetValue(CookieName, out var cookie) || cookie is not { Length: > 0 and < 4096 })
        {
            return null;
        }

        string plain;
        try
        {
            plain = _protector.Unprotect(cookie);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return null;
        }

        var colon = plain.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !long.TryParse(plain.AsSpan(0, colon), System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var userId))
        {
            return null;
        }

        var sessionId = plain[(colon + 1)..];
        var session = await _store.Sessions.GetSessionAsync(sessionId, cancellationToken);
        if (session is null || session.UserId != userId || session.RevokedAt is not null || session.ExpiresAt <= _time.GetUtcNow())
        {
            return null;
        }

        var user = await _store.Users.GetUserAsync(userId, cancellationToken);
        if (user is null || user.IsDisabled)
        {
            return null;
        }

        // A browser session acts with the user's full rights, as an API session does; the repository role still bounds it.
        return (new Caller(user.Id, user.Name, user.IsAdmin, AccessLevel.Admin, "web", session.Id, null), user);
    }

    /// <summary>Ends the session server-side and clears the cookie.</summary>
    public async Task SignOutAsync(HttpContext http, Caller? caller, CancellationToken cancellationToken)
    {
        if (caller?.SessionId is { } sessionId)
        {
            await _store.Sessions.RevokeSessionAsync(sessionId, _time.GetUtcNow(), cancellationToken);
        }

        http.Response.Cookies.Delete(CookieName, CookieOptions(http, null));
    }

    private static CookieOptions CookieOptions(HttpContext http, DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        Secure = http.Request.IsHttps,
        Path = "/",
        Expires = expires,
        IsEssential = true,
    };
}
