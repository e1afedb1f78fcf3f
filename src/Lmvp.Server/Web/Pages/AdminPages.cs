using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Html;

namespace Lmvp.Server.Web.Pages;

/// <summary>Server administration: every user, creating users directly, and server-wide invitations.</summary>
internal static class AdminPages
{
    public static void Map(RouteGroupBuilder web)
    {
        web.MapGet(Urls.AdminUsers, UsersAsync);
        web.MapPost(Urls.AdminUsers, CreateUserAsync);
        web.MapPost("/admin/invitations", InviteAsync);
        web.MapPost(Urls.AdminUsers + "/{user}/{action}", ChangeUserAsync);
    }

    /// <summary>Disables, enables, promotes to server admin or demotes one user. An admin cannot disable or demote themselves (so a
    /// server never loses its last admin by a slip); a disabled user's sessions and tokens stop working at their next request.</summary>
    public static async Task<IResult> ChangeUserAsync(WebContext web, string user, string action)
    {
        if (Deny(web) is { } denied)
        {
            return denied;
        }

        (bool? admin, bool? disabled)? change = action switch
        {
            "disable" => (null, true),
            "enable" => (null, false),
            "promote" => (true, null),
            "demote" => (false, null),
            _ => null,
        };
        var target = await web.Store.Users.FindUserAsync(user, web.Aborted);
        if (change is not { } c || target is null)
        {
            return Page.NotFound(web);
        }

        if (target.Id == web.Caller!.UserId && action is "disable" or "demote")
        {
            return await RenderAsync(web, $"you cannot {action} yourself: ask another server admin", null, StatusCodes.Status409Conflict);
        }

        await web.Store.Users.UpdateUserAsync(target.Id, c.admin, c.disabled, web.Aborted);
        return Results.Redirect(Urls.AdminUsers);
    }

    public static async Task<IResult> UsersAsync(WebContext web) =>
        Deny(web) ?? await RenderAsync(web, null, null, StatusCodes.Status200OK);

    public static async Task<IResult> CreateUserAsync(WebContext web)
    {
        if (Deny(web) is { } denied)
        {
            return denied;
        }

        var form = await web.Http.Request.ReadFormAsync(web.Aborted);
        var name = form["username"].ToString().Trim();
        var password = form["password"].ToString();
        var admin = form["admin"].ToString() == "on";
        if (Accounts.ValidateUserName(name) is { } nameProblem)
        {
            return await RenderAsync(web, nameProblem, null, StatusCodes.Status400BadRequest);
        }

        if (Passwords.Validate(password) is { } passwordProblem)
        {
            return await RenderAsync(web, passwordProblem, null, StatusCodes.Status400BadRequest);
        }

        var user = await web.Store.Users.CreateUserAsync(name, Passwords.Hash(password), admin, web.Aborted);
        return user is null
            ? await RenderAsync(web, $"the user name '{name}' is taken", null, StatusCodes.Status409Conflict)
            : Results.Redirect(Urls.AdminUsers);
    }

    public static async Task<IResult> InviteAsync(WebContext web)
    {
        if (Deny(web) is { } denied)
        {
            return denied;
        }

        var form = await web.Http.Request.ReadFormAsync(web.Aborted);
        var admin = form["admin"].ToString() == "on";
        var code = Secrets.Create(Secrets.InvitationPrefix);
        await web.Store.Invitations.CreateInvitationAsync(web.Caller!.UserId, Secrets.Hash(code), null, AccessLevel.None, admin, web.Now.AddDays(7), web.Aborted);
        return await RenderAsync(web, null, (code, admin), StatusCodes.Status200OK);
    }

    private static void UserButton(HtmlWriter html, WebContext web, string user, string action, string label, bool danger) =>
        html.Add($"<form method=\"post\" action=\"{Urls.AdminUsers}/{Urls.Segment(user)}/{action}\" class=\"inline\">{web.AntiforgeryField()}<button type=\"submit\" class=\"small{(danger ? " danger" : "")}\" data-action=\"{action}\">{label}</button></form>");

    private static IResult? Deny(WebContext web) =>
        web.Caller is null ? web.RedirectToSignIn()
        : !web.Caller.IsServerAdmin ? Page.Forbidden(web, "Only server admins manage users.")
        : null;

    private static async Task<IResult> RenderAsync(WebContext web, string? error, (string Code, bool Admin)? invitation, int status)
    {
        var users = await web.Store.Users.ListUsersAsync(web.Aborted);
        var page = new Page(web, "Users");
        var html = page.Body;
        html.Add($"<div class=\"row spread\"><h1>Users</h1><span class=\"muted\">{users.Count} account{(users.Count == 1 ? "" : "s")}</span></div>");
        if (error is not null)
        {
            html.Add($"<p class=\"error\" role=\"alert\">{char.ToUpperInvariant(error[0]) + error[1..]}.</p>");
        }

        if (invitation is { } i)
        {
            html.Add($"""
                <section class="card notice" id="new-invitation"><h3>Invitation created</h3>
                <p>It creates one {(i.Admin ? "server admin" : "user")} account, works once and expires in 7 days. <strong>It is shown only now.</strong></p>
                <label>Link <input class="secret" id="invitation-link" readonly value="{Urls.InvitationLink(web.BaseUrl, i.Code)}"></label></section>
                """);
        }

        html.Add($"""
            <div class="columns"><div class="maincol"><section class="card flush"><table class="grid" id="users"><thead><tr>
            <th>User</th><th>Role</th><th>Status</th><th>Created</th><th class="actions">Change</th></tr></thead><tbody>
            """);
        foreach (var u in users)
        {
            var self = u.Id == web.Caller!.UserId;
            html.Add($"""
                <tr data-user="{u.Name}"><td>{u.Name}{(self ? new Markup(" <span class=\"muted small\">(you)</span>") : Markup.Empty)}</td><td>{(u.IsAdmin ? "server admin" : "user")}</td>
                <td><span class="badge {(u.IsDisabled ? "revoked" : "active")}">{(u.IsDisabled ? "disabled" : "active")}</span></td><td>{Format.Time(u.CreatedAt)}</td><td class="actions">
                """);
            if (!self)
            {
                UserButton(html, web, u.Name, u.IsDisabled ? "enable" : "disable", u.IsDisabled ? "Enable" : "Disable", danger: !u.IsDisabled);
                UserButton(html, web, u.Name, u.IsAdmin ? "demote" : "promote", u.IsAdmin ? "Remove admin" : "Make admin", danger: false);
            }

            html.Add($"</td></tr>");
        }

        html.Add($"""
            </tbody></table></section></div><aside class="sidecol">
            <section class="card"><h3>Create a user</h3><form method="post" action="{Urls.AdminUsers}" class="stack">{web.AntiforgeryField()}
            <label>User name <input name="username" required maxlength="64" autocomplete="off"></label>
            <label>Password <input name="password" type="password" required minlength="{Passwords.MinLength}" autocomplete="new-password"></label>
            <label class="check"><input type="checkbox" name="admin"> Server admin</label>
            <button type="submit" class="primary">Create user</button></form></section>
            <section class="card"><h3>Invite someone</h3><p class="muted small">A one-time link with which they choose their own name and password.</p>
            <form method="post" action="/admin/invitations" class="stack">{web.AntiforgeryField()}
            <label class="check"><input type="checkbox" name="admin"> As a server admin</label>
            <button type="submit">Create invitation</button></form></section></aside></div>
            """);
        return page.ToResult(status);
    }
}
