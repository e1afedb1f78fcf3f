using System.Globalization;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;

namespace Lmvp.Server.Web.Pages;

/// <summary>Charts for comparing runs: several metrics on one chart or one chart each, the same metric along several branches,
/// tags or commits, x by commit, by a step-like metric or by time, linear or log, with optional EMA smoothing.</summary>
/// <remarks>Everything is drawn on the server (<see cref="MetricChart"/>) from a GET form, so every view is a URL and works with
/// scripts off; the page script only adds the values of every series under the pointer and applies the form on change.</remarks>
internal static class MetricsPages
{
    /// <summary>Names that read as a training step, offered first for the x-axis.</summary>
    private static readonly string[] StepWords = ["step", "epoch", "iter", "batch", "sample", "token"];

    public static void Map(RouteGroupBuilder web) =>
        web.MapGroup("/repos/{owner}/{name}").WithRepositoryPage().MapGet("/metrics", MetricsAsync);

    /// <summary>One run on the page: what it is and its history, oldest first.</summary>
    private sealed record Run(RunView View, IReadOnlyList<Commit> OldestFirst);

    public static async Task<IResult> MetricsAsync(RepositoryView repo)
    {
        var web = repo.Web;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var query = MetricsQuery.From(web.Http.Request);
        var runs = new List<Run>();
        var missing = new List<string>();
        foreach (var name in query.Runs.Count == 0 ? [""] : query.Runs)
        {
            if (await repo.ResolveRunAsync(name) is { } view)
            {
                if (runs.All(r => r.View.Name != view.Name))
                {
                    var history = await repo.HistoryAsync(view.Head);
                    runs.Add(new Run(view, [.. history.Reverse()]));
                }
            }
            else if (name.Length > 0)
            {
                missing.Add(name);
            }
        }

        if (runs.Count == 0)
        {
            return query.Runs.Count == 0 ? HistoryPages.EmptyBranch(web, repo, RepositoryTab.Metrics) : Page.NotFound(web);
        }

        query = query with { Runs = [.. runs.Select(r => r.View.Name)] };
        var names = runs.SelectMany(r => r.OldestFirst).SelectMany(c => c.Metrics.Select(m => m.Key)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (query.X.Kind == XAxisKind.Metric && !names.Contains(query.X.Metric!, StringComparer.Ordinal))
        {
            query = query with { X = ChartAxis.ByCommit };
        }

        var metrics = query.Metrics?.Where(m => names.Contains(m, StringComparer.Ordinal)).ToList() is { Count: > 0 } picked ? picked : names;
        var directions = await repo.MetricDirectionsAsync();
        var walked = watch.Elapsed.TotalMilliseconds;

        var first = runs[0].View;
        var page = new Page(web, "Metrics · " + repo.Record.FullName) { Repository = repo, Tab = RepositoryTab.Metrics, Branch = first.Name };
        var html = page.Body;
        html.Add($"<div class=\"row spread toolbar\"><div class=\"titlebar\"><h2 class=\"inline\">Metrics of</h2>");
        await Fragments.RevisionSwitcherAsync(html, repo, first, b => (query with { Runs = [b, .. query.Runs.Skip(1).Where(r => r != b)] }).Url(repo.Owner, repo.Name));
        html.Add($"""
            <span class="muted">{runs[0].OldestFirst.Count.ToString("N0", CultureInfo.InvariantCulture)} commits{(runs.Count > 1 ? $", with {string.Join(", ", runs.Skip(1).Select(r => r.View.Name))}" : "")}. Click a point to open its commit.</span></div>
            <a class="button" href="{Urls.History(repo.Owner, repo.Name, first.Name)}">Table</a></div>
            """);
        foreach (var m in missing)
        {
            html.Add($"<p class=\"error\" role=\"alert\">No branch, tag or commit named “{m}” here.</p>");
        }

        if (names.Count == 0)
        {
            html.Add($"<section class=\"card empty\"><p>No commit here has metrics yet. Record them with <code>lmvp commit -m \"epoch 3\" --metric loss=0.41</code>.</p></section>");
            return page.ToResult();
        }

        await WriteControlsAsync(html, repo, query, runs, names, metrics);
        var charts = new List<(string Title, string? Metric, List<(string Metric, Run Run)> Lines)>();
        if (query.Overlay)
        {
            charts.Add((string.Join(", ", metrics), null, [.. metrics.SelectMany(m => runs.Select(r => (m, r)))]));
        }
        else
        {
            charts.AddRange(metrics.Select(m => (m, (string?)m, runs.Select(r => (m, r)).ToList())));
        }

        if (!query.Overlay && metrics.Count > 1)
        {
            html.Add($"<nav class=\"pills metricnav\">");
            foreach (var metric in metrics)
            {
                html.Add($"<a href=\"#{Anchor(metric)}\">{metric}</a>");
            }

            html.Add($"</nav>");
        }

        foreach (var (title, metric, lines) in charts)
        {
            var series = lines.Select((l, i) => ChartSeries.From(Label(l.Metric, l.Run.View.Name, metrics.Count > 1 && query.Overlay, runs.Count > 1), l.Metric,
                l.Run.View.Name, query.Overlay ? i : runs.IndexOf(l.Run), l.Run.OldestFirst, query.X)).ToList();
            WriteChart(html, repo, title, metric, series, query, directions);
        }

        web.Http.Response.Headers["Server-Timing"] = string.Create(CultureInfo.InvariantCulture,
            $"walk;dur={walked:0.0};desc=\"{runs.Sum(r => r.OldestFirst.Count)} commits\", render;dur={watch.Elapsed.TotalMilliseconds - walked:0.0}");
        return page.ToResult();
    }

    private static string Label(string metric, string run, bool severalMetrics, bool severalRuns) =>
        severalMetrics && severalRuns ? metric + " · " + run : severalRuns ? run : metric;

    private static void WriteChart(HtmlWriter html, RepositoryView repo, string title, string? metric, IReadOnlyList<ChartSeries> series, MetricsQuery query,
        MetricDirections directions)
    {
        html.Add($"""
            <section class="card chartcard" id="{(metric is null ? "overlay" : Anchor(metric))}" data-metric="{metric ?? title}"><div class="cardhead row spread"><h3>{title}</h3>
            <div class="stats">{(metric is null ? Markup.Empty : SortLink(repo, query.Runs[0], metric))}</div></div><ul class="legend">
            """);
        foreach (var s in series)
        {
            WriteLegendItem(html, s, directions);
        }

        html.Add($"</ul><div class=\"plot\">");
        var summary = MetricChart.Render(html, title, series, query.Options, c => "commit/" + c.Id.ToShortString(),
            m => directions.HasDirection(m) ? directions.HigherIsBetter(m) : null);
        html.Add($"</div>");
        var notes = new List<string>();
        if (summary.Drawn < summary.Points - summary.NotPositive && summary.Drawn > 0)
        {
            notes.Add($"{summary.Points.ToString("N0", CultureInfo.InvariantCulture)} points; {summary.Drawn.ToString("N0", CultureInfo.InvariantCulture)} drawn (the lowest and highest of each {MetricChart.ColumnWidth}-pixel column, so every extreme shows)");
        }

        if (summary.NotPositive > 0)
        {
            notes.Add($"{summary.NotPositive.ToString("N0", CultureInfo.InvariantCulture)} values at or below zero cannot be placed on a log scale");
        }

        if (query.Smoothing > 0)
        {
            notes.Add($"smoothed: exponential moving average, weight {query.Smoothing.ToString("0.###", CultureInfo.InvariantCulture)}; raw values faint");
        }

        if (notes.Count > 0)
        {
            html.Add($"<p class=\"muted small chartnote\">{string.Join("; ", notes)}.</p>");
        }

        html.Add($"</section>");
    }

    /// <summary>A legend entry: the colour, the label, the latest value and the best one (linked to its commit).</summary>
    private static void WriteLegendItem(HtmlWriter html, ChartSeries s, MetricDirections directions)
    {
        html.Add($"<li class=\"s{s.Color}\" data-series=\"{s.Label}\"><span class=\"swatch\" aria-hidden=\"true\"></span><span class=\"name\">{s.Label}</span>");
        if (s.Points.Count > 0)
        {
            var latest = s.Points.MaxBy(p => p.Number);
            var higher = directions.HigherIsBetter(s.Metric);
            var best = s.Points.Where(p => double.IsFinite(p.Value)).OrderBy(p => p.Value, Comparer<double>.Create((a, b) => MetricValues.CompareBestFirst(a, b, higher)))
                .ThenBy(p => p.Number).FirstOrDefault();
            html.Add($"<span class=\"val\">latest <strong>{Format.Number(latest.Value)}</strong></span>");
            if (best.Commit is not null && directions.HasDirection(s.Metric))
            {
                html.Add($"<span class=\"val\">best <a class=\"best\" href=\"commit/{best.Commit.Id.ToShortString()}\"><strong>{Format.Number(best.Value)}</strong> at #{best.Number}</a> <span class=\"muted\">({(higher ? "highest" : "lowest")})</span></span>");
            }
        }
        else
        {
            html.Add($"<span class=\"val muted\">no values</span>");
        }

        html.Add($"</li>");
    }

    private static Markup SortLink(RepositoryView repo, string run, string metric)
    {
        var html = new HtmlWriter(160);
        html.Add($"<a href=\"{new HistoryQuery(run) { Sort = metric }.Url(repo.Owner, repo.Name)}\">sort table</a>");
        return html.ToMarkup();
    }

    /// <summary>The GET form that chooses the view: runs, metrics, overlay, x-axis, scale and smoothing.</summary>
    private static async Task WriteControlsAsync(HtmlWriter html, RepositoryView repo, MetricsQuery query, IReadOnlyList<Run> runs, IReadOnlyList<string> names,
        IReadOnlyList<string> metrics)
    {
        html.Add($"""
            <form method="get" action="{Urls.Repository(repo.Owner, repo.Name)}/metrics" class="card controls" id="chart-controls">
            <fieldset class="runs"><legend>Runs</legend><div class="choices">
            """);
        var chosen = query.Runs.ToHashSet(StringComparer.Ordinal);
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, kind) in (await repo.BranchesAsync()).Select(b => (b.Key, "branch")).Concat((await repo.TagsAsync()).Select(t => (t.Key, "tag"))))
        {
            listed.Add(name);
            html.Add($"<label class=\"check {kind}\"><input type=\"checkbox\" name=\"branch\" value=\"{name}\"{(chosen.Contains(name) ? new Markup(" checked") : Markup.Empty)}> {name}</label>");
        }

        foreach (var run in runs.Where(r => !listed.Contains(r.View.Name)))
        {
            html.Add($"<label class=\"check commit\"><input type=\"checkbox\" name=\"branch\" value=\"{run.View.Name}\" checked> {run.View.Name}</label>");
        }

        html.Add($"""
            <input name="branch" class="other" placeholder="another revision" aria-label="another branch, tag or commit"></div></fieldset>
            <fieldset class="metrics"><legend>Metrics</legend><div class="choices">
            """);
        foreach (var name in names)
        {
            html.Add($"<label class=\"check\"><input type=\"checkbox\" name=\"metric\" value=\"{name}\"{(metrics.Contains(name, StringComparer.Ordinal) ? new Markup(" checked") : Markup.Empty)}> {name}</label>");
        }

        html.Add($"""
            </div><label class="check overlay"><input type="checkbox" name="overlay" value="1" id="overlay"{(query.Overlay ? new Markup(" checked") : Markup.Empty)}> All on one chart</label></fieldset>
            <fieldset class="axes"><legend>Axes</legend><label>X axis <select name="x" id="x-axis">
            <option value="commit"{Selected(query.X.Kind == XAxisKind.Commit)}>commit number</option><option value="time"{Selected(query.X.Kind == XAxisKind.Time)}>time</option>
            """);
        var steps = names.Where(n => StepWords.Any(w => n.Contains(w, StringComparison.OrdinalIgnoreCase))).ToList();
        foreach (var group in new[] { ("step-like metrics", steps), ("other metrics", names.Except(steps).ToList()) })
        {
            if (group.Item2.Count == 0)
            {
                continue;
            }

            html.Add($"<optgroup label=\"{group.Item1}\">");
            foreach (var n in group.Item2)
            {
                html.Add($"<option value=\"{ChartAxis.MetricPrefix + n}\"{Selected(query.X.Kind == XAxisKind.Metric && query.X.Metric == n)}>{n}</option>");
            }

            html.Add($"</optgroup>");
        }

        html.Add($"""
            </select></label>
            <label>Y scale <select name="scale" id="y-scale"><option value="linear"{Selected(!query.LogScale)}>linear</option><option value="log"{Selected(query.LogScale)}>log</option></select></label>
            <label>Smoothing <input type="number" name="smooth" id="smoothing" min="0" max="{ChartOptions.MaxSmoothing.ToString(CultureInfo.InvariantCulture)}" step="0.05" value="{query.Smoothing.ToString("0.###", CultureInfo.InvariantCulture)}" title="EMA weight: 0 is off, 0.9 is smooth"></label></fieldset>
            <div class="apply"><button type="submit" class="primary" id="apply-chart">Apply</button><a href="{Urls.Metrics(repo.Owner, repo.Name, query.Runs[0])}">Reset</a></div></form>
            """);
    }

    private static Markup Selected(bool selected) => selected ? new Markup(" selected") : Markup.Empty;

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
}
