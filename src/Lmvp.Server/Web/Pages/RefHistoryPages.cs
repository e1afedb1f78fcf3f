using Lmvp.Server.Services;
using Lmvp.Server.Services.Maintenance;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;

namespace Lmvp.Server.Web.Pages;

/// <summary>A repository's ref history (every push, force push, deletion and restore: who, when, from what to what, with which
/// token), the restore button admins use to undo a move, and the protected branches.</summary>
internal static class RefHistoryPages
{
    /// <summary>Entries on one page.</summary>
    public const int PageSize = 100;

    public static void Map(RouteGroupBuilder web)
    {
        var repository = web.MapGroup("/repos/{owner}/{name}").WithRepositoryPage();
        repository.MapGet("/refs/history", HistoryAsync);
        var admin = web.MapGroup("/repos/{owner}/{name}").WithRepositoryPage(AccessLevel.Admin,
            repo => $"Only admins of {repo.Record.FullName} restore refs or change protected branches; your role is {repo.Role.ToName()}.");
        admin.MapPost("/refs/restore", RestoreAsync);
        admin.MapPost("/protection", SetProtectionAsync);
    }

    public static Task<IResult> HistoryAsync(RepositoryView repo, string? @ref, long? before) =>
        RenderAsync(repo, @ref, before, null, StatusCodes.Status200OK);

    public static async Task<IResult> RestoreAsync(RepositoryView repo)
    {
        var web = repo.Web;
        var form = await web.Http.Request.ReadFormAsync(web.Aborted);
        var name = form["ref"].ToString();
        if (!ObjectId.TryParse(form["target"].ToString(), out var target))
        {
            return await RenderAsync(repo, null, null, "Choose a value to restore from the history.", StatusCodes.Status400BadRequest);
        }

        var actor = new RefActor(web.Caller!, repo.Role, RefActor.Web, AuditTrail.AddressOf(web.Http));
        var moved = await web.Service<RefUpdates>().RestoreAsync(repo.Graph, name, target, actor, web.Aborted);
        return moved.Status == RefMoveStatus.Moved
            ? Results.Redirect(Urls.RefHistory(repo.Owner, repo.Name))
            : await RenderAsync(repo, null, null, Sentence(moved.Message), moved.Status switch
            {
                RefMoveStatus.NotFound => StatusCodes.Status404NotFound,
                RefMoveStatus.Forbidden => StatusCodes.Status403Forbidden,
                RefMoveStatus.Conflict => StatusCodes.Status409Conflict,
                RefMoveStatus.Incomplete => StatusCodes.Status422UnprocessableEntity,
                _ => StatusCodes.Status400BadRequest,
            });
    }

    public static async Task<IResult> SetProtectionAsync(RepositoryView repo)
    {
        var web = repo.Web;
        var form = await web.Http.Request.ReadFormAsync(web.Aborted);
        IReadOnlyList<string>? patterns = form["default"].ToString() == "on"
            ? null
            : form["branches"].ToString().Split([',', ' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        var protection = web.Service<BranchProtection>();
        if (await protection.SetAsync(repo.Record, patterns, web.Aborted) is { } error)
        {
            return await RenderAsync(repo, null, null, Sentence(error), StatusCodes.Status400BadRequest);
        }

        var (now, isDefault) = await protection.GetAsync(repo.Record, web.Aborted);
        await web.Service<AuditTrail>().RecordAsync(AuditKinds.ProtectionChanged, web.Caller, AuditTrail.AddressOf(web.Http), repo.Record, "protected branches",
            isDefault ? "the default branch" : string.Join(", ", now), web.Aborted);
        return Results.Redirect(Urls.RefHistory(repo.Owner, repo.Name));
    }

    private static async Task<IResult> RenderAsync(RepositoryView repo, string? refName, long? before, string? error, int status)
    {
        var web = repo.Web;
        var fullName = refName is { Length: > 0 } ? Lmvp.Server.Api.RefHistoryEndpoints.FullName(refName) : null;
        var entries = fullName is null || RefName.TryParse(fullName, out _)
            ? await web.Service<IRefStore>().ListRefHistoryAsync(repo.Id, fullName, before, PageSize, web.Aborted)
            : [];
        var (patterns, isDefault) = await web.Service<BranchProtection>().GetAsync(repo.Record, web.Aborted);
        var page = new Page(web, "Ref history · " + repo.Record.FullName) { Repository = repo, Tab = RepositoryTab.RefHistory };
        var html = page.Body;
        if (error is not null)
        {
            html.Add($"<p class=\"error\" role=\"alert\">{error}</p>");
        }

        html.Add($"""
            <section class="card" id="protection"><h2>Protected branches</h2>
            <p class="muted">A push that is not a fast-forward (a force push), a restore, or deleting one of these needs the admin role.</p>
            <p>{(patterns.Count == 0 ? "None" : string.Join(", ", patterns))}{(isDefault ? " (the default branch)" : "")}</p>
            """);
        if (repo.Role >= AccessLevel.Admin)
        {
            html.Add($"""
                <form method="post" action="{Urls.Repository(repo.Owner, repo.Name)}/protection" class="inline">{web.AntiforgeryField()}
                <label>Branches <input name="branches" id="protected-branches" value="{(isDefault ? "" : string.Join(", ", patterns))}" placeholder="main, release/*"></label>
                <label><input type="checkbox" name="default"{(isDefault ? new Markup(" checked") : Markup.Empty)}> the default branch only</label>
                <button type="submit">Save</button></form>
                """);
        }

        html.Add($"""
            </section>
            <section class="card"><h2>{(fullName is null ? "Every ref move" : "Moves of " + fullName)}</h2>
            <p class="muted">Server gc keeps what every ref move of the last {(int)ServerGc.HistoryRetention.TotalDays} days replaced, so an admin can restore those values; older ones only while still stored.</p>
            <table class="refhistory"><thead><tr><th>When</th><th>Ref</th><th>Move</th><th>From</th><th>To</th><th>Who</th><th>How</th><th></th></tr></thead><tbody>
            """);
        var restorableSince = DateTimeOffset.UtcNow - ServerGc.HistoryRetention;
        foreach (var e in entries)
        {
            html.Add($"""
                <tr data-entry="{e.Id}"><td><time datetime="{e.At.UtcDateTime.ToString("O", System.Globalization.CultureInfo.InvariantCulture)}">{Format.FullTime(e.At)}</time></td>
                <td><a href="{Urls.RefHistory(repo.Owner, repo.Name, e.Name)}"><code>{RefName.Parse(e.Name).ShortName}</code></a></td>
                <td class="kind {e.Kind}">{e.Kind}</td><td>{CommitLink(repo, e.Old)}</td><td>{CommitLink(repo, e.New)}</td>
                <td>{e.UserName}</td><td>{e.Via}{(e.TokenId is { } t ? $", token #{t}" + (e.TokenName is { } n ? $" \u201c{n}\u201d" : "") : e.AuthMethod == "session" ? ", session" : "")}</td><td>
                """);
            if (repo.Role >= AccessLevel.Admin && e.Old is { } old && e.At >= restorableSince)
            {
                html.Add($"""
                    <form method="post" action="{Urls.Repository(repo.Owner, repo.Name)}/refs/restore" class="inline">{web.AntiforgeryField()}
                    <input type="hidden" name="ref" value="{e.Name}"><input type="hidden" name="target" value="{old.ToString()}">
                    <button type="submit" class="restore" title="Point {e.Name} back at {old.ToString()}">Restore {old.ToShortString()}</button></form>
                    """);
            }

            html.Add($"</td></tr>");
        }

        html.Add($"</tbody></table>");
        if (entries.Count == 0)
        {
            html.Add($"<p class=\"muted\">No ref has moved yet.</p>");
        }
        else if (entries.Count == PageSize)
        {
            html.Add($"<nav class=\"pager\"><a href=\"{Urls.RefHistory(repo.Owner, repo.Name, fullName, entries[^1].Id)}\">Older</a></nav>");
        }

        html.Add($"</section>");
        return page.ToResult(status);
    }

    private static Markup CommitLink(RepositoryView repo, ObjectId? id)
    {
        if (id is not { } c)
        {
            return new Markup("<span class=\"muted\">\u2014</span>");
        }

        var html = new HtmlWriter(160);
        html.Add($"<a class=\"sha\" href=\"{Urls.Commit(repo.Owner, repo.Name, c)}\">{c.ToShortString()}</a>");
        return html.ToMarkup();
    }

    private static string Sentence(string text) => char.ToUpperInvariant(text[0]) + text[1..].TrimEnd('.') + ".";
}
