using System.Security.Claims;
using System.Security.Cryptography;
using Lmvp.Server.Storage;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Lmvp.Server.Auth;

/// <summary>Issues and validates session access tokens: JWTs signed with HMAC-SHA256 by a key kept in the data directory.</summary>
/// <remarks>An access token names its session; the authentication handler also checks that the session is still open,
/// so logging out ends its access tokens at once rather than when they expire.</remarks>
internal sealed class SessionTokens
{
    /// <summary>How long an access token lives.</summary>
    public static readonly TimeSpan AccessLifetime = TimeSpan.FromMinutes(20);

    /// <summary>How long a refresh token lives (each rotation starts a new period).</summary>
    public static readonly TimeSpan RefreshLifetime = TimeSpan.FromDays(30);

    /// <summary>The key file's name inside the data directory.</summary>
    public const string KeyFileName = "jwt.key";

    private const string Issuer = "lmvp-server";
    private const string Audience = "lmvp";
    /// <summary>The signing key's size in bytes.</summary>
    public const int KeySize = 64;

    private readonly SymmetricSecurityKey _key;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _validation;

    public SessionTokens(byte[] key)
    {
        _key = new SymmetricSecurityKey(key);
        _validation = new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Audience,
            IssuerSigningKey = _key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>Reads the signing key of <paramref name="dataDirectory"/>, creating it (mode 0600) on first start.</summary>
    public static byte[] LoadOrCreateKey(string dataDirectory)
    {
        var path = Path.Combine(dataDirectory, KeyFileName);
        if (!File.Exists(path))
        {
            var key = RandomNumberGenerator.GetBytes(KeySize);
            var temp = path + ".tmp-" + Secrets.NewSessionId();
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(key);
                stream.Flush(flushToDisk: true);
            }

            try
            {
                // Two processes starting at once: the first rename wins and both read the winner below.
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                File.Delete(temp);
            }
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 32)
        {
            throw new InvalidOperationException($"{path} is damaged (fewer than 32 bytes); delete it to sign everyone out and start with a new key.");
        }

        return bytes;
    }

    /// <summary>A signed access token for <paramref name="user"/> in <paramref name="sessionId"/>.</summary>
    public string Issue(UserRecord user, string sessionId, DateTimeOffset now)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + AccessLifetime).UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = user.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                [JwtRegisteredClaimNames.Name] = user.Name,
                [JwtRegisteredClaimNames.Sid] = sessionId,
                [JwtRegisteredClaimNames.Jti] = Secrets.NewSessionId(),
            },
            SigningCredentials = new SigningCredentials(_key, SecurityAlgorithms.HmacSha256),
        };
        return _handler.CreateToken(descriptor);
    }

    /// <summary>The user id and session of a valid token, or the reason it is not valid.</summary>
    public async Task<(long UserId, string SessionId)?> ValidateAsync(string token, Action<string> onFailure)
    {
        var result = await _handler.ValidateTokenAsync(token, _validation).ConfigureAwait(false);
        if (!result.IsValid)
        {
            onFailure(result.Exception is SecurityTokenExpiredException
                ? "the access token has expired: refresh it (POST /api/v1/auth/refresh) or sign in again"
                : "the token is not valid");
            return null;
        }

        var identity = result.ClaimsIdentity;
        if (!long.TryParse(identity.FindFirst(JwtRegisteredClaimNames.Sub)?.Value, System.Globalization.NumberStyles.None,
                System.Globalization.CultureInfo.InvariantCulture, out var userId)
            || identity.FindFirst(JwtRegisteredClaimNames.Sid)?.Value is not { Length: > 0 } sessionId)
        {
            onFailure("the token is not valid");
            return null;
        }

        return (userId, sessionId);
    }
}

/// <summary>Claim types of an authenticated caller.</summary>
internal static class LmvpClaims
{
    public const string UserId = "lmvp:uid";
    public const string UserName = "lmvp:name";
    public const string ServerAdmin = "lmvp:admin";
    public const string Scope = "lmvp:scope";
    public const string Method = "lmvp:method";
    public const string SessionId = "lmvp:sid";
    public const string TokenId = "lmvp:tid";
}

/// <summary>Who is calling and with what rights: the same whether they came with a token, a session or (later) a cookie.</summary>
internal sealed record Caller(long UserId, string UserName, bool IsServerAdmin, AccessLevel Scope, string AuthMethod, string? SessionId, long? TokenId)
{
    /// <summary>The method of a caller who sent no credentials.</summary>
    public const string AnonymousMethod = "anonymous";

    /// <summary>A visitor without an account: reads public repositories where the server allows it, nothing else.</summary>
    public static Caller Anonymous { get; } = new(0, "", false, AccessLevel.Read, AnonymousMethod, null, null);

    /// <summary>True for <see cref="Anonymous"/>.</summary>
    public bool IsAnonymous => AuthMethod == AnonymousMethod;

    /// <summary>The caller behind an authenticated principal.</summary>
    public static Caller From(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        string Get(string type) => principal.FindFirst(type)?.Value ?? throw new InvalidOperationException($"The principal has no {type} claim.");
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        _ = AccessLevels.TryParse(Get(LmvpClaims.Scope), out var scope);
        return new Caller(
            long.Parse(Get(LmvpClaims.UserId), inv),
            Get(LmvpClaims.UserName),
            principal.FindFirst(LmvpClaims.ServerAdmin)?.Value == "true",
            scope,
            Get(LmvpClaims.Method),
            principal.FindFirst(LmvpClaims.SessionId)?.Value,
            principal.FindFirst(LmvpClaims.TokenId)?.Value is { } t ? long.Parse(t, inv) : null);
    }

    /// <summary>Binds a handler parameter to the authenticated caller (null when the request is anonymous).</summary>
    public static ValueTask<Caller?> BindAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(context.User.FindFirst(LmvpClaims.UserId) is null ? null : From(context.User));
    }

    /// <summary>A principal carrying this caller, for an authentication scheme to sign in with.</summary>
    public ClaimsPrincipal ToPrincipal(string authenticationType)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var claims = new List<Claim>
        {
            new(LmvpClaims.UserId, UserId.ToString(inv)),
            new(LmvpClaims.UserName, UserName),
            new(ClaimTypes.Name, UserName),
            new(LmvpClaims.ServerAdmin, IsServerAdmin ? "true" : "false"),
            new(LmvpClaims.Scope, Scope.ToName()),
            new(LmvpClaims.Method, AuthMethod),
        };
        if (SessionId is not null)
        {
            claims.Add(new(LmvpClaims.SessionId, SessionId));
        }

        if (TokenId is { } t)
        {
            claims.Add(new(LmvpClaims.TokenId, t.ToString(inv)));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType, LmvpClaims.UserName, null));
    }
}
