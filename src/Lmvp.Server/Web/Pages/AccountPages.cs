using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Auth;
using Lmvp.Server.Web.Html;

namespace Lmvp.Server.Web.Pages;

/// <summary>Signing in and out, and creating an account from an invitation.</summary>
internal static class AccountPages
{
    public static void Map(RouteGroupBuilder web)
    {
        web.MapGet(Urls.SignIn, SignInForm);
        web.MapPost(Urls.SignIn, SignInAsync);
        web.MapPost(Urls.SignOut, SignOutAsync);
        web.MapGet(Urls.Register, RegisterForm);
        web.MapPost(Urls.Register, RegisterAsync);
    }

    public static IResult SignInForm(WebContext web, string? @return) =>
        web.Caller is not null ? Results.Redirect(Urls.SafeReturnPath(@return)) : SignInPage(web, @return, null, null, StatusCodes.Status200OK);

    public static async Task<IResult> SignInAsync(WebContext web)
    {
        var form = await web.Http.Request.ReadFormAsync(web.Aborted);
        var userName = form["username"].ToString().Trim();
        var password = form["password"].ToString();
        var returnPath = form["return"].ToString();
        if (userName.Length is 0 or > 64 || password.Length is 0 or > Passwords.MaxLength)
        {
            return SignInPage(web, returnPath, userName, "Enter your user name and password.", StatusCodes.Status400BadRequest);
        }

        var outcome = await web.Service<WebSessions>().SignInAsync(web.Http, userName, password, web.Aborted);
        if (outcome.RetryAfter is { } wait)
        {
            web.Http.Response.Headers.RetryAfter = Lmvp.Server.Api.AuthEndpoints.RetryAfter(wait);
            var message = char.ToUpperInvariant(outcome.ThrottledMessage[0]) + outcome.ThrottledMessage[1..] + ".";
            return SignInPage(web, returnPath, userName, message, StatusCodes.Status429TooManyRequests);
        }

        if (outcome.User is null)
        {
            return SignInPage(web, returnPath, userName, "Wrong user name or password.", StatusCodes.Status401Unauthorized);
        }

        return Results.Redirect(Urls.SafeReturnPath(returnPath));
    }

    public static async Task<IResult> SignOutAsync(WebContext web)
    {
        await web.Service<WebSessions>().SignOutAsync(web.Http, web.Caller, web.Aborted);
        return Results.Redirect(Urls.SignIn);
    }

    public static IResult RegisterForm(WebContext web, string? code) => RegisterPage(web, code, null, null, StatusCodes.Status200OK);

    public static async Task<IResult> RegisterAsync(WebContext web)
    {
        var form = await web.Http.Request.ReadFormAsync(web.Aborted);
        var code = form["code"].ToString().Trim();
        var userName = form["username"].ToString().Trim();
        var password = form["password"].ToString();
        if (code.Length is 0 or > 256)
        {
            return RegisterPage(web, code, userName, "Paste the invitation code you were given.", StatusCodes.Status400BadRequest);
        }

        if (!Lmvp.Server.Api.Names.IsValid(userName))
        {
            return RegisterPage(web, code, userName,
                "A user name is 1 to 64 letters, digits, dots, dashes or underscores, and starts with a letter or digit.", StatusCodes.Status400BadRequest);
        }

        if (Passwords.Validate(password) is { } problem)
        {
            return RegisterPage(web, code, userName, char.ToUpperInvariant(problem[0]) + problem[1..] + ".", StatusCodes.Status400BadRequest);
        }

        var (outcome, user) = await web.Store.Invitations.RedeemInvitationAsync(Secrets.Hash(code), userName, Passwords.Hash(password), web.Now, web.Aborted);
        if (user is not null)
        {
            await web.Service<Services.AuditTrail>().RecordAsync(AuditKinds.UserCreated, user.Id, user.Name, Services.AuditTrail.AddressOf(web.Http), null,
                user.Name, "registered with an invitation (web)" + (user.IsAdmin ? " as a server admin" : ""), web.Aborted);
        }

        return outcome switch
        {
            RedeemOutcome.Created => await SignInNewUserAsync(web, userName, password),
            RedeemOutcome.NameTaken => RegisterPage(web, code, userName, $"The user name {userName} is taken; choose another.", StatusCodes.Status409Conflict),
            _ => RegisterPage(web, code, userName, "This invitation is not valid: it was used already, has expired, or was withdrawn.",
                StatusCodes.Status400BadRequest),
        };
    }

    private static async Task<IResult> SignInNewUserAsync(WebContext web, string userName, string password)
    {
        await web.Service<WebSessions>().SignInAsync(web.Http, userName, password, web.Aborted);
        return Results.Redirect(Urls.Home);
    }

    private static IResult SignInPage(WebContext web, string? returnPath, string? userName, string? error, int status)
    {
        var page = new Page(web, "Sign in");
        page.Body.Add($"""
            <section class="card narrow signin">
            <h1>Sign in to LMVP</h1>
            <p class="muted">Model history, metrics and files of your team's repositories.</p>
            """);
        if (error is not null)
        {
            page.Body.Add($"<p class=\"error\" role=\"alert\">{error}</p>");
        }

        page.Body.Add($"""
            <form method="post" action="{Urls.SignIn}" class="stack">{web.AntiforgeryField()}
            <input type="hidden" name="return" value="{Urls.SafeReturnPath(returnPath)}">
            <label>User name <input name="username" id="username" autocomplete="username" required maxlength="64" value="{userName}" autofocus></label>
            <label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label>
            <button type="submit" class="primary" id="signin">Sign in</button>
            </form>
            <p class="muted small">New here? Ask a repository admin for an invitation, then <a href="{Urls.Register}">create your account</a>.</p>
            </section>
            """);
        return page.ToResult(status);
    }

    private static IResult RegisterPage(WebContext web, string? code, string? userName, string? error, int status)
    {
        var page = new Page(web, "Create your account");
        page.Body.Add($"""
            <section class="card narrow">
            <h1>Create your account</h1>
            <p class="muted">An invitation code lets you create one account; it may also add you to a repository.</p>
            """);
        if (error is not null)
        {
            page.Body.Add($"<p class=\"error\" role=\"alert\">{error}</p>");
        }

        page.Body.Add($"""
            <form method="post" action="{Urls.Register}" class="stack">{web.AntiforgeryField()}
            <label>Invitation code <input name="code" id="code" required maxlength="256" value="{code}" autocomplete="off"></label>
            <label>User name <input name="username" id="username" required maxlength="64" value="{userName}" autocomplete="username"></label>
            <label>Password <span class="muted small">(at least {Passwords.MinLength} characters)</span>
            <input name="password" id="password" type="password" required minlength="{Passwords.MinLength}" autocomplete="new-password"></label>
            <button type="submit" class="primary">Create account</button>
            </form>
            </section>
            """);
        return page.ToResult(status);
    }
}
