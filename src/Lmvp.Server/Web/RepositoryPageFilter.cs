using Lmvp.Server.Storage;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;

namespace Lmvp.Server.Web;

/// <summary>The prelude of every page under <c>/repos/{owner}/{name}</c>, declared once for the group: a visitor who is not
/// signed in sees a public repository (unless the server requires sign-in) and goes to the sign-in page for anything else;
/// a signed-in user who cannot see the repository gets the 404 page (as for one that does not exist).</summary>
internal static class RepositoryPageFilter
{
    private static readonly object Key = new();

    /// <summary>Adds the prelude to a group whose routes carry <c>{owner}</c> and <c>{name}</c>; a caller whose role is below
    /// <paramref name="required"/> gets the 403 page with <paramref name="forbidden"/>'s explanation.</summary>
    public static RouteGroupBuilder WithRepositoryPage(this RouteGroupBuilder group, AccessLevel required = AccessLevel.Read,
        Func<RepositoryView, string>? forbidden = null) => group.AddEndpointFilter(async (context, next) =>
    {
        var repository = await ResolveAsync(context.HttpContext);
        if (repository.Refusal is { } refusal)
        {
            return refusal;
        }

        return repository.Role < required && repository.Web.Caller is null
            ? repository.Web.RedirectToSignIn()
            : repository.Role < required
            ? Page.Forbidden(repository.Web, forbidden?.Invoke(repository) ?? $"This needs the {required.ToName()} role in {repository.Record.FullName}.")
            : await next(context);
    });

    /// <summary>The repository of the route, opened for the signed-in caller once per request.</summary>
    internal static async ValueTask<RepositoryView> ResolveAsync(HttpContext http)
    {
        if (http.Items.TryGetValue(Key, out var cached) && cached is RepositoryView done)
        {
            return done;
        }

        var web = await WebContext.ForAsync(http);
        var owner = http.Request.RouteValues["owner"] as string ?? "";
        var name = http.Request.RouteValues["name"] as string ?? "";
        var view = await web.OpenRepositoryAsync(owner, name)
            ?? RepositoryView.Refused(web, web.Caller is null ? web.RedirectToSignIn() : Page.NotFound(web));
        http.Items[Key] = view;
        return view;
    }
}
