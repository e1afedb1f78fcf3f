using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;

namespace Lmvp.Server.Web.Pages;

/// <summary>The repositories a user can see, searchable and sortable, each with its latest commit and metrics; and creating one.</summary>
internal static class RepositoryListPage
{
    /// <summary>Metrics shown per repository (the rest are on its page).</summary>
    public const int MetricsShown = 4;

    private static readonly string[] Sorts = ["name", "updated", "size"];

    public static void Map(RouteGroupBuilder web)
    {
        web.MapGet(Urls.Home, ListAsync);
        web.MapPost(Urls.NewRepository, CreateAsync);
    }

    public static Task<IResult> ListAsync(WebContext web, string? q, string? sort) => RenderListAsync(web, null, StatusCodes.Status200OK, q, sort);

    /// <summary>Creates a repository owned by the signed-in user, as <c>POST /api/v1/repos</c> does.</summary>
    public static async Task<IResult> CreateAsync(WebContext web)
    {
        if (web.Caller is not { } caller)
        {
            return web.RedirectToSignIn();
        }

        var form = await web.Http.Request.ReadFormAsync(web.Aborted);
        var name = form["name"].ToString().Trim();
        var description = form["description"].ToString().Trim();
        if (!Lmvp.Server.Api.Names.IsValid(name))
        {
            return await RenderListAsync(web, "A repository name is 1 to 64 letters, digits, dots, dashes or underscores, starting with a letter or digit.",
                StatusCodes.Status400BadRequest);
        }

        if (description.Length > Lmvp.Server.Api.RepositoryEndpoints.MaxDescriptionLength)
        {
            return await RenderListAsync(web, $"The description is longer than {Lmvp.Server.Api.RepositoryEndpoints.MaxDescriptionLength} characters.",
                StatusCodes.Status400BadRequest);
        }

        var created = await web.Store.Repositories.CreateRepositoryAsync(caller.UserId, name, form["private"].ToString() == "on", description, web.Aborted);
        return created is null
            ? await RenderListAsync(web, $"You already have a repository named {name}.", StatusCodes.Status409Conflict)
            : Results.Redirect(Urls.Repository(created.Owner, created.Name));
    }

    /// <summary>One repository of the list, with what its default branch's head says.</summary>
    private sealed record Entry(RepositoryRecord Record, AccessLevel Role, RepositoryView View, string? Branch, Commit? Head, long? Size);

    private static async Task<IResult> RenderListAsync(WebContext web, string? error, int status, string? search = null, string? sort = null)
    {
        if (web.Caller is not { } caller)
        {
            return web.RedirectToSignIn();
        }

        search = string.IsNullOrWhiteSpace(search) ? null : search.Trim();
        sort = Sorts.Contains(sort) ? sort : "name";
        var visible = await web.Store.Repositories.ListVisibleRepositoriesAsync(caller.UserId, caller.IsServerAdmin, web.Aborted);
        var entries = new List<Entry>();
        foreach (var (record, memberRole) in visible)
        {
            if (search is not null && !record.FullName.Contains(search, StringComparison.OrdinalIgnoreCase)
                && !record.Description.Contains(search, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var role = RepositoryAccess.RoleFromMembership(caller, record, memberRole);
            var repo = RepositoryView.Open(web, record, role);
            var head = await repo.ResolveBranchAsync(null);
            var commit = head is { } h ? await repo.GetCommitAsync(h.Head) : null;
            entries.Add(new Entry(record, role, repo, head?.Branch, commit, commit is null ? null : await repo.TreeSizeAsync(commit.TreeId)));
        }

        entries = sort switch
        {
            "updated" => [.. entries.OrderByDescending(e => e.Record.UpdatedAt)],
            "size" => [.. entries.OrderByDescending(e => e.Size ?? -1)],
            _ => entries,
        };

        var page = new Page(web, "Repositories");
        page.Body.Add($"""
            <div class="row spread toolbar"><h1>Repositories</h1>
            <form method="get" action="{Urls.Home}" class="row gap search" role="search" id="repository-search">
            <input type="search" name="q" value="{search ?? ""}" placeholder="Search repositories" aria-label="Search repositories">
            <label class="inline">Sort <select name="sort" id="repository-sort">
            """);
        foreach (var s in Sorts)
        {
            page.Body.Add($"<option value=\"{s}\"{(s == sort ? new Markup(" selected") : Markup.Empty)}>{(s == "updated" ? "recently updated" : s == "size" ? "largest snapshot" : "name")}</option>");
        }

        page.Body.Add($"</select></label><button type=\"submit\">Go</button></form></div>");
        if (error is not null)
        {
            page.Body.Add($"<p class=\"error\" role=\"alert\">{error}</p>");
        }

        page.Body.Add($"<div class=\"columns\"><div class=\"maincol\">");
        if (visible.Count == 0)
        {
            page.Body.Add($"""
                <section class="card empty"><h2>No repositories yet</h2>
                <p>Create one here, then push a training directory to it:</p>
                <pre>lmvp remote add origin {web.BaseUrl}/{caller.UserName}/my-model
                lmvp push origin main</pre></section>
                """);
        }
        else if (entries.Count == 0)
        {
            page.Body.Add($"<section class=\"card empty\" id=\"no-repositories\"><p>No repository matches “{search}”. <a href=\"{Urls.Home}\">Show all</a></p></section>");
        }
        else
        {
            RepositoryTable(page.Body, web, entries);
        }

        page.Body.Add($"""
            </div><aside class="sidecol"><section class="card"><h3>New repository</h3>
            <form method="post" action="{Urls.NewRepository}" class="stack" id="new-repository">{web.AntiforgeryField()}
            <label>Name <input name="name" id="repository-name" required maxlength="64" placeholder="resnet-flowers" autocomplete="off"></label>
            <label>Description <input name="description" maxlength="{Lmvp.Server.Api.RepositoryEndpoints.MaxDescriptionLength}"></label>
            <label class="check"><input type="checkbox" name="private" checked> Private: only members see it</label>
            <button type="submit" class="primary">Create repository</button></form></section></aside></div>
            """);
        return page.ToResult(status);
    }

    private static void RepositoryTable(HtmlWriter html, WebContext web, IReadOnlyList<Entry> entries)
    {
        html.Add($"""
            <section class="card flush"><table class="grid repos" id="repositories"><thead><tr><th>Repository</th><th>Latest commit</th><th>Latest metrics</th><th class="num">Snapshot</th><th>Updated</th></tr></thead><tbody>
            """);
        foreach (var e in entries)
        {
            var record = e.Record;
            html.Add($"""
                <tr data-repository="{record.FullName}"><td><a class="reponame" href="{Urls.Repository(record.Owner, record.Name)}"><span class="owner">{record.Owner}</span>/<strong>{record.Name}</strong></a>
                <span class="badge {(record.IsPrivate ? "private" : "public")}">{(record.IsPrivate ? "Private" : "Public")}</span> <span class="badge role" title="your role">{e.Role.ToName()}</span>
                """);
            if (record.Description.Length > 0)
            {
                html.Add($"<div class=\"muted small\">{record.Description}</div>");
            }

            html.Add($"</td><td>");
            if (e.Head is { } commit)
            {
                html.Add($"<a class=\"subjectlink\" href=\"{Urls.Commit(record.Owner, record.Name, commit.Id)}\">{Format.Subject(commit.Message, 60)}</a> <span class=\"muted small\">on {e.Branch}</span>");
            }
            else
            {
                html.Add($"<span class=\"muted\">empty</span>");
            }

            html.Add($"</td><td class=\"latestmetrics\">");
            if (e.Head is { Metrics.Count: > 0 } withMetrics)
            {
                html.Add($"<ul class=\"chips\">");
                // Counters (step, epoch) say least about a run: the measured metrics come first.
                foreach (var m in withMetrics.Metrics.OrderBy(m => MetricDirections.IsStepLike(m.Key)).Take(MetricsShown))
                {
                    html.Add($"<li><span class=\"k\">{m.Key}</span><span class=\"v\">{Format.Number(m.Value)}</span></li>");
                }

                html.Add($"</ul>");
                if (withMetrics.Metrics.Count > MetricsShown)
                {
                    html.Add($"<a class=\"small\" href=\"{Urls.Metrics(record.Owner, record.Name, e.Branch!)}\">+{withMetrics.Metrics.Count - MetricsShown} more</a>");
                }
            }
            else
            {
                html.Add($"<span class=\"muted\">\u2014</span>");
            }

            html.Add($"""
                </td><td class="num">{(e.Size is { } s ? Format.Bytes(s) : "\u2014")}</td>
                <td><time title="{Format.FullTime(record.UpdatedAt)}">{Format.Ago(record.UpdatedAt, web.Now)}</time></td></tr>
                """);
        }

        html.Add($"</tbody></table></section>");
    }
}
