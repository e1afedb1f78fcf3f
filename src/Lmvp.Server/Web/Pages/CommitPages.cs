using System.Globalization;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;
using Lmvp.Store.Graph;

namespace Lmvp.Server.Web.Pages;

/// <summary>A commit's page (metadata, provenance, metrics, parents, files, storage added) and the comparison of two commits.</summary>
internal static class CommitPages
{
    /// <summary>The most files a commit page lists before it links to the file browser instead.</summary>
    public const int MaxFilesListed = 2000;

    public static void Map(RouteGroupBuilder web)
    {
        var repository = web.MapGroup("/repos/{owner}/{name}").WithRepositoryPage();
        repository.MapGet("/commit/{**revision}", CommitAsync);
        repository.MapGet("/compare", CompareAsync);
    }

    public static async Task<IResult> CommitAsync(RepositoryView repo, string revision)
    {
        var web = repo.Web;
        if (await repo.ResolveCommitAsync(revision) is not { } commit)
        {
            return Page.NotFound(web);
        }

        var files = await TreeWalk.ToDictionaryAsync(repo.Graph, commit.TreeId, web.Aborted);
        var added = await SnapshotDiffer.AddedBytesAsync(repo.Graph, commit, web.Aborted);
        var total = files.Values.Sum(f => f.Size);
        var page = new Page(web, Format.Subject(commit.Message, 60) + " · " + repo.Record.FullName) { Repository = repo, Tab = RepositoryTab.History };
        var html = page.Body;
        var subjectEnd = commit.Message.IndexOf('\n', StringComparison.Ordinal);
        var body = subjectEnd < 0 ? "" : commit.Message[(subjectEnd + 1)..].Trim();
        html.Add($"""
            <section class="card commithead"><div class="row spread"><h2 class="subject" id="commit-message">{(subjectEnd < 0 ? commit.Message : commit.Message[..subjectEnd])}</h2>
            <code class="sha full" title="commit id">{commit.Id.ToString()}</code></div>
            """);
        if ((await repo.RefLabelsAsync())[commit.Id].ToList() is { Count: > 0 } labels)
        {
            html.Add($"<div class=\"reflabels\" id=\"ref-labels\">");
            Fragments.RefLabels(html, repo, labels);
            html.Add($"</div>");
        }

        if (body.Length > 0)
        {
            html.Add($"<pre class=\"message\">{body}</pre>");
        }

        html.Add($"""
            <dl class="facts wide"><dt>Author</dt><dd>{commit.Author}</dd>
            <dt>Time</dt><dd><time>{Format.FullTime(commit.Time)}</time> <span class="muted">({Format.Ago(commit.Time, web.Now)})</span></dd>
            <dt>Training code</dt><dd>
            """);
        Fragments.Provenance(html, commit.Provenance, full: true);
        html.Add($"</dd><dt>Parents</dt><dd>");
        if (commit.Parents.Count == 0)
        {
            html.Add($"<span class=\"muted\">none: the first commit</span>");
        }

        foreach (var parent in commit.Parents)
        {
            html.Add($"""
                <a class="sha" href="{Urls.Commit(repo.Owner, repo.Name, parent)}">{parent.ToShortString()}</a>
                <a class="small" href="{Urls.Compare(repo.Owner, repo.Name, parent, commit.Id)}">compare</a>
                """);
        }

        html.Add($"""
            </dd><dt>Snapshot</dt><dd>{Format.Bytes(total)} in {files.Count.ToString("N0", CultureInfo.InvariantCulture)} file{(files.Count == 1 ? "" : "s")} · <a href="{Urls.Tree(repo.Owner, repo.Name, commit.Id, "")}">browse</a></dd>
            <dt>Storage added</dt><dd id="storage-added" data-bytes="{added}"><strong>{Format.Bytes(added)}</strong> <span class="muted">of new chunks (data no parent's files hold{(total > 0 ? string.Create(CultureInfo.InvariantCulture, $"; {100.0 * added / total:0.#}% of the snapshot") : "")})</span></dd>
            </dl></section>
            """);

        if (commit.Metrics.Count > 0)
        {
            html.Add($"<section class=\"card\"><h3>Metrics</h3><table class=\"grid compact metrics\"><tbody>");
            foreach (var m in commit.Metrics)
            {
                html.Add($"<tr><th>{m.Key}</th><td class=\"num\">{Format.FullNumber(m.Value)}</td></tr>");
            }

            html.Add($"</tbody></table></section>");
        }

        if (commit.Params.Count > 0)
        {
            html.Add($"<section class=\"card\" id=\"params\"><h3>Params</h3><table class=\"grid compact params\"><tbody>");
            foreach (var (name, value) in commit.Params)
            {
                html.Add($"<tr><th>{name}</th><td class=\"{(value.IsNumber ? "num" : "")}\">{value.ToString()}</td></tr>");
            }

            html.Add($"</tbody></table></section>");
        }

        html.Add($"<section class=\"card flush\"><div class=\"cardhead\"><h3>Files</h3></div><table class=\"grid files\"><thead><tr><th>Path</th><th class=\"num\">Size</th><th></th></tr></thead><tbody>");
        foreach (var (path, entry) in files.OrderBy(f => f.Key, StringComparer.Ordinal).Take(MaxFilesListed))
        {
            html.Add($"""
                <tr><td class="name">{Fragments.EntryIcon(entry.Kind)}<a href="{Urls.Tree(repo.Owner, repo.Name, commit.Id, path)}">{path}</a></td>
                <td class="num">{Format.Bytes(entry.Size)}</td>
                <td class="actions">{(entry.Kind == TreeEntryKind.File ? Download(repo, commit.Id, path) : Markup.Empty)}</td></tr>
                """);
        }

        if (files.Count > MaxFilesListed)
        {
            html.Add($"<tr><td colspan=\"3\" class=\"muted\">… and {(files.Count - MaxFilesListed).ToString("N0", CultureInfo.InvariantCulture)} more: <a href=\"{Urls.Tree(repo.Owner, repo.Name, commit.Id, "")}\">browse all files</a>.</td></tr>");
        }

        html.Add($"</tbody></table></section>");
        return page.ToResult();
    }

    public static async Task<IResult> CompareAsync(RepositoryView repo, string? from, string? to, string? branch)
    {
        var web = repo.Web;

        var fromCommit = await repo.ResolveCommitAsync(from);
        var toCommit = await repo.ResolveCommitAsync(to);
        if (fromCommit is null || toCommit is null)
        {
            return await ComparePickerAsync(web, repo, branch, from, to, fromCommit is null, toCommit is null);
        }

        var files = await SnapshotDiffer.CompareTreesAsync(repo.Graph, fromCommit.TreeId, toCommit.TreeId, web.Aborted);
        var metrics = SnapshotDiffer.CompareMetrics(fromCommit, toCommit);
        var directions = await repo.MetricDirectionsAsync();
        var page = new Page(web, "Compare · " + repo.Record.FullName) { Repository = repo, Tab = RepositoryTab.Compare, Wide = true };
        var html = page.Body;
        await CompareFormAsync(html, repo, branch, from!, to!, compact: true);
        html.Add($"<div class=\"compare sides\">");
        Side(html, repo, fromCommit, "A · " + Short(from!), web.Now);
        html.Add($"<a class=\"arrow\" href=\"{Urls.Compare(repo.Owner, repo.Name, to!, from!)}\" title=\"swap A and B\" id=\"swap\">⇄</a>");
        Side(html, repo, toCommit, "B · " + Short(to!), web.Now);
        html.Add($"</div>");

        html.Add($"<section class=\"card flush\"><div class=\"cardhead\"><h3>Metrics</h3></div>");
        if (metrics.Count == 0)
        {
            html.Add($"<p class=\"pad muted\">Neither commit has metrics.</p>");
        }
        else
        {
            html.Add($"<table class=\"grid metrics\" id=\"metric-deltas\"><thead><tr><th>Metric</th><th class=\"num\">A</th><th class=\"num\">B</th><th class=\"num\">B − A</th><th class=\"num\">Change</th><th>Better is</th></tr></thead><tbody>");
            foreach (var m in metrics)
            {
                var higher = directions.HigherIsBetter(m.Name);
                html.Add($"<tr data-metric=\"{m.Name}\"><th>{m.Name}</th><td class=\"num\">{Value(m.Old)}</td><td class=\"num\">{Value(m.New)}</td>");
                if (m.Delta is { } d)
                {
                    // Better or worse by the metric's direction; a NaN or infinity on either side is neither (it is shown as it is).
                    var verdict = !double.IsFinite(d) || d == 0 || !directions.HasDirection(m.Name) ? "same" : (d > 0) == higher ? "better" : "worse";
                    var relative = m.Old is { } o && o != 0 && double.IsFinite(d) ? string.Create(CultureInfo.InvariantCulture, $"{(d / Math.Abs(o)) * 100:+0.#;\u22120.#;0}%") : "";
                    html.Add($"<td class=\"num delta {verdict}\" title=\"{(verdict == "same" ? "neither better nor worse" : verdict)}\">{Format.Delta(d)}</td><td class=\"num delta {verdict}\">{relative}</td>");
                }
                else
                {
                    html.Add($"<td class=\"num muted\">{(m.Old is null ? "new" : "gone")}</td><td></td>");
                }

                html.Add($"<td class=\"muted small\">{(!directions.HasDirection(m.Name) ? "a counter" : higher ? "higher" : "lower")}</td></tr>");
            }

            html.Add($"</tbody></table>");
        }

        html.Add($"</section>");

        var addedCount = files.Count(f => f.Old is null);
        var removedCount = files.Count(f => f.New is null);
        var changedCount = files.Count - addedCount - removedCount;
        html.Add($"""
            <section class="card flush"><div class="cardhead row spread"><h3>Files</h3>
            <span class="muted small summary"><span class="added">{addedCount} added</span> · <span class="removed">{removedCount} removed</span> · <span class="changed">{changedCount} changed</span> · {Format.Bytes(files.Sum(f => f.New is null ? 0 : f.BytesDiffering))} of chunks differ</span></div>
            """);
        if (files.Count == 0)
        {
            html.Add($"<p class=\"pad muted\">The two snapshots hold the same files.</p>");
        }
        else
        {
            html.Add($"<table class=\"grid files\" id=\"file-changes\"><thead><tr><th>Change</th><th>Path</th><th class=\"num\">Size in A</th><th class=\"num\">Size in B</th><th class=\"num\">Size change</th><th class=\"num\">Bytes differing</th></tr></thead><tbody>");
            foreach (var f in files)
            {
                var (kind, label) = f.Old is null ? ("added", "added") : f.New is null ? ("removed", "removed") : ("changed", "changed");
                var path = f.New is not null
                    ? Link(Urls.Tree(repo.Owner, repo.Name, toCommit.Id, f.Path), f.Path)
                    : Link(Urls.Tree(repo.Owner, repo.Name, fromCommit.Id, f.Path), f.Path);
                html.Add($"""
                    <tr class="{kind}" data-path="{f.Path}"><td><span class="badge {kind}">{label}</span></td><td class="name">{path}</td>
                    <td class="num">{(f.Old is { } o ? Format.Bytes(o.Size) : "\u2014")}</td><td class="num">{(f.New is { } n ? Format.Bytes(n.Size) : "\u2014")}</td>
                    <td class="num">{Format.BytesDelta(f.SizeDelta)}</td>
                    <td class="num" title="{f.BytesDiffering.ToString("N0", CultureInfo.InvariantCulture)} bytes">{(f.New is null ? "\u2014" : Format.Bytes(f.BytesDiffering))}</td></tr>
                    """);
            }

            html.Add($"</tbody></table>");
        }

        html.Add($"</section>");
        await TensorSections.CompareAsync(html, repo, files);
        return page.ToResult();
    }

    private static async Task<IResult> ComparePickerAsync(WebContext web, RepositoryView repo, string? branch, string? from, string? to, bool fromMissing,
        bool toMissing)
    {
        var page = new Page(web, "Compare · " + repo.Record.FullName) { Repository = repo, Tab = RepositoryTab.Compare };
        var html = page.Body;
        var status = string.IsNullOrEmpty(from) && string.IsNullOrEmpty(to) ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest;
        if (status != StatusCodes.Status200OK)
        {
            var bad = string.Join(" and ", new[] { (from, fromMissing), (to, toMissing) }.Where(r => r.Item2 && !string.IsNullOrEmpty(r.Item1)).Select(r => "“" + r.Item1 + "”"));
            html.Add($"<p class=\"error\" role=\"alert\">{(bad.Length > 0 ? "No commit, branch or tag named " + bad + " here. " : "")}Pick two revisions of this repository: a branch, a tag or a commit id for each.</p>");
        }

        if (await repo.ResolveRunAsync(branch) is null && await repo.ResolveRunAsync(null) is null)
        {
            html.Add($"<section class=\"card\"><h2>Compare two commits</h2><p class=\"muted\">This repository has no commits yet.</p></section>");
            return page.ToResult(status);
        }

        await CompareFormAsync(html, repo, branch, from, to, compact: false);
        return page.ToResult(status);
    }

    /// <summary>Two revision boxes (A and B) that take any branch, tag or commit id, with the branches, tags and the recent commits
    /// of one branch (chosen with the switcher) offered as suggestions.</summary>
    private static async Task CompareFormAsync(HtmlWriter html, RepositoryView repo, string? branch, string? from, string? to, bool compact)
    {
        var run = (await repo.ResolveRunAsync(branch) ?? await repo.ResolveRunAsync(null))!;
        var history = (await repo.HistoryAsync(run.Head)).Take(500).ToList();
        from = string.IsNullOrEmpty(from) ? (history.Count > 1 ? history[1] : history[0]).Id.ToShortString() : from;
        to = string.IsNullOrEmpty(to) ? history[0].Id.ToShortString() : to;
        html.Add($"<section class=\"card compareform{(compact ? " compact" : "")}\">");
        if (!compact)
        {
            html.Add($"<h2>Compare two commits</h2><p class=\"muted\">Type or pick a branch, a tag or a commit id for each side, or tick A and B in the <a href=\"{Urls.History(repo.Owner, repo.Name, run.Name)}\">history</a>.</p>");
        }

        html.Add($"<div class=\"row gap wrap\"><span class=\"muted small\">Suggestions from</span>");
        await Fragments.RevisionSwitcherAsync(html, repo, run, b => Urls.CompareForm(repo.Owner, repo.Name) + Urls.Query(("branch", b), ("from", compact ? from : null), ("to", compact ? to : null)));
        html.Add($"""
            </div><form method="get" action="{Urls.CompareForm(repo.Owner, repo.Name)}" class="row gap wrap" id="compare-form"><input type="hidden" name="branch" value="{run.Name}">
            <label>A (from) <input name="from" id="from" list="revisions" value="{from}" required autocomplete="off"></label>
            <label>B (to) <input name="to" id="to" list="revisions" value="{to}" required autocomplete="off"></label>
            <button type="submit" class="primary" id="compare">Compare</button></form><datalist id="revisions">
            """);
        foreach (var b in await repo.BranchesAsync())
        {
            html.Add($"<option value=\"{b.Key}\">branch</option>");
        }

        foreach (var t in await repo.TagsAsync())
        {
            html.Add($"<option value=\"{t.Key}\">tag</option>");
        }

        foreach (var c in history)
        {
            html.Add($"<option value=\"{c.Id.ToShortString()}\">{Format.Subject(c.Message, 60)}</option>");
        }

        html.Add($"</datalist></section>");
    }

    private static void Side(HtmlWriter html, RepositoryView repo, Commit commit, string label, DateTimeOffset now)
    {
        html.Add($"<div class=\"side\">");
        Fragments.CommitCard(html, repo, commit, label, now);
        html.Add($"</div>");
    }

    private static string Short(string revision) => revision.Length > 24 ? revision[..12] + "\u2026" : revision;

    private static string Value(double? value) => value is { } v ? Format.Number(v) : "\u2014";

    private static Markup Link(string href, string text)
    {
        var html = new HtmlWriter(128);
        html.Add($"<a href=\"{href}\">{text}</a>");
        return html.ToMarkup();
    }

    private static Markup Download(RepositoryView repo, ObjectId commit, string path)
    {
        var html = new HtmlWriter(160);
        html.Add($"<a class=\"dl\" href=\"{Urls.Raw(repo.Owner, repo.Name, commit, path)}\" download>Download</a>");
        return html.ToMarkup();
    }
}
