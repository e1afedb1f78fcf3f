using Lmvp.Store.Protocol;

namespace Lmvp.Store.Sync;

/// <summary>Server-wide calls that are not about one repository.</summary>
public static class ServerClient
{
    /// <summary>Asks <paramref name="server"/> whom <paramref name="token"/> belongs to (GET /api/v1/user); a rejected token is an
    /// <see cref="AuthenticationFailedException"/>.</summary>
    public static Task<CurrentUserResponse> GetUserAsync(string server, string token, SyncOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        var normalized = RemoteUrl.NormalizeServer(server);
        options ??= new SyncOptions();
        options.Validate();
        return GetUserCoreAsync(normalized, token, options, cancellationToken);
    }

    private static async Task<CurrentUserResponse> GetUserCoreAsync(string server, string token, SyncOptions options, CancellationToken cancellationToken)
    {
        using var connection = new SyncConnection(new Uri(server + "/api/v1/"), server, null, token, options);
        var user = await connection.GetJsonAsync("user", ProtocolJsonContext.Default.CurrentUserResponse, cancellationToken).ConfigureAwait(false);
        return string.IsNullOrEmpty(user.Username) ? throw new RemoteException($"{server} did not name the token's user.") : user;
    }
}
