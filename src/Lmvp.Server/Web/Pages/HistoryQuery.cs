using System.Globalization;
using Lmvp.Server.Web.Html;

namespace Lmvp.Server.Web.Pages;

/// <summary>What a history view shows, as its URL says: the revision, sort, page, message search, param filters and columns.</summary>
/// <remarks>Every link of the page (sort headers, pager, param values, exports) is this query with one thing changed, so a
/// view is always a URL a person can bookmark or send.</remarks>
internal sealed record HistoryQuery(string Branch)
{
    public string? Sort { get; init; }

    public bool Descending { get; init; }

    public int Page { get; init; } = 1;

    public bool All { get; init; }

    /// <summary>Text the commit message must contain (any case), or a commit id prefix.</summary>
    public string? Search { get; init; }

    /// <summary>Params each row must have, by name (<c>param.lr=0.001</c>).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Filters { get; init; } = [];

    /// <summary>The columns asked for in the URL, in order; null when the URL names none.</summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>The query of <paramref name="request"/>; <paramref name="branch"/> is the revision it resolved to.</summary>
    public static HistoryQuery From(HttpRequest request, string branch)
    {
        ArgumentNullException.ThrowIfNull(request);
        var q = request.Query;
        var page = q["page"].ToString();
        return new HistoryQuery(branch)
        {
            Sort = q["sort"].ToString() is { Length: > 0 } sort ? sort : null,
            Descending = q["dir"] == "desc",
            All = page == "all",
            Page = int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0 ? p : 1,
            Search = q["q"].ToString().Trim() is { Length: > 0 } search ? search : null,
            Filters = [.. q.Where(f => f.Key.StartsWith(Urls.ParamFilterPrefix, StringComparison.Ordinal) && f.Key.Length > Urls.ParamFilterPrefix.Length)
                .Select(f => new KeyValuePair<string, string>(f.Key[Urls.ParamFilterPrefix.Length..], f.Value.ToString()))
                .OrderBy(f => f.Key, StringComparer.Ordinal)],
            Columns = q.ContainsKey("cols") || q.ContainsKey("col") ? [.. q["col"].Where(c => !string.IsNullOrEmpty(c)).Select(c => c!).Distinct(StringComparer.Ordinal)] : null,
        };
    }

    /// <summary>The first page of the same view.</summary>
    public HistoryQuery FirstPage => this with { Page = 1, All = false };

    /// <summary>The query-string pairs of this view.</summary>
    public IEnumerable<(string Key, string? Value)> Pairs()
    {
        yield return ("branch", Branch);
        if (Sort is not null)
        {
            yield return ("sort", Sort);
            yield return ("dir", Descending ? "desc" : "asc");
        }

        if (All)
        {
            yield return ("page", "all");
        }
        else if (Page > 1)
        {
            yield return ("page", Page.ToString(CultureInfo.InvariantCulture));
        }

        if (Search is not null)
        {
            yield return ("q", Search);
        }

        foreach (var f in Filters)
        {
            yield return (Urls.ParamFilterPrefix + f.Key, f.Value);
        }

        if (Columns is not null)
        {
            yield return ("cols", "1");
            foreach (var c in Columns)
            {
                yield return ("col", c);
            }
        }
    }

    /// <summary>The history page of this view (or its export, with <paramref name="suffix"/> <c>.csv</c> or <c>.json</c>).</summary>
    public string Url(string owner, string name, string suffix = "") => Urls.Repository(owner, name) + "/history" + suffix + Urls.Query(Pairs());
}
