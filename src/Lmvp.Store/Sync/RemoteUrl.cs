using System.Text.RegularExpressions;

namespace Lmvp.Store.Sync;

/// <summary>A repository URL, <c>http(s)://server[/prefix]/owner/name</c>, split into the server base and the repository name.</summary>
internal sealed partial record RemoteUrl(string Url, string ServerBase, string Owner, string Name)
{
    /// <summary>The repository-scoped API root, with a trailing slash.</summary>
    public Uri ApiBase => new($"{ServerBase}/api/v1/repos/{Owner}/{Name}/");

    /// <summary>owner/name.</summary>
    public string FullName => $"{Owner}/{Name}";

    /// <summary>Parses a repository URL; anything else is an <see cref="ArgumentException"/> that says the expected form.</summary>
    public static RemoteUrl Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var trimmed = url.Trim().TrimEnd('/');
        if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new ArgumentException($"'{url}' is not a repository URL: expected http(s)://SERVER/OWNER/NAME.", nameof(url));
        }

        var segments = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Length < 2 || !IsValidPart(segments[^2]) || !IsValidPart(segments[^1]))
        {
            throw new ArgumentException($"'{url}' is not a repository URL: expected http(s)://SERVER/OWNER/NAME (each name letters, digits, '.', '_', '-').", nameof(url));
        }

        var prefix = string.Join("", segments[..^2].Select(s => "/" + s));
        var server = NormalizeServer($"{uri.Scheme}://{uri.Authority}{prefix}");
        return new RemoteUrl($"{server}/{segments[^2]}/{segments[^1]}", server, segments[^2], segments[^1]);
    }

    /// <summary>The canonical form of a server base URL: scheme and host in lower case, no trailing slash, no query.</summary>
    public static string NormalizeServer(string server)
    {
        ArgumentNullException.ThrowIfNull(server);
        if (!Uri.TryCreate(server.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0)
        {
            throw new ArgumentException($"'{server}' is not a server URL: expected http(s)://HOST[:PORT].", nameof(server));
        }

        return $"{uri.Scheme}://{uri.Authority.ToLowerInvariant()}{uri.AbsolutePath.TrimEnd('/')}";
    }

    /// <summary>True for an owner or repository name as the protocol allows them.</summary>
    public static bool IsValidPart(string part) => part is not ("." or "..") && PartPattern().IsMatch(part);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex PartPattern();
}
