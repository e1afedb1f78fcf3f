using Lmvp.Server.Auth;
using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Html;

namespace Lmvp.Server.Web.Pages;

/// <summary>The signed-in user's personal access tokens: create (the value is shown once), list, revoke.</summary>
internal static class TokenPages
{
    public static void Map(RouteGroupBuilder web)
    {
        web.MapGet(Urls.Tokens, TokensAsync);
        web.MapPost(Urls.Tokens, CreateAsync);
        web.MapPost(Urls.Tokens + "/{id:long}/revoke", RevokeAsync);
    }

    public static async Task<IResult> TokensAsync(WebContext web) =>
        web.Caller is null ? web.RedirectToSignIn() : await RenderAsync(web, null, null, StatusCodes.Status200OK);

    public static async Task<IResult> CreateAsync(WebContext web)
    {
        if (web.Caller is not { } caller)
        {
            return web.RedirectToSignIn();
        }

        var form = await web.Http.Request.ReadFormAsync(web.Aborted);
        var name = form["name"].ToString().Trim();
        if (Accounts.ValidateTokenName(name) is { } problem)
        {
            return await RenderAsync(web, Sentence(problem), null, StatusCodes.Status400BadRequest);
        }

        if (!AccessLevels.TryParse(form["scope"].ToString(), out var scope))
        {
            return await RenderAsync(web, "Choose a scope: read, write or admin.", null, StatusCodes.Status400BadRequest);
        }

        DateTimeOffset? expires = null;
        var daysText = form["days"].ToString();
        if (daysText.Length > 0 && daysText != "never")
        {
            if (!int.TryParse(daysText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var days)
                || days < 1 || days > Accounts.MaxExpiryDays)
            {
                return await RenderAsync(web, $"A token lasts 1 to {Accounts.MaxExpiryDays} days, or never expires.", null, StatusCodes.Status400BadRequest);
            }

            expires = web.Now.AddDays(days);
        }

        var (record, token) = await Accounts.CreateTokenAsync(web.Store, caller.UserId, name, scope, expires, web.Aborted);
        await web.Service<AuditTrail>().TokenCreatedAsync(caller, AuditTrail.AddressOf(web.Http), caller.UserName, record, web.Aborted);
        return await RenderAsync(web, null, (record, token), StatusCodes.Status200OK);
    }

    public static async Task<IResult> RevokeAsync(WebContext web, long id)
    {
        if (web.Caller is not { } caller)
        {
            return web.RedirectToSignIn();
        }

        if (!await web.Store.Tokens.RevokeTokenAsync(caller.UserId, id, web.Aborted))
        {
            return Page.NotFound(web);
        }

        await web.Service<AuditTrail>().TokenRevokedAsync(caller, AuditTrail.AddressOf(web.Http), caller.UserName, id, web.Aborted);
        return Results.Redirect(Urls.Tokens);
    }

    private static string Sentence(string text) => char.ToUpperInvariant(text[0]) + text[1..] + ".";

    private static async Task<IResult> RenderAsync(WebContext web, string? error, (TokenRecord Record, string Value)? created, int status)
    {
        var tokens = await web.Store.Tokens.ListTokensAsync(web.Caller!.UserId, web.Aborted);
        var page = new Page(web, "Access tokens");
        var html = page.Body;
        html.Add($"""
            <div class="row spread"><h1>Access tokens</h1></div>
            <p class="muted">Tokens let the <code>lmvp</code> command line and scripts act as you: <code>lmvp login {web.BaseUrl}</code>, then paste one.
            A token never has more rights than you do; its scope limits it further.</p>
            """);
        if (error is not null)
        {
            html.Add($"<p class=\"error\" role=\"alert\">{error}</p>");
        }

        if (created is { } c)
        {
            html.Add($"""
                <section class="card notice" id="new-token"><h3>Token “{c.Record.Name}” created</h3>
                <p><strong>Copy it now: it is shown only once</strong> and LMVP keeps only its hash.</p>
                <input class="secret" id="token-value" readonly value="{c.Value}" aria-label="token value"></section>
                """);
        }

        html.Add($"""
            <div class="columns"><div class="maincol"><section class="card flush"><table class="grid" id="tokens"><thead><tr>
            <th>Name</th><th>Scope</th><th>Created</th><th>Expires</th><th>Last used</th><th>Status</th><th></th></tr></thead><tbody>
            """);
        if (tokens.Count == 0)
        {
            html.Add($"<tr><td colspan=\"7\" class=\"muted\">No tokens yet.</td></tr>");
        }

        foreach (var t in tokens.OrderByDescending(t => t.CreatedAt))
        {
            var state = t.RevokedAt is not null ? "revoked" : t.ExpiresAt is { } e && e <= web.Now ? "expired" : "active";
            html.Add($"""
                <tr data-token="{t.Name}" class="{state}"><td>{t.Name}</td><td><span class="badge role">{t.Scope.ToName()}</span></td>
                <td>{Format.Time(t.CreatedAt)}</td><td>{(t.ExpiresAt is { } x ? Format.Time(x) : "never")}</td>
                <td>{(t.LastUsedAt is { } u ? Format.Ago(u, web.Now) : "never")}</td><td><span class="badge {state}">{state}</span></td><td class="actions">
                """);
            if (state == "active")
            {
                html.Add($"<form method=\"post\" action=\"{Urls.Tokens}/{t.Id}/revoke\" class=\"inline\">{web.AntiforgeryField()}<button type=\"submit\" class=\"small danger\">Revoke</button></form>");
            }

            html.Add($"</td></tr>");
        }

        html.Add($"""
            </tbody></table></section></div><aside class="sidecol"><section class="card"><h3>New token</h3>
            <form method="post" action="{Urls.Tokens}" class="stack" id="create-token">{web.AntiforgeryField()}
            <label>Name <input name="name" id="token-name" required maxlength="{Accounts.MaxTokenNameLength}" placeholder="laptop, training cluster…"></label>
            <label>Scope <select name="scope" id="token-scope"><option value="read">read: browse, download, clone</option>
            <option value="write" selected>write: also push</option><option value="admin">admin: also manage members and tokens</option></select></label>
            <label>Expires <select name="days" id="token-days"><option value="30">in 30 days</option><option value="90" selected>in 90 days</option>
            <option value="365">in a year</option><option value="never">never</option></select></label>
            <button type="submit" class="primary" id="create-token-submit">Create token</button></form></section></aside></div>
            """);
        return page.ToResult(status);
    }
}
