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
    public const string Script = "/static/lmvp.js";

    public static string Repository(string owner, string name) => "/repos/" + Segment(owner) + "/" + Segment(name);

    public static string Repository(string owner, string name, string branch) => Repository(owner, name) + Query(("branch", branch));

    public static string Tree(string owner, string name, ObjectId commit, string path) => Tree(owner, name, commit.ToString(), path);

    /// <summary>A directory or file page at any revision: a branch (slashes kept), a tag, a full or short id.</summary>
    public static string Tree(string owner, string name, string revision, string path) =>
        Repository(owner, name) + "/tree/" + PathSegments(revision) + (path.Length == 0 ? "" : "/" + PathSegments(path));

    public static string Raw(string owner, string name, ObjectId commit, string path) => Raw(owner, name, commit.ToString(), path);

    /// <summary>A file's download at any revision.</summary>
    public static string Raw(string owner, string name, string revision, string path) =>
        Repository(owner, name) + "/raw/" + PathSegments(revision) + "/" + PathSegments(path);

    public static string Commit(string owner, string name, ObjectId commit) => Repository(owner, name) + "/commit/" + commit;

    /// <summary>A commit's page by any revision (a tag's page is its commit's).</summary>
    public static string Commit(string owner, string name, string revision) => Repository(owner, name) + "/commit/" + PathSegments(revision);

    /// <summary>The query-string prefix of a param filter: <c>param.optimizer=adamw</c> keeps the commits whose optimizer is adamw.</summary>
    public const string ParamFilterPrefix = "param.";

    public static string History(string owner, string name, string branch) => Repository(owner, name) + "/history" + Query(("branch", branch));

    public static string Metrics(string owner, string name, string branch) => Repository(owner, name) + "/metrics" + Query(("branch", branch));

    public static string Compare(string owner, string name, ObjectId from, ObjectId to) => Compare(owner, name, from.ToString(), to.ToString());

    /// <summary>The comparison of two revisions (branches, tags, ids).</summary>
    public static string Compare(string owner, string name, string from, string to) =>
        Repository(owner, name) + "/compare" + Query(("from", from), ("to", to));

    public static string CompareForm(string owner, string name) => Repository(owner, name) + "/compare";

    public static string Members(string owner, string name) => Repository(owner, name) + "/members";

    public static string InvitationLink(string baseUrl, string code) => baseUrl.TrimEnd('/') + Register + Query(("code", code));

    /// <summary>Escapes one path segment (a name) for a URL.</summary>
    public static string Segment(string value) => Uri.EscapeDataString(value);

    /// <summary>Escapes each segment of a slash-separated path.</summary>
    public static string PathSegments(string path) => string.Join('/', path.Split('/').Select(Uri.EscapeDataString));

    /// <summary>"?a=1&amp;b=2" from the pairs whose value is not null (the ampersand is encoded later, with the attribute).</summary>
    public static string Query(params (string Key, string? Value)[] pairs) => Query((IEnumerable<(string, string?)>)pairs);

    /// <summary>The same, from any sequence of pairs (repeated keys are kept, in order).</summary>
    public static string Query(IEnumerable<(string Key, string? Value)> pairs)
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
