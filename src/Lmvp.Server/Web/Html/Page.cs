using Lmvp.Server.Storage;
using Lmvp.Server.Web.Data;

namespace Lmvp.Server.Web.Html;

/// <summary>The tabs of a repository's pages.</summary>
internal enum RepositoryTab
{
    None,
    Files,
    History,
    Metrics,
    Compare,
    Members,
}

/// <summary>A page of the web UI: the shared shell (head, top bar, repository header and tabs) around a body the handler writes.</summary>
internal sealed class Page
{
    private readonly WebContext _web;
    private readonly string _title;

    public Page(WebContext web, string title)
    {
        _web = web;
        _title = title;
    }

    /// <summary>The page body.</summary>
    public HtmlWriter Body { get; } = new();

    /// <summary>The repository whose header and tabs to show, if any.</summary>
    public RepositoryView? Repository { get; init; }

    public RepositoryTab Tab { get; init; }

    /// <summary>The branch the repository tabs link to (the default branch when null).</summary>
    public string? Branch { get; init; }

    /// <summary>A wide page (tables with many columns) uses the full window width.</summary>
    public bool Wide { get; init; }

    /// <summary>The finished page as a result with <paramref name="statusCode"/>.</summary>
    public IResult ToResult(int statusCode = StatusCodes.Status200OK)
    {
        var head = new HtmlWriter(4096);
        head.Add($"""
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark">
            <title>{_title} · LMVP</title>
            <link rel="stylesheet" href="{Urls.Stylesheet}?v={Assets.StylesheetVersion}"><link rel="icon" href="{Urls.Icon}" type="image/svg+xml">
            <script src="{Urls.Script}?v={Assets.ScriptVersion}" defer></script>
            </head><body>
            <header class="topbar"><div class="bar{(Wide ? " wide" : "")}">
            <a class="brand" href="{Urls.Home}"><img src="{Urls.Icon}" alt="" width="22" height="22"><span>LMVP</span></a>
            """);
        if (_web.Caller is { } caller)
        {
            head.Add($"""
                <nav class="mainnav"><a href="{Urls.Home}">Repositories</a><a href="{Urls.Tokens}">Access tokens</a>
                """);
            if (caller.IsServerAdmin)
            {
                head.Add($"<a href=\"{Urls.AdminUsers}\">Users</a>");
            }

            head.Add($"""
                </nav><div class="me"><span class="who" title="signed in">{caller.UserName}</span>
                <form method="post" action="{Urls.SignOut}">{_web.AntiforgeryField()}<button class="linkbutton" type="submit">Sign out</button></form></div>
                """);
        }

        head.Add($"</div></header><main class=\"page{(Wide ? " wide" : "")}\">");
        if (Repository is { } repo)
        {
            WriteRepositoryHeader(head, repo);
        }

        var foot = new HtmlWriter(256);
        foot.Add($"</main><footer class=\"page{(Wide ? " wide" : "")}\">LMVP · versioned model checkpoints · <a href=\"/api/docs\">API</a></footer></body></html>");
        return new HtmlResult(statusCode, head, Body, foot);
    }

    /// <summary>A small page that says what went wrong (404s say only "not found", whatever the reason).</summary>
    public static IResult Message(WebContext web, int statusCode, string title, string message)
    {
        var page = new Page(web, title);
        page.Body.Add($"<section class=\"status\"><h1>{title}</h1><p>{message}</p><p><a href=\"{Urls.Home}\">Back to repositories</a></p></section>");
        return page.ToResult(statusCode);
    }

    public static IResult NotFound(WebContext web)
    {
        var page = new Page(web, "Not found");
        page.Body.Add($"""
            <section class="status notfound" id="not-found"><p class="code">404</p><h1>Not found</h1>
            <p>There is nothing at <code>{web.Http.Request.Path.ToString()}</code>, or you do not have access to it.</p>
            <p>Branches, tags and commit ids (full, or the first 12 digits) all work in URLs: <code>tree/main/…</code>, <code>raw/v1.0/…</code>, <code>commit/a1b2c3d4e5f6</code>.</p>
            <p><a class="button primary" href="{Urls.Home}">Back to repositories</a></p></section>
            """);
        return page.ToResult(StatusCodes.Status404NotFound);
    }

    public static IResult Forbidden(WebContext web, string message) => Message(web, StatusCodes.Status403Forbidden, "Not allowed", message);

    private void WriteRepositoryHeader(HtmlWriter html, RepositoryView repo)
    {
        var branch = Branch ?? repo.Record.DefaultBranch;
        html.Add($"""
            <div class="repohead"><div class="reponame"><h1><span class="owner">{repo.Owner}</span> / <a href="{Urls.Repository(repo.Owner, repo.Name)}">{repo.Name}</a></h1>
            <span class="badge {(repo.Record.IsPrivate ? "private" : "public")}">{(repo.Record.IsPrivate ? "Private" : "Public")}</span>
            <span class="badge role" title="your role">{repo.Role.ToName()}</span></div>
            """);
        if (repo.Record.Description.Length > 0)
        {
            html.Add($"<p class=\"description\">{repo.Record.Description}</p>");
        }

        html.Add($"<nav class=\"tabs\">");
        WriteTab(html, RepositoryTab.Files, "Files", Urls.Repository(repo.Owner, repo.Name, branch));
        WriteTab(html, RepositoryTab.History, "History", Urls.History(repo.Owner, repo.Name, branch));
        WriteTab(html, RepositoryTab.Metrics, "Metrics", Urls.Metrics(repo.Owner, repo.Name, branch));
        WriteTab(html, RepositoryTab.Compare, "Compare", Urls.CompareForm(repo.Owner, repo.Name) + Urls.Query(("branch", branch)));
        if (repo.Role >= AccessLevel.Admin)
        {
            WriteTab(html, RepositoryTab.Members, "Members", Urls.Members(repo.Owner, repo.Name));
        }

        html.Add($"</nav></div>");
    }

    private void WriteTab(HtmlWriter html, RepositoryTab tab, string label, string href) =>
        html.Add($"<a href=\"{href}\"{(Tab == tab ? new Markup(" class=\"active\" aria-current=\"page\"") : Markup.Empty)}>{label}</a>");
}
