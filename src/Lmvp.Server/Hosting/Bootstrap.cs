using System.Security.Cryptography;
using Lmvp.Server.Auth;
using Lmvp.Server.Storage;

namespace Lmvp.Server.Hosting;

/// <summary>First start: a server with no users creates the admin account and prints its password and token once.</summary>
internal static class Bootstrap
{
    /// <summary>The name of the first admin.</summary>
    public const string AdminName = "admin";

    /// <summary>What the first start created (null when the server already had users).</summary>
    public sealed record Result(string UserName, string Password, string Token);

    public static async Task<Result?> RunAsync(MetadataStores store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (await store.Users.CountUsersAsync(cancellationToken).ConfigureAwait(false) > 0)
        {
            return null;
        }

        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18)).Replace('+', '-').Replace('/', '_');
        var user = await store.Users.CreateUserAsync(AdminName, Passwords.Hash(password), isAdmin: true, cancellationToken).ConfigureAwait(false);
        if (user is null)
        {
            // Another process bootstrapped the same directory at the same moment; its message is the one that counts.
            return null;
        }

        var (_, token) = await Accounts.CreateTokenAsync(store, user.Id, "bootstrap", AccessLevel.Admin, null, cancellationToken).ConfigureAwait(false);
        return new Result(user.Name, password, token);
    }

    /// <summary>The message that shows the one-time secrets.</summary>
    public static string Describe(Result result, string url, string storageOption)
    {
        ArgumentNullException.ThrowIfNull(result);
        return $"""
            lmvp-server: first start: created the server admin '{result.UserName}'. These are shown only this once:
              password: {result.Password}
              token:    {result.Token}
            Sign in on the command line with: lmvp login {url}   (paste the token)
            More users: lmvp-server admin create-user NAME {storageOption}, or invitations (POST /api/v1/invitations).
            """;
    }
}
