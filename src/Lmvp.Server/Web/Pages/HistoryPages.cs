using System.Globalization;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;

namespace Lmvp.Server.Web.Pages;

/// <summary>A revision's history as a table: one column per metric and per param (chosen and ordered by the reader), branch and
/// tag labels on rows, each metric's best value marked, sortable, searchable by message, filterable by param value, and
/// exported as CSV or JSON (<see cref="HistoryExport"/>).</summary>
internal static class HistoryPages
{
    /// <summary>Rows per page of the history table (<c>page=all</c> shows every commit).</summary>
    public const int PageSize = 100;

    public static void Map(RouteGroupBuilder web)
    {
        var repository = web.MapGroup("/repos/{owner}/{name}").WithRepositoryPage();
        repository.MapGet("/history", HistoryAsync);
        repository.MapGet("/history.csv", HistoryExport.CsvAsync);
        repository.MapGet("/history.json", HistoryExport.JsonAsync);
    }

    /// <summary>One row: a commit and its 1-based position on the history (oldest is 1).</summary>
    internal readonly record struct Row(Commit Commit, int Number);

    /// <summary>A view's rows in order, with the history's metric and param names and each metric's best value among the rows.</summary>
    internal sealed record Selection(IReadOnlyList<Commit> History, IReadOnlyList<Row> Rows, IReadOnlyList<string> Metrics, IReadOnlyList<string> Params,
        string? SortMetric, bool Descending, IReadOnlyDictionary<string, double> Best);

    public static async Task<IResult> HistoryAsync(RepositoryView repo, string? branch)
    {
        var web = repo.Web;
        var run = await repo.ResolveRunAsync(branch);
        if (run is null)
        {
            return string.IsNullOrEmpty(branch) ? EmptyBranch(web, repo, RepositoryTab.History) : Page.NotFound(web);
        }

        var query = HistoryQuery.From(web.Http.Request, run.Name);
        var q = web.Http.Request.Query;
        if (q["cols"] == "reset")
        {
            HistoryColumns.Remember(web.Http, repo, null);
            return Results.Redirect((query with { Columns = null }).Url(repo.Owner, repo.Name));
        }

        if (query.Columns is { } chosen && (q["up"].ToString() is { Length: > 0 } up ? (up, -1) : q["down"].ToString() is { Length: > 0 } down ? (down, 1) : default) is (string id, int delta))
        {
            // The Columns form's arrows: move one column, then show the clean URL of the new order.
            return Results.Redirect((query with { Columns = HistoryColumns.Move(chosen, id, delta) }).Url(repo.Owner, repo.Name));
        }

        if (query.Columns is not null)
        {
            HistoryColumns.Remember(web.Http, repo, query.Columns);
        }

        // Server-Timing tells the browser's network panel (and the benchmark) where the time went.
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var history = await repo.HistoryAsync(run.Head);
        var walked = watch.Elapsed.TotalMilliseconds;
        var directions = await repo.MetricDirectionsAsync();
        if (query.Sort is not null && !q.ContainsKey("dir"))
        {
            query = query with { Descending = directions.HigherIsBetter(query.Sort) };
        }

        var view = await RenderHistoryAsync(web, repo, run, history, query, directions, await repo.RefLabelsAsync());
        web.Http.Response.Headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture,
            $"walk;dur={walked:0.0};desc=\"{history.Count} commits\", render;dur={watch.Elapsed.TotalMilliseconds - walked:0.0}");
        return view;
    }

    /// <summary>The rows of a view: filtered by params and search, sorted (NaN and infinities after every finite value, then
    /// commits without the metric, whatever the direction; ties keep history order).</summary>
    internal static Selection Select(IReadOnlyList<Commit> history, HistoryQuery query, MetricDirections directions)
    {
        var metrics = Names(history, c => c.Metrics.Select(m => m.Key));
        var parameters = Names(history, c => c.Params.Select(p => p.Key));
        var sortMetric = query.Sort is { } s && metrics.Contains(s, StringComparer.Ordinal) ? s : null;
        var search = query.Search;
        var rows = new List<Row>(history.Count);
        for (var i = 0; i < history.Count; i++)
        {
            var c = history[i];
            if (query.Filters.All(f => MetricLookup.TryGetParam(c, f.Key, out var v) && v.ToString() == f.Value)
                && (search is null || c.Message.Contains(search, StringComparison.OrdinalIgnoreCase) || c.Id.StartsWith(search)))
            {
                rows.Add(new Row(c, history.Count - i));
            }
        }

        if (sortMetric is not null)
        {
            var keys = new double?[rows.Count];
            for (var i = 0; i < rows.Count; i++)
            {
                keys[i] = MetricLookup.TryGet(rows[i].Commit, sortMetric, out var v) ? v : null;
            }

            var order = Enumerable.Range(0, rows.Count).ToArray();
            Array.Sort(order, (a, b) =>
            {
                var (ka, kb) = (keys[a], keys[b]);
                var c = ka is null || kb is null ? (ka is null).CompareTo(kb is null) : MetricValues.CompareBestFirst(ka.Value, kb.Value, query.Descending);
                return c != 0 ? c : a.CompareTo(b);
            });
            rows = [.. order.Select(i => rows[i])];
        }

        var best = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var metric in metrics.Where(directions.HasDirection))
        {
            var higher = directions.HigherIsBetter(metric);
            foreach (var row in rows)
            {
                if (MetricLookup.TryGet(row.Commit, metric, out var v) && double.IsFinite(v)
                    && (!best.TryGetValue(metric, out var b) || MetricValues.CompareBestFirst(v, b, higher) < 0))
                {
                    best[metric] = v;
                }
            }
        }

        return new Selection(history, rows, metrics, parameters, sortMetric, query.Descending, best);
    }

    /// <summary>Renders the table; separate from the data loading so its cost can be measured on its own.</summary>
    internal static async Task<IResult> RenderHistoryAsync(WebContext web, RepositoryView repo, RunView run, IReadOnlyList<Commit> history, HistoryQuery query,
        MetricDirections directions, ILookup<ObjectId, RefLabel> labels)
    {
        var selection = Select(history, query, directions);
        var rows = selection.Rows;
        var available = HistoryColumns.Available(selection.Metrics, selection.Params);
        var columns = HistoryColumns.Chosen(web.Http, query, available);
        var pages = Math.Max(1, (rows.Count + PageSize - 1) / PageSize);
        var pageNumber = Math.Min(query.Page, pages);
        var shown = query.All ? rows : rows.Skip((pageNumber - 1) * PageSize).Take(PageSize).ToList();

        var page = new Page(web, "History · " + repo.Record.FullName) { Repository = repo, Tab = RepositoryTab.History, Branch = run.Name, Wide = true };
        var html = page.Body;
        await WriteToolbarAsync(html, repo, run, history.Count, selection, query, available, columns, directions);

        html.Add($"""
            <form method="get" action="{Urls.CompareForm(repo.Owner, repo.Name)}" class="historyform">
            <div class="tablewrap"><table class="grid history" id="history"><thead><tr><th class="pin" title="tick A (from) and B (to), then Compare">A B · Commit</th>
            """);
        foreach (var id in columns)
        {
            WriteHeader(html, repo, id, query, selection, directions);
        }

        html.Add($"</tr></thead><tbody>");
        var index = 0;
        foreach (var row in shown)
        {
            WriteRow(html, row, columns, labels, selection, query, repo, index++);
        }

        if (shown.Count == 0)
        {
            html.Add($"<tr><td class=\"muted\" colspan=\"{columns.Count + 1}\" id=\"no-match\">No commit matches{(query.Search is null ? "" : " “" + query.Search + "”")}.</td></tr>");
        }

        html.Add($"""
            </tbody></table></div>
            <div class="row spread tablefoot"><button type="submit" class="primary" id="compare-selected">Compare A → B</button>
            """);
        WritePager(html, repo, query with { Page = pageNumber }, pages);
        html.Add($"</div></form>");
        return page.ToResult();
    }

    private static async Task WriteToolbarAsync(HtmlWriter html, RepositoryView repo, RunView run, int commits, Selection selection, HistoryQuery query,
        IReadOnlyList<string> available, IReadOnlyList<string> columns, MetricDirections directions)
    {
        var sorted = selection.SortMetric is { } sm ? ", sorted by " + sm + (selection.Descending ? ", highest first" : ", lowest first") : "";
        html.Add($"<div class=\"row spread toolbar\"><div class=\"titlebar\"><h2 class=\"inline\">History of</h2>");
        await Fragments.RevisionSwitcherAsync(html, repo, run, b => Urls.History(repo.Owner, repo.Name, b));
        html.Add($"<span class=\"muted\" id=\"row-count\">{commits.ToString("N0", CultureInfo.InvariantCulture)} commits{sorted}</span>");
        if (query.Filters.Count > 0 || query.Search is not null)
        {
            var what = string.Join(", ", query.Filters.Select(f => f.Key + " = " + f.Value).Concat(query.Search is null ? [] : ["“" + query.Search + "” in the message"]));
            html.Add($"""
                <span class="filters" id="param-filters">{selection.Rows.Count.ToString("N0", CultureInfo.InvariantCulture)} with {what}
                · <a href="{(query with { Filters = [], Search = null }).FirstPage.Url(repo.Owner, repo.Name)}" id="clear-filters">show all</a></span>
                """);
        }

        html.Add($"""
            </div><div class="row gap wrap tools">
            <form method="get" action="{Urls.Repository(repo.Owner, repo.Name)}/history" class="search" role="search">{Hidden(query, search: false, columns: true)}
            <input type="search" name="q" id="history-search" value="{query.Search ?? ""}" placeholder="Search messages" aria-label="Search commit messages"><button type="submit">Search</button></form>
            """);
        WriteColumnChooser(html, repo, query, available, columns);
        var export = query.FirstPage with { All = false };
        html.Add($"""
            <a class="button" href="{Urls.Metrics(repo.Owner, repo.Name, run.Name)}">Charts</a>
            <a class="button" id="export-csv" href="{export.Url(repo.Owner, repo.Name, ".csv")}" download>CSV</a>
            <a class="button" id="export-json" href="{export.Url(repo.Owner, repo.Name, ".json")}" download>JSON</a></div></div>
            """);
        if (directions.Problems.Count > 0)
        {
            html.Add($"<p class=\"error small\" role=\"alert\">{MetricDirections.FileName} on {repo.Record.DefaultBranch}: {string.Join("; ", directions.Problems)} (ignored).</p>");
        }
    }

    /// <summary>The Columns dropdown: a checkbox per column in display order, arrows to move one, and a reset to the default.</summary>
    private static void WriteColumnChooser(HtmlWriter html, RepositoryView repo, HistoryQuery query, IReadOnlyList<string> available, IReadOnlyList<string> columns)
    {
        html.Add($"""
            <details class="dropdown" id="columns"><summary class="button">Columns</summary><div class="panel">
            <form method="get" action="{Urls.Repository(repo.Owner, repo.Name)}/history" id="columns-form">{Hidden(query, search: true, columns: false)}<input type="hidden" name="cols" value="1">
            <p class="muted small">The commit column stays first. Ticked columns show, in this order.</p><ul class="columnlist">
            """);
        var shown = columns.ToHashSet(StringComparer.Ordinal);
        foreach (var id in columns.Concat(available.Where(a => !shown.Contains(a))))
        {
            var on = shown.Contains(id);
            html.Add($"""
                <li data-column="{id}"><label class="check"><input type="checkbox" name="col" value="{id}"{(on ? new Markup(" checked") : Markup.Empty)}> <span>{HistoryColumns.Header(id)}</span></label>
                <span class="moves"><button type="submit" name="up" value="{id}" class="small" title="move {HistoryColumns.Header(id)} left" aria-label="move left"{(on ? Markup.Empty : new Markup(" disabled"))}>↑</button><button type="submit" name="down" value="{id}" class="small" title="move {HistoryColumns.Header(id)} right" aria-label="move right"{(on ? Markup.Empty : new Markup(" disabled"))}>↓</button></span></li>
                """);
        }

        html.Add($"""
            </ul><div class="row gap"><button type="submit" class="primary" id="apply-columns">Apply</button>
            <a href="{Urls.Repository(repo.Owner, repo.Name)}/history{Urls.Query(("branch", query.Branch), ("cols", "reset"))}" id="reset-columns">Default columns</a></div></form></div></details>
            """);
    }

    /// <summary>Hidden inputs that carry the view through a form (all but the search box or the column boxes, which the form has).</summary>
    private static Markup Hidden(HistoryQuery query, bool search, bool columns)
    {
        var html = new HtmlWriter(256);
        var kept = query.FirstPage with { Search = search ? query.Search : null, Columns = columns ? query.Columns : null };
        foreach (var (key, value) in kept.Pairs())
        {
            html.Add($"<input type=\"hidden\" name=\"{key}\" value=\"{value}\">");
        }

        return html.ToMarkup();
    }

    private static void WriteHeader(HtmlWriter html, RepositoryView repo, string id, HistoryQuery query, Selection selection, MetricDirections directions)
    {
        if (id.StartsWith(HistoryColumns.MetricPrefix, StringComparison.Ordinal))
        {
            var metric = id[HistoryColumns.MetricPrefix.Length..];
            var active = metric == selection.SortMetric;

            // First click puts the better end first (lowest for losses, highest for accuracy-like names); a second click flips it.
            var nextDescending = active ? !selection.Descending : directions.HigherIsBetter(metric);
            var href = (query.FirstPage with { Sort = metric, Descending = nextDescending }).Url(repo.Owner, repo.Name);
            var arrow = !active ? "" : selection.Descending ? " \u2193" : " \u2191";
            var better = !directions.HasDirection(metric) ? "a counter" : directions.HigherIsBetter(metric) ? "higher is better" : "lower is better";
            html.Add($"<th class=\"num metric{(active ? " sorted" : "")}\" data-metric=\"{metric}\"><a class=\"sort\" href=\"{href}\" title=\"sort by {metric}, {(nextDescending ? "highest" : "lowest")} first; {better}{(directions.IsSet(metric) ? " (" + MetricDirections.FileName + ")" : "")}\">{metric}{arrow}</a></th>");
        }
        else if (id.StartsWith(HistoryColumns.ParamPrefix, StringComparison.Ordinal))
        {
            var param = id[HistoryColumns.ParamPrefix.Length..];
            html.Add($"<th class=\"param\" data-param=\"{param}\" title=\"param: click a value to keep only the commits that have it\">{param}</th>");
        }
        else if (id == HistoryColumns.Number)
        {
            var href = (query.FirstPage with { Sort = null }).Url(repo.Owner, repo.Name);
            html.Add($"<th class=\"num\" data-column=\"number\"><a class=\"sort\" href=\"{href}\" title=\"newest first\">#</a></th>");
        }
        else
        {
            html.Add($"<th class=\"{(id == HistoryColumns.Message ? "msg" : "")}\" data-column=\"{id}\">{HistoryColumns.Header(id)}</th>");
        }
    }

    private static void WriteRow(HtmlWriter html, Row row, IReadOnlyList<string> columns, ILookup<ObjectId, RefLabel> labels, Selection selection,
        HistoryQuery query, RepositoryView repo, int index)
    {
        var c = row.Commit;
        var id = c.Id.ToShortString();
        var defaultPick = selection.SortMetric is null && query.Search is null && query.Filters.Count == 0 && query.Page == 1;

        // 5,000 rows make a big page: short ids and links relative to the page keep each row to what a person or the form uses.
        html.Add($"""
            <tr data-commit="{id}"><td class="pin"><input type="radio" name="from" value="{id}" aria-label="A"{(index == 1 && defaultPick ? new Markup(" checked") : Markup.Empty)}><input type="radio" name="to" value="{id}" aria-label="B"{(index == 0 && defaultPick ? new Markup(" checked") : Markup.Empty)}><a class="sha" href="commit/{id}">{id}</a></td>
            """);
        foreach (var column in columns)
        {
            if (column.StartsWith(HistoryColumns.MetricPrefix, StringComparison.Ordinal))
            {
                var metric = column[HistoryColumns.MetricPrefix.Length..];
                if (!MetricLookup.TryGet(c, metric, out var value))
                {
                    html.Add($"<td class=\"num muted\">\u2014</td>");
                }
                else if (selection.Best.TryGetValue(metric, out var best) && MetricValues.SameValue(best, value))
                {
                    html.Add($"<td class=\"num best\" title=\"best {metric}\">{Format.Number(value)}</td>");
                }
                else
                {
                    html.Add($"<td class=\"num{(double.IsFinite(value) ? "" : " nonfinite")}\">{Format.Number(value)}</td>");
                }
            }
            else if (column.StartsWith(HistoryColumns.ParamPrefix, StringComparison.Ordinal))
            {
                var param = column[HistoryColumns.ParamPrefix.Length..];
                if (MetricLookup.TryGetParam(c, param, out var value))
                {
                    var kept = query.Filters.Where(f => f.Key != param).Append(new(param, value.ToString())).OrderBy(f => f.Key, StringComparer.Ordinal).ToList();
                    html.Add($"<td class=\"{(value.IsNumber ? "num " : "")}param\"><a href=\"{(query.FirstPage with { Filters = kept }).Url(repo.Owner, repo.Name)}\">{Format.Param(value)}</a></td>");
                }
                else
                {
                    html.Add($"<td class=\"muted\">\u2014</td>");
                }
            }
            else
            {
                WriteFixedCell(html, column, row, labels[c.Id], repo);
            }
        }

        html.Add($"</tr>");
    }

    private static void WriteFixedCell(HtmlWriter html, string column, Row row, IEnumerable<RefLabel> labels, RepositoryView repo)
    {
        var c = row.Commit;
        switch (column)
        {
            case HistoryColumns.Number:
                html.Add($"<td class=\"num muted\">{row.Number}</td>");
                break;
            case HistoryColumns.Message:
                html.Add($"<td class=\"msg\">");
                Fragments.RefLabels(html, repo, labels);
                var subject = Format.Subject(c.Message, 90);
                if (subject.Length == c.Message.Length)
                {
                    html.Add($"{subject}</td>");
                }
                else
                {
                    html.Add($"<span title=\"{c.Message}\">{subject}</span></td>");
                }

                break;
            case HistoryColumns.Author:
                var author = Fragments.AuthorName(c.Author);
                if (author.Length == c.Author.Length)
                {
                    html.Add($"<td class=\"nowrap\">{author}</td>");
                }
                else
                {
                    html.Add($"<td class=\"nowrap\" title=\"{c.Author}\">{author}</td>");
                }

                break;
            case HistoryColumns.Time:
                html.Add($"<td class=\"nowrap\">{c.Time.UtcDateTime:yyyy-MM-dd HH:mm} UTC</td>");
                break;
            default:
                html.Add($"<td class=\"nowrap\">");
                Fragments.Provenance(html, c.Provenance, full: false);
                html.Add($"</td>");
                break;
        }
    }

    private static string[] Names(IReadOnlyList<Commit> history, Func<Commit, IEnumerable<string>> namesOf)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var c in history)
        {
            names.UnionWith(namesOf(c));
        }

        return [.. names];
    }

    internal static IResult EmptyBranch(WebContext web, RepositoryView repo, RepositoryTab tab)
    {
        var page = new Page(web, repo.Record.FullName) { Repository = repo, Tab = tab };
        page.Body.Add($"<section class=\"card empty\"><h2>No commits yet</h2><p>Push a branch to see its history and metrics here.</p></section>");
        return page.ToResult();
    }

    private static void WritePager(HtmlWriter html, RepositoryView repo, HistoryQuery query, int pages)
    {
        html.Add($"<nav class=\"pager\">");
        if (query.All || pages == 1)
        {
            if (query.All && pages > 1)
            {
                html.Add($"<a href=\"{query.FirstPage.Url(repo.Owner, repo.Name)}\">Show {PageSize} per page</a>");
            }

            html.Add($"</nav>");
            return;
        }

        if (query.Page > 1)
        {
            html.Add($"<a href=\"{(query with { Page = query.Page - 1 }).Url(repo.Owner, repo.Name)}\" rel=\"prev\">← Previous</a>");
        }

        html.Add($"<span class=\"muted\">Page {query.Page} of {pages}</span>");
        if (query.Page < pages)
        {
            html.Add($"<a href=\"{(query with { Page = query.Page + 1 }).Url(repo.Owner, repo.Name)}\" rel=\"next\">Next →</a>");
        }

        html.Add($"<a href=\"{(query with { All = true, Page = 1 }).Url(repo.Owner, repo.Name)}\">Show all</a></nav>");
    }
}
