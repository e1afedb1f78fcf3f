using Lmvp.Server.Auth;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Net.Http.Headers;

namespace Lmvp.Server.Web.Pages;

/// <summary>Downloads any file at any commit, streamed from its chunks, with an ETag from the file id and byte ranges.</summary>
/// <remarks>
/// ASP.NET's file result does the HTTP part (Content-Length, single <c>Range</c> → 206 with Content-Range, unsatisfiable →
/// 416, <c>If-Range</c>, <c>If-None-Match</c> → 304; a multi-range request gets the whole file, which HTTP allows) over a
/// <see cref="Lmvp.Store.Graph.VerifiedFileStream"/>, which reads one verified chunk at a time. The file id is the BLAKE3 of the content,
/// so it is a strong validator: the same id is the same bytes at every commit. Signed-in browsers use their cookie;
/// scripts may send the same <c>Authorization: Bearer</c> token as the API (read scope).
/// </remarks>
internal static class DownloadEndpoint
{
    public static void Map(RouteGroupBuilder web) =>
        web.MapMethods("/repos/{owner}/{name}/raw/{commit}/{**path}", [HttpMethods.Get, HttpMethods.Head], DownloadAsync)
            .WithRequestTimeout(Lmvp.Server.Api.RequestLimits.StreamPolicy);

    public static async Task<IResult> DownloadAsync(WebContext web, string owner, string name, string commit, string? path)
    {
        var caller = web.Caller;
        if (caller is null && web.Http.Request.Headers.Authorization.Count > 0)
        {
            var result = await web.Http.AuthenticateAsync(BearerAuthenticationHandler.SchemeName);
            if (!result.Succeeded)
            {
                return Results.Text(result.Failure?.Message ?? "the token is not valid", "text/plain; charset=utf-8", statusCode: StatusCodes.Status401Unauthorized);
            }

            caller = Caller.From(result.Principal);
        }

        if (caller is null)
        {
            return web.RedirectToSignIn();
        }

        var repo = await OpenAsync(web, caller, owner, name);
        if (repo is null || !ObjectId.TryParse(commit, out var commitId) || await repo.TryGetCommitAsync(commitId) is not { } c
            || string.IsNullOrEmpty(path) || await repo.FindEntryAsync(c.TreeId, path.Trim('/')) is not { } entry)
        {
            return Page.NotFound(web);
        }

        if (entry.Kind == TreeEntryKind.Directory)
        {
            return Results.Redirect(Urls.Tree(repo.Owner, repo.Name, c.Id, path.Trim('/')));
        }

        if (entry.Kind != TreeEntryKind.File)
        {
            return Page.Message(web, StatusCodes.Status404NotFound, "Not a file", "This is a symbolic link; it has no content to download.");
        }

        var headers = web.Http.Response.Headers;

        // The bytes behind a URL never change (the commit id pins them), so a browser may keep them; they are still private.
        headers.CacheControl = "private, max-age=31536000, immutable";
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        var stream = await repo.OpenFileAsync(entry.Id);
        return TypedResults.Stream(stream, "application/octet-stream", entry.Name, lastModified: null,
            entityTag: new EntityTagHeaderValue("\"" + entry.Id + "\""), enableRangeProcessing: true);
    }

    private static async Task<RepositoryView?> OpenAsync(WebContext web, Caller caller, string owner, string name)
    {
        if (!Lmvp.Server.Api.Names.IsValid(owner) || !Lmvp.Server.Api.Names.IsValid(name))
        {
            return null;
        }

        var record = await web.Store.Repositories.FindRepositoryAsync(owner, name, web.Aborted);
        if (record is null)
        {
            return null;
        }

        var role = await web.Service<RepositoryAccess>().GetRoleAsync(caller, record, web.Aborted);
        var effective = AccessLevels.Min(role, caller.Scope);
        return effective >= AccessLevel.Read ? RepositoryView.Open(web, record, role) : null;
    }
}
