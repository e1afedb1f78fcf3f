using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;

namespace Lmvp.Server.Web.Pages;

/// <summary>The history table's columns: which ones show and in what order (the commit column is always first, and pinned).</summary>
/// <remarks>A column is named by an id: <c>number</c>, <c>message</c>, <c>author</c>, <c>time</c>, <c>code</c>, <c>m.NAME</c> for a
/// metric and <c>p.NAME</c> for a param. A choice made with the Columns form is in the URL and is remembered in a cookie scoped to
/// the repository's pages, so the History tab opens the same way next time.</remarks>
internal static class HistoryColumns
{
    public const string Number = "number";
    public const string Message = "message";
    public const string Author = "author";
    public const string Time = "time";
    public const string Code = "code";
    public const string MetricPrefix = "m.";
    public const string ParamPrefix = "p.";

    private const string CookieName = "lmvp_cols";
    private const int MaxCookieLength = 3000;

    /// <summary>Every column this history has, in the default order: metrics and params before author, time and code, so that
    /// at narrow widths the numbers are what stays in view.</summary>
    public static IReadOnlyList<string> Available(IReadOnlyList<string> metrics, IReadOnlyList<string> parameters) =>
        [Number, Message, .. metrics.Select(m => MetricPrefix + m), .. parameters.Select(p => ParamPrefix + p), Author, Time, Code];

    /// <summary>The header a person reads.</summary>
    public static string Header(string id) => id switch
    {
        Number => "#",
        Message => "Message",
        Author => "Author",
        Time => "Time",
        Code => "Code",
        _ when id.StartsWith(MetricPrefix, StringComparison.Ordinal) => id[MetricPrefix.Length..],
        _ when id.StartsWith(ParamPrefix, StringComparison.Ordinal) => id[ParamPrefix.Length..],
        _ => id,
    };

    /// <summary>The columns to show: the URL's choice, else the remembered one, else all of them; only those this history has.</summary>
    public static IReadOnlyList<string> Chosen(HttpContext http, HistoryQuery query, IReadOnlyList<string> available)
    {
        ArgumentNullException.ThrowIfNull(http);
        var chosen = query.Columns ?? Remembered(http);
        if (chosen is null)
        {
            return available;
        }

        var known = available.ToHashSet(StringComparer.Ordinal);
        return [.. chosen.Where(known.Contains)];
    }

    /// <summary>Keeps the URL's column choice for this repository's pages (a "reset" clears it).</summary>
    public static void Remember(HttpContext http, RepositoryView repo, IReadOnlyList<string>? columns)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(repo);
        var options = new CookieOptions
        {
            Path = Urls.Repository(repo.Owner, repo.Name),
            HttpOnly = true,
            SameSite = SameSiteMode.Lax,
            Secure = http.Request.IsHttps,
            MaxAge = TimeSpan.FromDays(365),
        };
        if (columns is null)
        {
            http.Response.Cookies.Delete(CookieName, options);
            return;
        }

        var value = Uri.EscapeDataString(string.Join('\n', columns));
        if (value.Length <= MaxCookieLength)
        {
            http.Response.Cookies.Append(CookieName, value, options);
        }
    }

    /// <summary><paramref name="order"/> with <paramref name="id"/> moved one place earlier (<paramref name="delta"/> -1) or later (+1).</summary>
    public static IReadOnlyList<string> Move(IReadOnlyList<string> order, string id, int delta)
    {
        var list = order.ToList();
        var at = list.IndexOf(id);
        var to = at + delta;
        if (at < 0 || to < 0 || to >= list.Count)
        {
            return list;
        }

        (list[at], list[to]) = (list[to], list[at]);
        return list;
    }

    private static string[]? Remembered(HttpContext http) =>
        http.Request.Cookies.TryGetValue(CookieName, out var value) && value.Length > 0
            ? Uri.UnescapeDataString(value).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            : null;
}
