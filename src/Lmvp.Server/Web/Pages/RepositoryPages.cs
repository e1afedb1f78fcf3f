using Lmvp.Server.Auth;
using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;

namespace Lmvp.Server.Web.Pages;

/// <summary>A repository's front page (branches, tags, latest commit, files, model card) at any branch, tag or commit, and
/// browsing its directories and files at any revision.</summary>
internal static class RepositoryPages
{
    /// <summary>The most entries a directory listing shows.</summary>
    public const int MaxEntriesListed = 1000;

    public static void Map(RouteGroupBuilder web)
    {
        RepositoryListPage.Map(web);
        var repository = web.MapGroup("/repos/{owner}/{name}").WithRepositoryPage();
        repository.MapGet("", RepositoryAsync);
        repository.MapGet("/tree/{**revisionAndPath}", TreeAsync);

        // A repository's clone URL (http://server/owner/name) opened in a browser lands on its page.
        web.MapGet("/{owner}/{name}", (string owner, string name) => Results.Redirect(Urls.Repository(owner, name))).WithOrder(1000);
    }

    public static async Task<IResult> RepositoryAsync(RepositoryView repo, string? branch)
    {
        var web = repo.Web;

        var resolved = await repo.ResolveRunAsync(branch);
        if (resolved is null && !string.IsNullOrEmpty(branch))
        {
            return Page.NotFound(web);
        }

        var page = new Page(web, repo.Record.FullName) { Repository = repo, Tab = RepositoryTab.Files, Branch = resolved?.Name };
        if (resolved is not { } current)
        {
            page.Body.Add($"""
                <section class="card empty"><h2>This repository is empty</h2>
                <p>Push a training directory to it with the LMVP command line:</p>
                <pre>lmvp remote add origin {web.BaseUrl}/{repo.Owner}/{repo.Name}
                lmvp push origin main</pre></section>
                """);
            return page.ToResult();
        }

        var commit = await repo.GetCommitAsync(current.Head);
        var tree = await repo.GetTreeAsync(commit.TreeId);
        var history = await repo.HistoryAsync(commit.Id);
        var size = await repo.TreeSizeAsync(commit.TreeId);

        await RefBar(page.Body, repo, current);
        page.Body.Add($"<div class=\"columns\"><div class=\"maincol\">");
        Fragments.CommitCard(page.Body, repo, commit, current.Kind == RunKind.Branch ? "Latest commit" : current.KindName + " " + current.Name, web.Now);
        page.Body.Add($"""
            <section class="card flush"><div class="cardhead row spread"><h2>Files</h2>
            <span class="muted small">{Format.Bytes(size)} in this snapshot · <a href="{Urls.History(repo.Owner, repo.Name, current.Name)}">{history.Count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} commit{(history.Count == 1 ? "" : "s")}</a></span></div>
            """);
        FileTable(page.Body, repo, current.Name, "", tree);
        page.Body.Add($"</section>");

        var readme = tree.Entries.FirstOrDefault(e => e.Kind == TreeEntryKind.File && e.Name.Equals("README.md", StringComparison.OrdinalIgnoreCase));
        if (readme is not null)
        {
            await ModelCardSection(page.Body, repo, commit.Id, readme);
        }

        page.Body.Add($"</div><aside class=\"sidecol\">");
        await SidePanel(page.Body, repo, commit, current.Name);
        page.Body.Add($"</aside></div>");
        return page.ToResult();
    }

    public static async Task<IResult> TreeAsync(RepositoryView repo, string? revisionAndPath)
    {
        var web = repo.Web;
        var resolved = await repo.ResolveWithPathAsync(revisionAndPath);
        if (resolved.Commit is not { } c)
        {
            return Page.NotFound(web);
        }

        // Links keep the revision as it was typed (a branch stays a branch), so the URLs a person copies have names in them.
        var path = resolved.Path;
        var rev = resolved.Revision;
        var entry = await repo.FindEntryAsync(c.TreeId, path);
        if (entry is null)
        {
            return Page.NotFound(web);
        }

        var page = new Page(web, (path.Length == 0 ? "/" : path) + " · " + repo.Record.FullName) { Repository = repo, Tab = RepositoryTab.Files };
        page.Body.Add($"<nav class=\"crumbs\"><a href=\"{Urls.Tree(repo.Owner, repo.Name, rev, "")}\">{repo.Name}</a>");
        var parts = path.Length == 0 ? [] : path.Split('/');
        for (var i = 0; i < parts.Length; i++)
        {
            var sub = string.Join('/', parts[..(i + 1)]);
            page.Body.Add($"<span class=\"sep\">/</span>");
            page.Body.Add(i == parts.Length - 1 ? Crumb(parts[i]) : LinkCrumb(Urls.Tree(repo.Owner, repo.Name, rev, sub), parts[i]));
        }

        page.Body.Add($"""
            <span class="at">at {(rev == c.Id.ToString() || c.Id.StartsWith(rev) ? Markup.Empty : Crumb(rev))} <a class="sha" href="{Urls.Commit(repo.Owner, repo.Name, c.Id)}">{c.Id.ToShortString()}</a></span></nav>
            """);
        if (entry.Kind == TreeEntryKind.Directory)
        {
            page.Body.Add($"<section class=\"card flush\">");
            FileTable(page.Body, repo, rev, path, await repo.GetTreeAsync(entry.Id));
            page.Body.Add($"</section>");
        }
        else
        {
            page.Body.Add($"""
                <section class="card"><h2>{parts[^1]}</h2>
                <dl class="facts"><dt>Size</dt><dd>{Format.Bytes(entry.Size)} <span class="muted">({entry.Size.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} bytes)</span></dd>
                <dt>{(entry.Kind == TreeEntryKind.Symlink ? "Link target" : "File id (BLAKE3)")}</dt><dd><code>{(entry.Kind == TreeEntryKind.Symlink ? entry.LinkTarget : entry.Id.ToString())}</code></dd></dl>
                """);
            if (entry.Kind == TreeEntryKind.File)
            {
                var manifest = await repo.GetManifestAsync(entry.Id);
                page.Body.Add($"""
                    <p class="muted small">{manifest.Chunks.Count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} chunk{(manifest.Chunks.Count == 1 ? "" : "s")}; downloads are verified chunk by chunk and resumable.</p>
                    <p><a class="button primary" href="{Urls.Raw(repo.Owner, repo.Name, rev, path)}" download>Download</a></p>
                    """);
                FilePreview.DownloadSnippets(page.Body, repo, rev, path);
            }

            page.Body.Add($"</section>");
            if (entry.Kind == TreeEntryKind.File)
            {
                await TensorSections.FileAsync(page.Body, repo, path, entry);
                await FilePreview.WriteAsync(page.Body, repo, rev, entry, path);
            }
        }

        return page.ToResult();
    }

    /// <summary>A directory listing: folders first, then files, each with its size and a link.</summary>
    public static void FileTable(HtmlWriter html, RepositoryView repo, string commit, string directory, Tree tree)
    {
        var prefix = directory.Length == 0 ? "" : directory + "/";
        html.Add($"<table class=\"grid files\"><tbody>");
        if (directory.Length > 0)
        {
            var up = directory.Contains('/', StringComparison.Ordinal) ? directory[..directory.LastIndexOf('/')] : "";
            html.Add($"<tr><td colspan=\"3\"><a href=\"{Urls.Tree(repo.Owner, repo.Name, commit, up)}\">..</a></td></tr>");
        }

        if (tree.Entries.Count == 0)
        {
            html.Add($"<tr><td class=\"muted\" colspan=\"3\">No files.</td></tr>");
        }

        foreach (var e in tree.Entries.OrderBy(e => e.Kind == TreeEntryKind.Directory ? 0 : 1).ThenBy(e => e.Name, StringComparer.Ordinal).Take(MaxEntriesListed))
        {
            var path = prefix + e.Name;
            var href = e.Kind == TreeEntryKind.File ? Urls.Raw(repo.Owner, repo.Name, commit, path) : Urls.Tree(repo.Owner, repo.Name, commit, path);
            var info = Urls.Tree(repo.Owner, repo.Name, commit, path);
            html.Add($"<tr><td class=\"name\">{Fragments.EntryIcon(e.Kind)}<a href=\"{info}\">{e.Name}</a></td>");
            html.Add($"<td class=\"num muted\">{(e.Kind == TreeEntryKind.Directory ? "" : Format.Bytes(e.Size))}</td>");
            html.Add($"<td class=\"actions\">{(e.Kind == TreeEntryKind.File ? DownloadLink(href, e.Name) : Markup.Empty)}</td></tr>");
        }

        if (tree.Entries.Count > MaxEntriesListed)
        {
            html.Add($"<tr><td class=\"muted\" colspan=\"3\">… and {(tree.Entries.Count - MaxEntriesListed).ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} more entries not listed.</td></tr>");
        }

        html.Add($"</tbody></table>");
    }

    private static Markup DownloadLink(string href, string fileName)
    {
        var html = new HtmlWriter(160);
        html.Add($"<a class=\"dl\" href=\"{href}\" download title=\"Download {fileName}\">Download</a>");
        return html.ToMarkup();
    }

    private static Markup Crumb(string text)
    {
        var html = new HtmlWriter(64);
        html.Add($"<strong>{text}</strong>");
        return html.ToMarkup();
    }

    private static Markup LinkCrumb(string href, string text)
    {
        var html = new HtmlWriter(96);
        html.Add($"<a href=\"{href}\">{text}</a>");
        return html.ToMarkup();
    }

    private static async Task RefBar(HtmlWriter html, RepositoryView repo, RunView current)
    {
        html.Add($"<div class=\"refbar\"><span class=\"label\">Branch</span><nav class=\"pills\">");
        foreach (var b in await repo.BranchesAsync())
        {
            html.Add($"<a href=\"{Urls.Repository(repo.Owner, repo.Name, b.Key)}\"{(current.Kind == RunKind.Branch && b.Key == current.Name ? new Markup(" class=\"active\"") : Markup.Empty)}>{b.Key}</a>");
        }

        html.Add($"</nav>");
        if (await repo.TagsAsync() is { Count: > 0 } tags)
        {
            html.Add($"<span class=\"label\">Tags</span><nav class=\"pills tags\">");
            foreach (var t in tags)
            {
                html.Add($"<a class=\"tag{(current.Kind == RunKind.Tag && t.Key == current.Name ? " active" : "")}\" href=\"{Urls.Repository(repo.Owner, repo.Name, t.Key)}\">{t.Key}</a>");
            }

            html.Add($"</nav>");
        }

        if (current.Kind == RunKind.Commit)
        {
            html.Add($"<span class=\"label\">At</span><code>{current.Name}</code>");
        }

        html.Add($"</div>");
    }

    private static async Task SidePanel(HtmlWriter html, RepositoryView repo, Commit head, string branch)
    {
        var tags = await repo.TagsAsync();
        var branches = await repo.BranchesAsync();
        html.Add($"""
            <section class="card side"><h3>Clone</h3>{CloneBox(repo)}
            <h3>Branches <span class="count">{branches.Count}</span></h3><ul class="reflist">
            """);
        foreach (var b in branches)
        {
            html.Add($"<li><a href=\"{Urls.Repository(repo.Owner, repo.Name, b.Key)}\">{b.Key}</a> <a class=\"sha\" href=\"{Urls.Commit(repo.Owner, repo.Name, b.Value)}\">{b.Value.ToShortString()}</a></li>");
        }

        html.Add($"</ul><h3>Tags <span class=\"count\">{tags.Count}</span></h3><ul class=\"reflist\">");
        if (tags.Count == 0)
        {
            html.Add($"<li class=\"muted\">No tags yet.</li>");
        }

        foreach (var t in tags)
        {
            html.Add($"<li><a class=\"tag\" href=\"{Urls.Repository(repo.Owner, repo.Name, t.Key)}\">{t.Key}</a> <a class=\"sha\" href=\"{Urls.Commit(repo.Owner, repo.Name, t.Key)}\">{t.Value.ToShortString()}</a></li>");
        }

        html.Add($"""
            </ul><h3>Explore</h3><ul class="reflist">
            <li><a href="{Urls.History(repo.Owner, repo.Name, branch)}">History of {branch}</a></li>
            <li><a href="{Urls.Metrics(repo.Owner, repo.Name, branch)}">Metric charts</a></li>
            <li><a href="{Urls.Commit(repo.Owner, repo.Name, head.Id)}">Latest commit's storage</a></li></ul></section>
            """);
    }

    private static Markup CloneBox(RepositoryView repo)
    {
        var html = new HtmlWriter(256);
        Fragments.CopyBox(html, "clone-command", "lmvp clone " + repo.Web.BaseUrl + "/" + repo.Owner + "/" + repo.Name);
        return html.ToMarkup();
    }

    private static async Task ModelCardSection(HtmlWriter html, RepositoryView repo, ObjectId commit, TreeEntry readme)
    {
        html.Add($"<section class=\"card modelcard\" id=\"model-card\"><div class=\"cardhead\"><h2>Model card</h2><span class=\"muted small\">{readme.Name}</span></div>");
        if (readme.Size > ModelCard.MaxBytes)
        {
            html.Add($"<p class=\"muted\">The model card is too large to show here ({Format.Bytes(readme.Size)}). <a href=\"{Urls.Raw(repo.Owner, repo.Name, commit, readme.Name)}\">Download it</a>.</p></section>");
            return;
        }

        // Relative links resolve against the commit the card was read from, so the rendering is cached per file and commit.
        var cache = repo.Web.Service<ObjectCache>();
        Span<byte> pair = stackalloc byte[2 * ObjectId.Size];
        readme.Id.CopyTo(pair);
        commit.CopyTo(pair[ObjectId.Size..]);
        var key = new CacheKey(CacheKind.ModelCard, repo.Id, ObjectId.Compute(pair));
        if (!cache.TryGet<string>(key, out var rendered))
        {
            var bytes = await repo.ReadSmallFileAsync(readme.Id, ModelCard.MaxBytes);
            var markdown = System.Text.Encoding.UTF8.GetString(bytes);
            rendered = repo.Web.Service<ModelCard>().Render(markdown, relative => ResolveRelative(relative) is { } path
                ? Urls.Raw(repo.Owner, repo.Name, commit, path)
                : null).Value;
            cache.Set(key, rendered, rendered.Length * 2L);
        }

        html.Add($"<div class=\"markdown\">{new Markup(rendered)}</div></section>");
    }

    /// <summary>A link in the root README, as a path in the repository; null when it leaves the repository or is not a path.</summary>
    internal static string? ResolveRelative(string link)
    {
        var end = link.IndexOfAny(['#', '?']);
        var path = Uri.UnescapeDataString(end < 0 ? link : link[..end]);
        var parts = new List<string>();
        foreach (var part in path.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count == 0)
                {
                    return null;
                }

                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(part);
        }

        return parts.Count == 0 ? null : string.Join('/', parts);
    }
}
