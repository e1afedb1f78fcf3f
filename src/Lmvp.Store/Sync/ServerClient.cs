namespace Lmvp.Store.Sync;

/// <summary>Who a token belongs to, as the server sees it.</summary>
/// <param name="Username">The user.</param>
/// <param name="IsAdmin">True for a server administrator.</param>
/// <param name="AuthMethod">How the token authenticated (a personal access token or a session), as the server names it.</param>
/// <param name="Scope">The token's scope (read, write, admin), when it has one.</param>
public sealed record ServerUser(string Username, bool IsAdmin, string? AuthMethod, string? Scope);

/// <summary>Server-wide calls that are not about one repository.</summary>
public static class ServerClient
{
    /// <summary>Asks <paramref name="server"/> whom <paramref name="token"/> belongs to (GET /api/v1/user); a rejected token is an
    /// <see cref="AuthenticationFailedException"/>.</summary>
    public static Task<ServerUser> GetUserAsync(string server, string token, SyncOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        var normalized = RemoteUrl.NormalizeServer(server);
        options ??= new SyncOptions();
        options.Validate();
        return GetUserCoreAsync(normalized, token, options, cancellationToken);
    }

    private static async Task<ServerUser> GetUserCoreAsync(string server, string token, SyncOptions options, CancellationToken cancellationToken)
    {
        using var connection = new SyncConnection(new Uri(server + "/api/v1/"), server, null, token, options);
        var user = await connection.GetJsonAsync<ServerUser>("user", cancellationToken).ConfigureAwait(false);
        return string.IsNullOrEmpty(user.Username) ? throw new RemoteException($"{server} did not name the token's user.") : user;
    }
}
