using System.Security.Cryptography;
using System.Text;

namespace Lmvp.Server.Auth;

/// <summary>High-entropy secrets handed to clients once and stored only as SHA-256 hashes.</summary>
/// <remarks>A 256-bit random secret needs no salt or slow hash: guessing it is as hard as finding a SHA-256 preimage.
/// The prefix tells a person (and secret scanners) what a leaked string is.</remarks>
internal static class Secrets
{
    /// <summary>Prefix of personal access tokens.</summary>
    public const string TokenPrefix = "lmvp_pat_";

    /// <summary>Prefix of refresh tokens.</summary>
    public const string RefreshPrefix = "lmvp_rt_";

    /// <summary>Prefix of invitation codes.</summary>
    public const string InvitationPrefix = "lmvp_inv_";

    /// <summary>A new secret: the prefix and 32 random bytes in base64url.</summary>
    public static string Create(string prefix)
    {
        Span<byte> bytes = stackalloc byte[32];
        RandomNumberGenerator.Fill(bytes);
        return prefix + Base64Url(bytes);
    }

    /// <summary>The SHA-256 of a secret's UTF-8 bytes: what the database keeps.</summary>
    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>A random id for sessions (128 bits, hex).</summary>
    public static string NewSessionId()
    {
        Span<byte> bytes = stackalloc byte[16];
        RandomNumberGenerator.Fill(bytes);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>Compares two hashes in constant time.</summary>
    public static bool HashEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => CryptographicOperations.FixedTimeEquals(a, b);

    private static string Base64Url(ReadOnlySpan<byte> bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
