using Lmvp.Server.Api;
using Lmvp.Server.Storage;

namespace Lmvp.Server.Auth;

/// <summary>Account operations shared by the API, the first-start bootstrap and the <c>lmvp-server admin</c> commands.</summary>
internal static class Accounts
{
    /// <summary>The longest token name accepted.</summary>
    public const int MaxTokenNameLength = 100;

    /// <summary>The longest expiry accepted for a token or an invitation, in days.</summary>
    public const int MaxExpiryDays = 3650;

    /// <summary>Null when a token name is acceptable, else why not.</summary>
    public static string? ValidateTokenName(string? name) =>
        string.IsNullOrWhiteSpace(name) || name.Length > MaxTokenNameLength || name.Any(char.IsControl)
            ? $"a token needs a name of 1 to {MaxTokenNameLength} printable characters"
            : null;

    /// <summary>Null when a user name is acceptable, else why not.</summary>
    public static string? ValidateUserName(string? name) =>
        Names.IsValid(name) ? null : $"'{name}' is not a valid user name: use letters, digits, '.', '_' or '-' (at most 64, starting with a letter or digit)";

    /// <summary>Creates a user; the password (if any) must already be validated.</summary>
    /// <exception cref="InvalidOperationException">The name is taken.</exception>
    public static async Task<UserRecord> CreateUserAsync(MetadataStores store, string name, string? password, bool isAdmin, CancellationToken cancellationToken)
    {
        var hash = password is null ? null : Passwords.Hash(password);
        return await store.Users.CreateUserAsync(name, hash, isAdmin, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"a user named '{name}' already exists");
    }

    /// <summary>Creates a personal access token and returns its value, which is stored nowhere.</summary>
    public static async Task<(TokenRecord Record, string Token)> CreateTokenAsync(MetadataStores store, long userId, string name, AccessLevel scope,
        DateTimeOffset? expiresAt, CancellationToken cancellationToken)
    {
        var token = Secrets.Create(Secrets.TokenPrefix);
        var record = await store.Tokens.CreateTokenAsync(userId, name, Secrets.Hash(token), scope, expiresAt, cancellationToken).ConfigureAwait(false);
        return (record, token);
    }
}
