using Lmvp.Server.Auth;
using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;

namespace Lmvp.Server.Web.Pages;

/// <summary>A repository's team: members and their roles, and invitations for people who have no account yet.</summary>
/// <remarks>Only the repository's admins (its owner, admin members, server admins) see or change this, as in the API.</remarks>
internal static class MemberPages
{
    /// <summary>How long an invitation made here stays valid unless the admin picks otherwise.</summary>
    public const int DefaultInvitationDays = 7;

    public static void Map(RouteGroupBuilder web)
    {
        var team = web.MapGroup("/repos/{owner}/{name}").WithRepositoryPage(AccessLevel.Admin,
            repo => $"Only admins of {repo.Record.FullName} manage its members; your role is {repo.Role.ToName()}.");
        team.MapGet("/members", MembersAsync);
        team.MapPost("/members", SetMemberAsync);
        team.MapPost("/members/remove", RemoveMemberAsync);
        team.MapPost("/invitations", InviteAsync);
        team.MapPost("/invitations/{id:long}/delete", DeleteInvitationAsync);
    }

    public static Task<IResult> MembersAsync(RepositoryView repo) => RenderAsync(repo.Web, repo, null, null, StatusCodes.Status200OK);

    public static async Task<IResult> SetMemberAsync(RepositoryView repo)
    {
        var web = repo.Web;
        var form = await web.Http.Request.ReadFormAsync(web.Aborted);
        var userName = form["username"].ToString().Trim();
        if (!AccessLevels.TryParse(form["role"].ToString(), out var role))
        {
            return await RenderAsync(web, repo, "Choose a role: read, write or admin.", null, StatusCodes.Status400BadRequest);
        }

        var user = Lmvp.Server.Api.Names.IsValid(userName) ? await web.Store.Users.FindUserAsync(userName, web.Aborted) : null;
        if (user is null)
        {
            return await RenderAsync(web, repo, $"There is no user named \u201c{userName}\u201d. Invite them below instead.", null,
                StatusCodes.Status404NotFound);
        }

        if (user.Id == repo.Record.OwnerId)
        {
            return await RenderAsync(web, repo, $"{user.Name} owns {repo.Record.FullName} and is always its admin.", null, StatusCodes.Status400BadRequest);
        }

        var before = await web.Store.Repositories.GetMemberRoleAsync(repo.Id, user.Id, web.Aborted);
        await web.Store.Repositories.SetMemberAsync(repo.Id, user.Id, role, web.Aborted);
        await web.Service<AuditTrail>().MemberSetAsync(web.Caller, AuditTrail.AddressOf(web.Http), repo.Record, user.Name, before, role, "web", web.Aborted);
        return Results.Redirect(Urls.Members(repo.Owner, repo.Name));
    }

    public static async Task<IResult> RemoveMemberAsync(RepositoryView repo)
    {
        var web = repo.Web;
        var form = await web.Http.Request.ReadFormAsync(web.Aborted);
        var userName = form["username"].ToString();
        var user = Lmvp.Server.Api.Names.IsValid(userName) ? await web.Store.Users.FindUserAsync(userName, web.Aborted) : null;
        var before = user is null ? AccessLevel.None : await web.Store.Repositories.GetMemberRoleAsync(repo.Id, user.Id, web.Aborted);
        if (user is null || !await web.Store.Repositories.RemoveMemberAsync(repo.Id, user.Id, web.Aborted))
        {
            return await RenderAsync(web, repo, $"\u201c{userName}\u201d is not a member.", null, StatusCodes.Status404NotFound);
        }

        await web.Service<AuditTrail>().MemberSetAsync(web.Caller, AuditTrail.AddressOf(web.Http), repo.Record, user.Name, before, AccessLevel.None, "web",
            web.Aborted);

        return Results.Redirect(Urls.Members(repo.Owner, repo.Name));
    }

    public static async Task<IResult> InviteAsync(RepositoryView repo)
    {
        var web = repo.Web;
        var form = await web.Http.Request.ReadFormAsync(web.Aborted);
        if (!AccessLevels.TryParse(form["role"].ToString(), out var role))
        {
            return await RenderAsync(web, repo, "Choose a role: read, write or admin.", null, StatusCodes.Status400BadRequest);
        }

        if (!int.TryParse(form["days"].ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var days)
            || days < 1 || days > 365)
        {
            return await RenderAsync(web, repo, "An invitation lasts 1 to 365 days.", null, StatusCodes.Status400BadRequest);
        }

        var code = Secrets.Create(Secrets.InvitationPrefix);
        await web.Store.Invitations.CreateInvitationAsync(web.Caller!.UserId, Secrets.Hash(code), repo.Id, role, makeAdmin: false, web.Now.AddDays(days), web.Aborted);
        return await RenderAsync(web, repo, null, (code, role, days), StatusCodes.Status200OK);
    }

    public static async Task<IResult> DeleteInvitationAsync(RepositoryView repo, long id)
    {
        var web = repo.Web;
        var invitation = await web.Store.Invitations.GetInvitationAsync(id, web.Aborted);
        if (invitation is null || invitation.RepositoryId != repo.Id)
        {
            return Page.NotFound(web);
        }

        await web.Store.Invitations.DeleteInvitationAsync(id, web.Aborted);
        return Results.Redirect(Urls.Members(repo.Owner, repo.Name));
    }

    private static async Task<IResult> RenderAsync(WebContext web, RepositoryView repo, string? error, (string Code, AccessLevel Role, int Days)? created,
        int status)
    {
        var members = await web.Store.Repositories.ListMembersAsync(repo.Id, web.Aborted);
        var owner = await web.Store.Users.GetUserAsync(repo.Record.OwnerId, web.Aborted);
        var page = new Page(web, "Members · " + repo.Record.FullName) { Repository = repo, Tab = RepositoryTab.Members };
        var html = page.Body;
        if (error is not null)
        {
            html.Add($"<p class=\"error\" role=\"alert\">{error}</p>");
        }

        if (created is { } c)
        {
            var link = Urls.InvitationLink(web.BaseUrl, c.Code);
            html.Add($"""
                <section class="card notice" id="new-invitation"><h3>Invitation created</h3>
                <p>Send this link to the person you invite. It creates one account with <strong>{c.Role.ToName()}</strong> access to {repo.Record.FullName},
                works once, and expires in {c.Days} day{(c.Days == 1 ? "" : "s")}. <strong>It is shown only now.</strong></p>
                <label>Link <input class="secret" id="invitation-link" readonly value="{link}"></label>
                <label>Code <input class="secret" id="invitation-code" readonly value="{c.Code}"></label></section>
                """);
        }

        html.Add($"""
            <div class="columns"><div class="maincol"><section class="card flush"><div class="cardhead"><h3>People with access</h3></div>
            <table class="grid" id="members"><thead><tr><th>User</th><th>Role</th><th></th></tr></thead><tbody>
            <tr><td><strong>{owner?.Name ?? repo.Owner}</strong></td><td><span class="badge role">owner</span> <span class="muted small">always admin</span></td><td></td></tr>
            """);
        foreach (var m in members)
        {
            html.Add($"""
                <tr data-user="{m.UserName}"><td>{m.UserName}</td><td>
                <form method="post" action="{Urls.Members(repo.Owner, repo.Name)}" class="inline">{web.AntiforgeryField()}
                <input type="hidden" name="username" value="{m.UserName}">{RoleSelect(m.Role, null)}<button type="submit" class="small">Save</button></form></td>
                <td class="actions"><form method="post" action="{Urls.Members(repo.Owner, repo.Name)}/remove" class="inline">{web.AntiforgeryField()}
                <input type="hidden" name="username" value="{m.UserName}"><button type="submit" class="small danger">Remove</button></form></td></tr>
                """);
        }

        html.Add($"""
            </tbody></table></section>
            <p class="muted small">Read: browse, download and clone. Write: also push. Admin: also manage members. {(repo.Record.IsPrivate ? "This repository is private: nobody else can see it." : "This repository is public: every user of this server can read it.")}</p>
            </div><aside class="sidecol">
            <section class="card"><h3>Add a member</h3><p class="muted small">Someone who already has an account on this server.</p>
            <form method="post" action="{Urls.Members(repo.Owner, repo.Name)}" class="stack" id="add-member">{web.AntiforgeryField()}
            <label>User name <input name="username" id="member-username" required maxlength="64" autocomplete="off"></label>
            <label>Role {RoleSelect(AccessLevel.Read, "member-role")}</label>
            <button type="submit" class="primary" id="add-member-submit">Add member</button></form></section>
            <section class="card"><h3>Invite someone new</h3><p class="muted small">They create their account with a one-time link.</p>
            <form method="post" action="{Urls.Repository(repo.Owner, repo.Name)}/invitations" class="stack" id="invite">{web.AntiforgeryField()}
            <label>Role {RoleSelect(AccessLevel.Read, "invite-role")}</label>
            <label>Valid for <select name="days"><option value="1">1 day</option><option value="7" selected>7 days</option><option value="30">30 days</option></select></label>
            <button type="submit" id="invite-submit">Create invitation</button></form>
            """);

        var invitations = (await web.Store.Invitations.ListInvitationsAsync(null, web.Aborted))
            .Where(i => i.RepositoryId == repo.Id && i.UsedAt is null && i.ExpiresAt > web.Now).ToList();
        if (invitations.Count > 0)
        {
            html.Add($"<h4>Open invitations</h4><ul class=\"reflist\">");
            foreach (var i in invitations)
            {
                html.Add($"""
                    <li><span>{i.Role.ToName()}, expires {Format.Time(i.ExpiresAt)}</span>
                    <form method="post" action="{Urls.Repository(repo.Owner, repo.Name)}/invitations/{i.Id}/delete" class="inline">{web.AntiforgeryField()}<button type="submit" class="small danger">Withdraw</button></form></li>
                    """);
            }

            html.Add($"</ul>");
        }

        html.Add($"</section></aside></div>");
        return page.ToResult(status);
    }

    private static Markup RoleSelect(AccessLevel selected, string? id)
    {
        var html = new HtmlWriter(320);
        html.Add($"<select name=\"role\"{(id is null ? Markup.Empty : new Markup(" id=\"" + HtmlWriter.Encode(id) + "\""))} aria-label=\"role\">");
        foreach (var level in new[] { AccessLevel.Read, AccessLevel.Write, AccessLevel.Admin })
        {
            html.Add($"<option value=\"{level.ToName()}\"{(level == selected ? new Markup(" selected") : Markup.Empty)}>{level.ToName()}</option>");
        }

        html.Add($"</select>");
        return html.ToMarkup();
    }
}
