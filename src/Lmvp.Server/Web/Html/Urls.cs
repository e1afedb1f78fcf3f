using System.Text;
using Lmvp.Store;

namespace Lmvp.Server.Web.Html;

/// <summary>Every URL of the web UI, built in one place so that user-chosen names are always escaped.</summary>
/// <remarks>Repository pages live under <c>/repos/{owner}/{name}</c>, beside the API's <c>/api/v1/repos/{owner}/{name}</c>,
/// so no user or repository name can collide with a fixed route.</remarks>
internal static class Urls
{
    public const string Home = "/";
    public const string SignIn = "/signin";
    public const string SignOut = "/signout";
    public const string Register = "/register";
    public const string Tokens = "/settings/tokens";
    public const string NewRepository = "/repos/new";
    public const string AdminUsers = "/admin/users";
    public const string Stylesheet = "/static/site.css";
    public const string Icon = "/static/icon.svg";

    public static string Repository(string owner, string name) => "/repos/" + Segment(owner) + "/" + Segment(name);

    public static string Repository(string owner, string name, string branch) => Repository(owner, name) + Query(("branch", branch));

    public static string Tree(string owner, string name, ObjectId commit, string path) =>
        Repository(owner, name) + "/tree/" + commit + (path.Length == 0 ? "" : "/" + PathSegments(path));

    public static string Raw(string owner, string name, ObjectId commit, string path) =>
        Repository(owner, name) + "/raw/" + commit + "/" + PathSegments(path);

    public static string Commit(string owner, string name, ObjectId commit) => Repository(owner, name) + "/commit/" + commit;

    /// <summary>The query-string prefix of a param filter: <c>param.optimizer=adamw</c> keeps the commits whose optimizer is adamw.</summary>
    public const string ParamFilterPrefix = "param.";

    public static string History(string owner, string name, string branch, string? sort = null, bool descending = false, int page = 1,
        IReadOnlyList<KeyValuePair<string, string>>? filters = null)
    {
        var query = new List<(string, string?)> { ("branch", branch) };
        if (sort is not null)
        {
            query.Add(("sort", sort));
            query.Add(("dir", descending ? "desc" : "asc"));
        }

        if (page > 1)
        {
            query.Add(("page", page.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        query.AddRange((filters ?? []).Select(f => (ParamFilterPrefix + f.Key, (string?)f.Value)));
        return Repository(owner, name) + "/history" + Query([.. query]);
    }

    public static string HistoryAll(string owner, string name, string branch, string? sort, bool descending, IReadOnlyList<KeyValuePair<string, string>>? filters = null) =>
        Repository(owner, name) + "/history" + Query([("branch", branch), ("sort", sort), ("dir", sort is null ? null : descending ? "desc" : "asc"), ("page", "all"),
            .. (filters ?? []).Select(f => (ParamFilterPrefix + f.Key, (string?)f.Value))]);

    public static string Metrics(string owner, string name, string branch) => Repository(owner, name) + "/metrics" + Query(("branch", branch));

    public static string Compare(string owner, string name, ObjectId from, ObjectId to) =>
        Repository(owner, name) + "/compare" + Query(("from", from.ToString()), ("to", to.ToString()));

    public static string CompareForm(string owner, string name) => Repository(owner, name) + "/compare";

    public static string Members(string owner, string name) => Repository(owner, name) + "/members";

    public static string InvitationLink(string baseUrl, string code) => baseUrl.TrimEnd('/') + Register + Query(("code", code));

    /// <summary>Escapes one path segment (a name) for a URL.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);

    /// <summary>Escapes each segment of a slash-separated path.</summary>
    public static string PathSegments(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    /// <summary>"?a=1&amp;b=2" from the pairs whose value is not null (the ampersand is encoded later, with the attribute).</summary>
    public static string Query(params (string Key, string? Value)[] pairs)
    {
        var builder = new StringBuilder();
        foreach (var (key, value) in pairs)
        {
            if (value is null)
            {
                continue;
            }

            builder.Append(builder.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        }

        return builder.ToString();
    }

    /// <summary>A local path to come back to after signing in, or the home page for anything that could leave the site.</summary>
    public static string SafeReturnPath(string? path) =>
        path is { Length: > 0 } p && p[0] == '/' && (p.Length == 1 || (p[1] != '/' && p[1] != '\\')) && !p.Contains('\n', StringComparison.Ordinal)
            && !p.Contains('\r', StringComparison.Ordinal)
            ? p
            : Home;
}
