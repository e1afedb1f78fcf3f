using System.Reflection;
using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Auth;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Microsoft.AspNetCore.Antiforgery;

namespace Lmvp.Server.Web;

/// <summary>One web request: who is signed in, the services pages use, and the antiforgery token for its forms.</summary>
/// <remarks>Minimal APIs build it through <see cref="BindAsync"/>, so every page handler just takes a <see cref="WebContext"/>.</remarks>
internal sealed class WebContext
{
    private static readonly object Key = new();

    private AntiforgeryTokenSet? _tokens;

    private WebContext(HttpContext http, Caller? caller, UserRecord? user)
    {
        Http = http;
        Caller = caller;
        User = user;
        Store = http.RequestServices.GetRequiredService<MetadataStores>();
        Time = http.RequestServices.GetRequiredService<TimeProvider>();
    }

    public HttpContext Http { get; }

    /// <summary>The signed-in user as the authorization rules see them, or null.</summary>
    public Caller? Caller { get; }

    public UserRecord? User { get; }

    public MetadataStores Store { get; }

    public TimeProvider Time { get; }

    public DateTimeOffset Now => Time.GetUtcNow();

    public CancellationToken Aborted => Http.RequestAborted;

    public T Service<T>()
        where T : notnull => Http.RequestServices.GetRequiredService<T>();

    /// <summary>Reads the session cookie; called by minimal APIs for each handler that takes a <see cref="WebContext"/>.</summary>
    public static async ValueTask<WebContext?> BindAsync(HttpContext http, ParameterInfo parameter)
    {
        _ = parameter;
        return await ForAsync(http);
    }

    /// <summary>The request's context, made once per request.</summary>
    public static async ValueTask<WebContext> ForAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Items.TryGetValue(Key, out var cached) && cached is WebContext done)
        {
            return done;
        }

        var signedIn = await http.RequestServices.GetRequiredService<WebSessions>().AuthenticateAsync(http, http.RequestAborted);
        if (signedIn is { } s)
        {
            // Antiforgery tokens are bound to this identity, so a token minted for one user does not work for another.
            http.User = s.Caller.ToPrincipal("LmvpWeb");
        }

        var context = new WebContext(http, signedIn?.Caller, signedIn?.User);
        http.Items[Key] = context;
        return context;
    }

    /// <summary>The hidden field every form carries (antiforgery).</summary>
    public Markup AntiforgeryField()
    {
        _tokens ??= Service<IAntiforgery>().GetAndStoreTokens(Http);
        var html = new HtmlWriter(256);
        html.Add($"<input type=\"hidden\" name=\"{_tokens.FormFieldName}\" value=\"{_tokens.RequestToken}\">");
        return html.ToMarkup();
    }

    /// <summary>Sends a visitor who is not signed in to the sign-in page, to come back here afterwards.</summary>
    public IResult RedirectToSignIn() =>
        Results.Redirect(Urls.SignIn + Urls.Query(("return", Http.Request.Path.ToUriComponent() + Http.Request.QueryString.ToUriComponent())));

    /// <summary>The site's own origin, for links a person copies (invitation links).</summary>
    public string BaseUrl => Http.Request.Scheme + "://" + Http.Request.Host.ToUriComponent() + Http.Request.PathBase.ToUriComponent();

    /// <summary>The repository <paramref name="owner"/>/<paramref name="name"/> and the caller's role in it, or null when
    /// the caller cannot see it (the same rules as the API: a private repository is invisible to non-members).</summary>
    /// <remarks>A visitor who is not signed in sees public repositories when the server allows anonymous reads.</remarks>
    public async Task<RepositoryView?> OpenRepositoryAsync(string owner, string name) => await OpenRepositoryAsync(Caller ?? Caller.Anonymous, owner, name);

    /// <summary>The repository as <paramref name="caller"/> may see it (a script's bearer token on a download), or null.</summary>
    public async Task<RepositoryView?> OpenRepositoryAsync(Caller caller, string owner, string name)
    {
        if (!Lmvp.Server.Api.Names.IsValid(owner) || !Lmvp.Server.Api.Names.IsValid(name))
        {
            return null;
        }

        var repository = await Store.Repositories.FindRepositoryAsync(owner, name, Aborted);
        if (repository is null)
        {
            return null;
        }

        var role = AccessLevels.Min(await Service<RepositoryAccess>().GetRoleAsync(caller, repository, Aborted), caller.Scope);
        return role == AccessLevel.None ? null : RepositoryView.Open(this, repository, role);
    }
}
