using Lmvp.Server.Storage;
using Lmvp.Server.Web.Html;

namespace Lmvp.Server.Web.Pages;

/// <summary>The audit log for server admins: sign-ins and failed ones, tokens, members and roles, force pushes and restores.</summary>
internal static class AuditPages
{
    /// <summary>Events on one page.</summary>
    public const int PageSize = 200;

    public static void Map(RouteGroupBuilder web) => web.MapGet(Urls.AdminAudit, AuditAsync);

    public static async Task<IResult> AuditAsync(WebContext web, string? kind, string? user, long? before)
    {
        if (web.Caller is null)
        {
            return web.RedirectToSignIn();
        }

        if (!web.Caller.IsServerAdmin)
        {
            return Page.Forbidden(web, "Only server admins read the audit log.");
        }

        var kinds = string.IsNullOrEmpty(kind) ? null : kind.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(50).ToList();
        var entries = await web.Store.Audit.ListAsync(new AuditQuery(kinds, string.IsNullOrEmpty(user) ? null : user, before, PageSize), web.Aborted);
        var page = new Page(web, "Audit log");
        var html = page.Body;
        html.Add($"""
            <section class="card"><h1>Audit log</h1>
            <form method="get" action="{Urls.AdminAudit}" class="inline">
            <label>Kind <input name="kind" value="{kind}" placeholder="signin.failed, ref.forced"></label>
            <label>User <input name="user" value="{user}"></label><button type="submit">Filter</button></form>
            <table class="audit"><thead><tr><th>When</th><th>Event</th><th>Who</th><th>From</th><th>Repository</th><th>Subject</th><th>Detail</th></tr></thead><tbody>
            """);
        foreach (var e in entries)
        {
            html.Add($"""
                <tr data-kind="{e.Kind}"><td>{Format.FullTime(e.At)}</td><td><code>{e.Kind}</code></td><td>{e.ActorName}</td><td>{e.Address}</td>
                <td>{e.Repository}</td><td>{e.Subject}</td><td>{e.Detail}</td></tr>
                """);
        }

        html.Add($"</tbody></table>");
        if (entries.Count == PageSize)
        {
            html.Add($"<nav class=\"pager\"><a href=\"{Urls.AdminAudit}{Urls.Query(("kind", kind), ("user", user), ("before", entries[^1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture)))}\">Older</a></nav>");
        }

        html.Add($"</section>");
        return page.ToResult(StatusCodes.Status200OK);
    }
}
