using Microsoft.AspNetCore.Identity;

namespace Lmvp.Server.Auth;

/// <summary>Password hashing with ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/> (PBKDF2, salted, versioned).</summary>
internal static class Passwords
{
    /// <summary>The shortest password accepted.</summary>
    public const int MinLength = 8;

    /// <summary>The longest password accepted (bounds the hashing work a request can cause).</summary>
    public const int MaxLength = 1024;

    private static readonly PasswordHasher<Account> Hasher = new();

    // A hash of a random password, verified against when the user does not exist so both paths cost the same.
    private static readonly Lazy<string> DummyHash = new(() => Hasher.HashPassword(Account.Instance, Secrets.Create("dummy")));

    /// <summary>Null when <paramref name="password"/> is acceptable, else why not.</summary>
    public static string? Validate(string? password) => password switch
    {
        null or "" => "a password is required",
        { Length: < MinLength } => $"the password must have at least {MinLength} characters",
        { Length: > MaxLength } => $"the password must have at most {MaxLength} characters",
        _ => null,
    };

    public static string Hash(string password) => Hasher.HashPassword(Account.Instance, password);

    /// <summary>Checks a password; <paramref name="hash"/> null (no such user, or no password set) fails after the same work.</summary>
    public static bool Verify(string? hash, string password)
    {
        if (hash is null)
        {
            Hasher.VerifyHashedPassword(Account.Instance, DummyHash.Value, password);
            return false;
        }

        try
        {
            return Hasher.VerifyHashedPassword(Account.Instance, hash, password) != PasswordVerificationResult.Failed;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>PasswordHasher wants a user type; it does not use the instance.</summary>
    private sealed class Account
    {
        public static readonly Account Instance = new();
    }
}
