using Lmvp.Server.Api;
using Lmvp.Store;
using Lmvp.Store.Refs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Services;

/// <summary>A revision in a URL resolved to a commit, or the error to answer.</summary>
/// <param name="Commit">The commit, when resolved.</param>
/// <param name="Revision">The revision as typed.</param>
/// <param name="Path">What followed the revision in a <c>{rev}/{path}</c> URL ("" for none).</param>
/// <param name="Error">The 404 or 400 to answer, when not resolved.</param>
internal sealed record ResolvedRevision(Commit? Commit, string Revision, string Path, JsonHttpResult<ApiError>? Error);

/// <summary>Revisions in URLs and API requests, resolved by the same code as the CLI (<see cref="RevisionResolver"/>): branches,
/// tags, full or unique short ids, <c>HEAD</c>, and <c>~N</c>/<c>^</c> suffixes.</summary>
/// <remarks>In a <c>{rev}/{path}</c> URL a branch name may itself hold slashes (<c>feature/x/model.pt</c>): the shortest leading
/// run of segments that names a revision is the revision, the rest is the path. A slash inside a revision may also be sent
/// encoded as <c>%2F</c>.</remarks>
internal static class Revisions
{
    /// <summary>Resolves one revision.</summary>
    public static async Task<ResolvedRevision> ResolveAsync(RepositoryGraph graph, string? revision, CancellationToken cancellationToken)
    {
        // ASP.NET decodes a path except %2F, which it leaves for the application: here it is a slash inside a branch name.
        revision = (revision ?? "").Replace("%2F", "/", StringComparison.OrdinalIgnoreCase).Trim();
        if (revision.Length == 0)
        {
            return new(null, revision, "", Errors.BadRequest("a revision is required (a branch, tag or commit id)"));
        }

        try
        {
            var id = await RevisionResolver.ResolveAsync(graph, graph, revision, cancellationToken).ConfigureAwait(false);
            return await graph.FindCommitAsync(id, cancellationToken).ConfigureAwait(false) is { } commit
                ? new(commit, revision, "", null)
                : new(null, revision, "", Errors.NotFound($"commit {id.ToShortString()} of '{revision}' is not on the server"));
        }
        catch (AmbiguousRevisionException e)
        {
            return new(null, revision, "", Errors.BadRequest(e.Message.TrimEnd('.')));
        }
        catch (ObjectNotFoundException e)
        {
            return new(null, revision, "", Errors.NotFound(e.Message.TrimEnd('.')));
        }
    }

    /// <summary>Splits <c>{rev}/{path}</c> at the shortest leading revision that resolves.</summary>
    public static async Task<ResolvedRevision> ResolveWithPathAsync(RepositoryGraph graph, string? revisionAndPath, CancellationToken cancellationToken)
    {
        var parts = (revisionAndPath ?? "").Trim('/').Split('/');
        ResolvedRevision? first = null;
        for (var n = 1; n <= parts.Length; n++)
        {
            var resolved = await ResolveAsync(graph, string.Join('/', parts[..n]), cancellationToken).ConfigureAwait(false);
            if (resolved.Error is null)
            {
                return resolved with { Path = string.Join('/', parts[n..]) };
            }

            first ??= resolved;
            if (resolved.Error.StatusCode != StatusCodes.Status404NotFound)
            {
                return resolved; // an ambiguous short id: more segments would not make it less so
            }
        }

        return first!;
    }
}
