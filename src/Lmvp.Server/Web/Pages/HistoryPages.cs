using System.Globalization;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;

namespace Lmvp.Server.Web.Pages;

/// <summary>A branch's history as a sortable table with one column per metric and per param (filterable by param value),
/// and its metrics as charts (NaN and infinities are gaps in the line).</summary>
internal static class HistoryPages
{
    /// <summary>Rows per page of the history table (<c>page=all</c> shows every commit).</summary>
    public const int PageSize = 100;

    public static void Map(RouteGroupBuilder web)
    {
        var repository = web.MapGroup("/repos/{owner}/{name}").WithRepositoryPage();
        repository.MapGet("/history", HistoryAsync);
        repository.MapGet("/metrics", MetricsAsync);
    }

    /// <summary>One row: a commit, its 1-based position on the branch (oldest is 1) and the sort key.</summary>
    private readonly record struct Row(Commit Commit, int Number);

    public static async Task<IResult> HistoryAsync(RepositoryView repo, string? branch, string? sort, string? dir, string? page)
    {
        var web = repo.Web;

        var resolved = await repo.ResolveBranchAsync(branch);
        if (resolved is not { } current)
        {
            return string.IsNullOrEmpty(branch) ? EmptyBranch(web, repo, RepositoryTab.History) : Page.NotFound(web);
        }

        // Server-Timing tells the browser's network panel (and the benchmark) where the time went.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var history = await repo.HistoryAsync(current.Head);
        var walked = watch.Elapsed.TotalMilliseconds;
        var filters = web.Http.Request.Query
            .Where(q => q.Key.StartsWith(Urls.ParamFilterPrefix, StringComparison.Ordinal) && q.Key.Length > Urls.ParamFilterPrefix.Length)
            .Select(q => new KeyValuePair<string, string>(q.Key[Urls.ParamFilterPrefix.Length..], q.Value.ToString()))
            .OrderBy(f => f.Key, StringComparer.Ordinal).ToList();
        var view = RenderHistory(web, repo, current.Branch, history, sort, dir, page, filters);
        web.Http.Response.Headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture,
            $"walk;dur={walked:0.0};desc=\"{history.Count} commits\", render;dur={watch.Elapsed.TotalMilliseconds - walked:0.0}");
        return view;
    }

    /// <summary>Renders the table; separate from the data loading so its cost can be measured on its own.</summary>
    internal static IResult RenderHistory(WebContext web, RepositoryView repo, string branch, IReadOnlyList<Commit> history, string? sort, string? dir,
        string? pageArgument, IReadOnlyList<KeyValuePair<string, string>>? filterArgument = null)
    {
        var metricNames = MetricNames(history);
        var paramNames = ParamNames(history);
        var sortMetric = sort is not null && metricNames.Contains(sort, StringComparer.Ordinal) ? sort : null;

        // Without a direction, the better end comes first: lowest for losses, highest for accuracy-like names (as lmvp log --sort).
        var descending = dir is null ? sortMetric is not null && MetricValues.HigherIsBetter(sortMetric) : dir == "desc";
        var showAll = pageArgument == "all";
        var pageNumber = !showAll && int.TryParse(pageArgument, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p > 0 ? p : 1;
        var filters = filterArgument ?? [];

        var rows = new List<Row>(history.Count);
        for (var i = 0; i < history.Count; i++)
        {
            if (filters.Count == 0 || filters.All(f => TryGetParam(history[i], f.Key, out var v) && v.ToString() == f.Value))
            {
                rows.Add(new Row(history[i], history.Count - i));
            }
        }

        if (sortMetric is not null)
        {
            // NaN and infinities after every finite value, then commits without the metric, whatever the direction; ties keep branch order.
            var keys = new double?[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                keys[i] = TryGetMetric(rows[i].Commit, sortMetric, out var v) ? v : null;
            }

            var order = Enumerable.Range(0, rows.Count).ToArray();
            Array.Sort(order, (a, b) =>
            {
                var (ka, kb) = (keys[a], keys[b]);
                var c = ka is null || kb is null ? (ka is null).CompareTo(kb is null) : MetricValues.CompareBestFirst(ka.Value, kb.Value, descending);
                return c != 0 ? c : a.CompareTo(b);
            });
            rows = [.. order.Select(i => rows[i])];
        }

        var pages = Math.Max(1, (rows.Count + PageSize - 1) / PageSize);
        pageNumber = Math.Min(pageNumber, pages);
        var shown = showAll ? rows : rows.Skip((pageNumber - 1) * PageSize).Take(PageSize).ToList();

        var page = new Page(web, "History · " + repo.Record.FullName) { Repository = repo, Tab = RepositoryTab.History, Branch = branch, Wide = true };
        var html = page.Body;
        html.Add($"""
            <div class="row spread toolbar"><div><h2 class="inline">History of <code>{branch}</code></h2>
            <span class="muted">{history.Count.ToString("N0", CultureInfo.InvariantCulture)} commits{(sortMetric is null ? "" : ", sorted by " + sortMetric + (descending ? ", highest first" : ", lowest first"))}</span>
            """);
        if (filters.Count > 0)
        {
            html.Add($"""
                <span class="filters" id="param-filters">{rows.Count.ToString("N0", CultureInfo.InvariantCulture)} with {string.Join(", ", filters.Select(f => f.Key + " = " + f.Value))}
                · <a href="{Urls.History(repo.Owner, repo.Name, branch, sortMetric, descending)}" id="clear-filters">show all</a></span>
                """);
        }

        html.Add($"""
            </div>
            <div class="row gap"><a class="button" href="{Urls.Metrics(repo.Owner, repo.Name, branch)}">Charts</a></div></div>
            <form method="get" action="{Urls.CompareForm(repo.Owner, repo.Name)}" class="historyform">
            <div class="tablewrap"><table class="grid history" id="history"><thead><tr>
            <th class="pick" title="compare from">A</th><th class="pick" title="compare to">B</th>
            <th class="num">{SortLink(repo, branch, null, sortMetric, descending, "#")}</th><th>Commit</th><th class="msg">Message</th><th>Author</th><th>Time</th><th>Code</th>
            """);
        foreach (var metric in metricNames)
        {
            html.Add($"<th class=\"num metric{(metric == sortMetric ? " sorted" : "")}\" data-metric=\"{metric}\">{SortLink(repo, branch, metric, sortMetric, descending, metric, filters)}</th>");
        }

        foreach (var param in paramNames)
        {
            html.Add($"<th class=\"param\" data-param=\"{param}\" title=\"param: click a value to keep only the commits that have it\">{param}</th>");
        }

        html.Add($"</tr></thead><tbody>");
        var commitBase = Urls.Repository(repo.Owner, repo.Name) + "/commit/";
        var index = 0;
        foreach (var row in shown)
        {
            var c = row.Commit;
            var id = c.Id.ToString();
            var subject = Format.Subject(c.Message, 90);
            var author = Fragments.AuthorName(c.Author);

            // 5,000 rows make a big page: attributes are kept to what a person or the compare form uses.
            html.Add($"""
                <tr data-commit="{id}"><td class="pick"><input type="radio" name="from" value="{id}"{(index == 1 && sortMetric is null ? new Markup(" checked") : Markup.Empty)}></td>
                <td class="pick"><input type="radio" name="to" value="{id}"{(index == 0 && sortMetric is null ? new Markup(" checked") : Markup.Empty)}></td>
                <td class="num muted">{row.Number}</td><td><a class="sha" href="{commitBase}{id}">{c.Id.ToShortString()}</a></td>
                """);
            if (subject.Length == c.Message.Length)
            {
                html.Add($"<td class=\"msg\">{subject}</td>");
            }
            else
            {
                html.Add($"<td class=\"msg\" title=\"{c.Message}\">{subject}</td>");
            }

            if (author.Length == c.Author.Length)
            {
                html.Add($"<td class=\"nowrap\">{author}</td>");
            }
            else
            {
                html.Add($"<td class=\"nowrap\" title=\"{c.Author}\">{author}</td>");
            }

            html.Add($"<td class=\"nowrap\">{c.Time.UtcDateTime:yyyy-MM-dd HH:mm} UTC</td><td class=\"nowrap\">");
            Fragments.Provenance(html, c.Provenance, full: false);
            html.Add($"</td>");
            foreach (var metric in metricNames)
            {
                if (TryGetMetric(c, metric, out var value))
                {
                    html.Add($"<td class=\"num{(double.IsFinite(value) ? "" : " nonfinite")}\">{Format.Number(value)}</td>");
                }
                else
                {
                    html.Add($"<td class=\"num muted\">\u2014</td>");
                }
            }

            foreach (var param in paramNames)
            {
                if (TryGetParam(c, param, out var value))
                {
                    var kept = filters.Where(f => f.Key != param).Append(new(param, value.ToString())).OrderBy(f => f.Key, StringComparer.Ordinal).ToList();
                    html.Add($"<td class=\"{(value.IsNumber ? "num " : "")}param\"><a href=\"{Urls.History(repo.Owner, repo.Name, branch, sortMetric, descending, 1, kept)}\">{Format.Param(value)}</a></td>");
                }
                else
                {
                    html.Add($"<td class=\"muted\">\u2014</td>");
                }
            }

            html.Add($"</tr>");
            index++;
        }

        html.Add($"""
            </tbody></table></div>
            <div class="row spread tablefoot"><button type="submit" class="primary" id="compare-selected">Compare A → B</button>
            """);
        WritePager(html, repo, branch, sortMetric, descending, pageNumber, pages, showAll, filters);
        html.Add($"</div></form>");
        return page.ToResult();
    }

    public static async Task<IResult> MetricsAsync(RepositoryView repo, string? branch)
    {
        var web = repo.Web;

        var resolved = await repo.ResolveBranchAsync(branch);
        if (resolved is not { } current)
        {
            return string.IsNullOrEmpty(branch) ? EmptyBranch(web, repo, RepositoryTab.Metrics) : Page.NotFound(web);
        }

        var history = await repo.HistoryAsync(current.Head);
        var page = new Page(web, "Metrics · " + repo.Record.FullName) { Repository = repo, Tab = RepositoryTab.Metrics, Branch = current.Branch };
        var html = page.Body;
        var metricNames = MetricNames(history);
        html.Add($"""
            <div class="row spread toolbar"><div><h2 class="inline">Metrics on <code>{current.Branch}</code></h2>
            <span class="muted">{history.Count.ToString("N0", CultureInfo.InvariantCulture)} commits, oldest on the left. Click a point to open its commit.</span></div>
            <a class="button" href="{Urls.History(repo.Owner, repo.Name, current.Branch)}">Table</a></div>
            """);
        if (metricNames.Count == 0)
        {
            html.Add($"<section class=\"card empty\"><p>No commit on this branch has metrics yet. Record them with <code>lmvp commit -m \"epoch 3\" --metric loss=0.41</code>.</p></section>");
            return page.ToResult();
        }

        html.Add($"<nav class=\"pills metricnav\">");
        foreach (var metric in metricNames)
        {
            html.Add($"<a href=\"#{Anchor(metric)}\">{metric}</a>");
        }

        html.Add($"</nav>");
        var commitBase = Urls.Repository(repo.Owner, repo.Name) + "/commit/";
        foreach (var metric in metricNames)
        {
            var points = new List<MetricPoint>();
            for (var i = history.Count - 1; i >= 0; i--)
            {
                if (TryGetMetric(history[i], metric, out var v))
                {
                    points.Add(new MetricPoint(history.Count - 1 - i, v, history[i]));
                }
            }

            // Extremes among the finite values; a NaN or infinity is shown where it is, never as the minimum.
            var finite = points.Where(p => double.IsFinite(p.Value)).ToList();
            var min = finite.Count > 0 ? finite.MinBy(p => p.Value) : points[0];
            var max = finite.Count > 0 ? finite.MaxBy(p => p.Value) : points[0];
            var latest = points[^1];
            html.Add($"""
                <section class="card chartcard" id="{Anchor(metric)}" data-metric="{metric}"><div class="cardhead row spread"><h3>{metric}</h3>
                <div class="stats"><span>latest <strong>{Format.Number(latest.Value)}</strong></span>
                <span>min <a href="{commitBase}{min.Commit.Id.ToString()}"><strong>{Format.Number(min.Value)}</strong> at #{min.Position + 1}</a></span>
                <span>max <a href="{commitBase}{max.Commit.Id.ToString()}"><strong>{Format.Number(max.Value)}</strong> at #{max.Position + 1}</a></span>
                <a href="{Urls.History(repo.Owner, repo.Name, current.Branch, metric)}">sort table</a></div></div>
                """);
            var drawn = MetricChart.Render(html, metric, points, history.Count, c => commitBase + c.Id.ToString());
            if (drawn < finite.Count)
            {
                html.Add($"<p class=\"muted small\">{points.Count.ToString("N0", CultureInfo.InvariantCulture)} points; {drawn.ToString("N0", CultureInfo.InvariantCulture)} drawn (the lowest and highest of each {MetricChart.ColumnWidth}-pixel column, so every extreme shows).</p>");
            }

            html.Add($"</section>");
        }

        return page.ToResult();
    }

    /// <summary>Every metric name on the branch, in name order.</summary>
    internal static IReadOnlyList<string> MetricNames(IReadOnlyList<Commit> history) => Names(history, c => c.Metrics.Select(m => m.Key));

    /// <summary>Every param name on the branch, in name order.</summary>
    internal static IReadOnlyList<string> ParamNames(IReadOnlyList<Commit> history) => Names(history, c => c.Params.Select(p => p.Key));

    private static string[] Names(IReadOnlyList<Commit> history, Func<Commit, IEnumerable<string>> namesOf)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var c in history)
        {
            names.UnionWith(namesOf(c));
        }

        return [.. names];
    }

    /// <summary>A commit's value of one param (params are few, so a scan finds it).</summary>
    internal static bool TryGetParam(Commit commit, string name, out ParamValue value)
    {
        foreach (var (key, v) in commit.Params)
        {
            if (key == name)
            {
                value = v;
                return true;
            }
        }

        value = default;
        return false;
    }

    /// <summary>A commit's value of one metric; its metrics are sorted by name, so a binary search finds it.</summary>
    internal static bool TryGetMetric(Commit commit, string name, out double value)
    {
        var metrics = commit.Metrics;
        int lo = 0, hi = metrics.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = string.CompareOrdinal(metrics[mid].Key, name);
            if (c == 0)
            {
                value = metrics[mid].Value;
                return true;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        value = 0;
        return false;
    }

    private static IResult EmptyBranch(WebContext web, RepositoryView repo, RepositoryTab tab)
    {
        var page = new Page(web, repo.Record.FullName) { Repository = repo, Tab = tab };
        page.Body.Add($"<section class=\"card empty\"><h2>No commits yet</h2><p>Push a branch to see its history and metrics here.</p></section>");
        return page.ToResult();
    }

    /// <summary>A fragment id for a metric name: letters and digits kept, the rest hex-escaped so different names never collide.</summary>
    private static string Anchor(string metric)
    {
        var builder = new System.Text.StringBuilder("m-");
        foreach (var ch in metric)
        {
            if (char.IsAsciiLetterOrDigit(ch))
            {
                builder.Append(ch);
            }
            else
            {
                builder.Append('_').Append(((int)ch).ToString("x", CultureInfo.InvariantCulture)).Append('_');
            }
        }

        return builder.ToString();
    }

    private static Markup SortLink(RepositoryView repo, string branch, string? metric, string? sortMetric, bool descending, string label,
        IReadOnlyList<KeyValuePair<string, string>>? filters = null)
    {
        var html = new HtmlWriter(256);
        var active = metric == sortMetric;

        // First click puts the better end first (lowest for losses, highest for accuracy-like names); a second click flips it.
        var nextDescending = metric is not null && (active ? !descending : MetricValues.HigherIsBetter(metric));
        var href = Urls.History(repo.Owner, repo.Name, branch, metric, nextDescending, 1, filters);
        var arrow = !active || metric is null ? "" : descending ? " \u2193" : " \u2191";
        var title = metric is null ? "newest first" : $"sort by {metric}, {(nextDescending ? "highest" : "lowest")} first";
        html.Add($"<a class=\"sort\" href=\"{href}\" title=\"{title}\">{label}{arrow}</a>");
        return html.ToMarkup();
    }

    private static void WritePager(HtmlWriter html, RepositoryView repo, string branch, string? sort, bool descending, int pageNumber, int pages, bool showAll,
        IReadOnlyList<KeyValuePair<string, string>> filters)
    {
        html.Add($"<nav class=\"pager\">");
        if (showAll || pages == 1)
        {
            if (showAll && pages > 1)
            {
                html.Add($"<a href=\"{Urls.History(repo.Owner, repo.Name, branch, sort, descending, 1, filters)}\">Show {PageSize} per page</a>");
            }

            html.Add($"</nav>");
            return;
        }

        if (pageNumber > 1)
        {
            html.Add($"<a href=\"{Urls.History(repo.Owner, repo.Name, branch, sort, descending, pageNumber - 1, filters)}\" rel=\"prev\">← Previous</a>");
        }

        html.Add($"<span class=\"muted\">Page {pageNumber} of {pages}</span>");
        if (pageNumber < pages)
        {
            html.Add($"<a href=\"{Urls.History(repo.Owner, repo.Name, branch, sort, descending, pageNumber + 1, filters)}\" rel=\"next\">Next →</a>");
        }

        html.Add($"<a href=\"{Urls.HistoryAll(repo.Owner, repo.Name, branch, sort, descending, filters)}\">Show all</a></nav>");
    }
}
