using Lmvp.Server.Api;
using Lmvp.Server.Auth;
using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Net.Http.Headers;

namespace Lmvp.Server.Web.Pages;

/// <summary>Downloads any file at any revision (branch, tag, full or short id), streamed from its chunks, with an ETag from the file id and byte ranges.</summary>
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
        web.MapMethods("/repos/{owner}/{name}/raw/{**revisionAndPath}", [HttpMethods.Get, HttpMethods.Head], DownloadAsync)
            .WithRequestTimeout(Lmvp.Server.Api.RequestLimits.StreamPolicy);

    public static async Task<IResult> DownloadAsync(WebContext web, string owner, string name, string? revisionAndPath)
    {
        var caller = web.Caller;
        if (caller is null && web.Http.Request.Headers.Authorization.Count > 0)
        {
            var result = await web.Http.AuthenticateAsync(BearerAuthenticationHandler.SchemeName);
            if (!result.Succeeded)
            {
                return Errors.Unauthorized(result.Failure?.Message ?? "the token is not valid");
            }

            caller = Caller.From(result.Principal);
        }

        var repo = await web.OpenRepositoryAsync(caller ?? Caller.Anonymous, owner, name);
        if (repo is null && caller is null)
        {
            // A browser signs in and comes back; a script gets a JSON 401, never a sign-in page saved as "the file".
            return WantsPage(web.Http.Request) ? web.RedirectToSignIn() : Errors.Unauthorized(RepositoryAccess.AuthenticationRequired);
        }

        var resolved = repo is null ? null : await repo.ResolveWithPathAsync(revisionAndPath);
        if (repo is null || resolved?.Commit is not { } c || resolved.Path.Length == 0 || await repo.FindEntryAsync(c.TreeId, resolved.Path) is not { } entry)
        {
            return WantsPage(web.Http.Request) ? Page.NotFound(web) : Errors.NotFound("no such file");
        }

        var path = resolved.Path;
        if (entry.Kind == TreeEntryKind.Directory)
        {
            return Results.Redirect(Urls.Tree(repo.Owner, repo.Name, c.Id, path));
        }

        if (entry.Kind != TreeEntryKind.File)
        {
            return Page.Message(web, StatusCodes.Status404NotFound, "Not a file", "This is a symbolic link; it has no content to download.");
        }

        // A file is verified whole once before it is first served, so one whose chunks do not hash to its id is a clear error for
        // that file, not a connection cut after its last byte.
        var manifest = await repo.GetManifestAsync(entry.Id);
        if (await web.Service<FileVerifier>().VerifyOnceAsync(repo.Id, manifest, web.Aborted) is { } bad)
        {
            return Damaged(web, path, bad);
        }

        var headers = web.Http.Response.Headers;

        // A URL with a full commit id always names the same bytes, so a browser may keep them; one with a branch is revalidated.
        headers.CacheControl = resolved.Revision == c.Id.ToString() ? "private, max-age=31536000, immutable" : "private, no-cache";
        headers.ContentSecurityPolicy = "default-src 'none'; sandbox";
        var stream = new Lmvp.Store.Graph.VerifiedFileStream(repo.Graph, manifest, web.Aborted);
        return TypedResults.Stream(stream, "application/octet-stream", entry.Name, lastModified: null,
            entityTag: new EntityTagHeaderValue("\"" + entry.Id + "\""), enableRangeProcessing: true);
    }

    /// <summary>The answer for a file whose stored copy does not verify: a page for a browser, JSON for a script.</summary>
    private static IResult Damaged(WebContext web, string path, FileProblem bad)
    {
        var message = FileEndpoints.DamagedMessage(path, bad);
        web.Service<ILoggerFactory>().CreateLogger("Lmvp.Server.Storage").LogWarning("Damaged file on {Path}: {Problem}", web.Http.Request.Path, message);
        return WantsPage(web.Http.Request)
            ? Page.Message(web, StatusCodes.Status500InternalServerError, "File damaged", message)
            : Errors.Coded(StatusCodes.Status500InternalServerError, Lmvp.Store.Protocol.ApiErrorCodes.Damaged, message);
    }

    /// <summary>True for a browser navigating (it accepts HTML and sent no token).</summary>
    private static bool WantsPage(HttpRequest request) =>
        request.Headers.Authorization.Count == 0 && request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);
}
