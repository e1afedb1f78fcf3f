using System.Globalization;
using System.Text.Json;
using Lmvp.Server.Auth;
using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Store.Graph;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>History as JSON: pages of commits with metrics and the refs at each, one commit, metric series; and commits made over
/// HTTP from uploaded files.</summary>
internal static class HistoryEndpoints
{
    /// <summary>Commits per page when the request names no limit.</summary>
    public const int DefaultPageSize = 100;

    /// <summary>The most commits one page holds.</summary>
    public const int MaxPageSize = 10_000;

    /// <summary>The most commits a metric series covers.</summary>
    public const int MaxSeriesCommits = 100_000;

    public static void MapHistoryEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/repos/{owner}/{name}").WithTags("History").WithRepositoryAccess().WithErrorResponses(400, 401, 403, 404, 409);
        group.MapGet("/commits", ListAsync)
            .WithSummary("History from a revision (default: the default branch), newest first, in pages (cursor from the previous page).");
        group.MapGet("/commits/{**revision}", GetAsync).WithSummary("One commit, by any revision: branch, tag, full or short id, HEAD~N.");
        group.MapGet("/metrics", MetricsAsync).WithSummary("Metric series along a revision's history, oldest first (names= picks metrics, comma-separated).");
        group.MapPost("/commits", CreateAsync).WithSummary("Commit uploaded files (and deletions) on a branch, by compare-and-swap on its head.")
            .Requires(AccessLevel.Write);
    }

    public static async Task<Results<Ok<CommitPageResponse>, JsonHttpResult<ApiError>>> ListAsync(RepositoryContext repo, IRefStore refs, string? rev,
        int? limit, string? cursor, CancellationToken cancellationToken)
    {
        var size = limit ?? DefaultPageSize;
        if (size is < 1 or > MaxPageSize)
        {
            return Errors.BadRequest($"limit must be 1 to {MaxPageSize}");
        }

        ObjectId head;
        var skip = 0;
        var revision = rev ?? "HEAD";
        if (cursor is not null)
        {
            // The cursor pins the commit the first page started at, so pages stay consistent while the branch moves on.
            var dot = cursor.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0 || !ObjectId.TryParse(cursor[..dot], out head)
                || !int.TryParse(cursor[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out skip))
            {
                return Errors.BadRequest("cursor is not one this server gave out");
            }
        }
        else
        {
            var resolved = await Revisions.ResolveAsync(repo.Graph, revision, cancellationToken);
            if (resolved.Error is { } error)
            {
                return error;
            }

            head = resolved.Commit!.Id;
        }

        var names = await ContentViews.RefNamesAsync(repo.Graph, refs, cancellationToken);
        var page = new List<CommitResponse>(Math.Min(size, 1024));
        var seen = 0;
        var more = false;
        await foreach (var c in History.WalkAsync(repo.Graph, head, cancellationToken))
        {
            if (seen++ < skip)
            {
                continue;
            }

            if (page.Count == size)
            {
                more = true;
                break;
            }

            page.Add(ContentViews.ToResponse(c, names));
        }

        var next = more ? head.ToString() + "." + (skip + size).ToString(CultureInfo.InvariantCulture) : null;
        return TypedResults.Ok(new CommitPageResponse(revision, head.ToString(), page, next));
    }

    public static async Task<Results<Ok<CommitResponse>, JsonHttpResult<ApiError>>> GetAsync(RepositoryContext repo, IRefStore refs, string revision,
        CancellationToken cancellationToken)
    {
        var resolved = await Revisions.ResolveAsync(repo.Graph, revision, cancellationToken);
        return resolved.Error is { } error
            ? error
            : TypedResults.Ok(ContentViews.ToResponse(resolved.Commit!, await ContentViews.RefNamesAsync(repo.Graph, refs, cancellationToken)));
    }

    public static async Task<Results<Ok<MetricSeriesResponse>, JsonHttpResult<ApiError>>> MetricsAsync(RepositoryContext repo, string? rev, string? names,
        CancellationToken cancellationToken)
    {
        var revision = rev ?? "HEAD";
        var resolved = await Revisions.ResolveAsync(repo.Graph, revision, cancellationToken);
        if (resolved.Error is { } error)
        {
            return error;
        }

        var wanted = names?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
        var commits = new List<Commit>();
        await foreach (var c in History.WalkAsync(repo.Graph, resolved.Commit!.Id, cancellationToken))
        {
            if (commits.Count == MaxSeriesCommits)
            {
                return Errors.BadRequest($"the history of '{revision}' has more than {MaxSeriesCommits} commits; name an older revision");
            }

            commits.Add(c);
        }

        commits.Reverse();
        var series = new SortedDictionary<string, double?[]>(StringComparer.Ordinal);
        for (var i = 0; i < commits.Count; i++)
        {
            foreach (var (metric, value) in commits[i].Metrics)
            {
                if (wanted is null || wanted.Contains(metric))
                {
                    if (!series.TryGetValue(metric, out var column))
                    {
                        series[metric] = column = new double?[commits.Count];
                    }

                    column[i] = value;
                }
            }
        }

        foreach (var missing in wanted?.Where(w => !series.ContainsKey(w)) ?? [])
        {
            series[missing] = new double?[commits.Count]; // asked for, never recorded: all gaps
        }

        return TypedResults.Ok(new MetricSeriesResponse(revision, resolved.Commit.Id.ToString(), [.. commits.Select(c => c.Id.ToString())],
            [.. commits.Select(c => c.Time)], series.ToDictionary(s => s.Key, s => (IReadOnlyList<double?>)s.Value, StringComparer.Ordinal)));
    }

    public static async Task<Results<Created<CommitResponse>, JsonHttpResult<ApiError>>> CreateAsync(RepositoryContext repo, CreateCommitRequest request,
        Uploads uploads, ApiCommits commits, RefUpdates refUpdates, IRefStore refs, TimeProvider time, CancellationToken cancellationToken)
    {
        if (!RefName.TryParse(RefName.HeadsPrefix + request.Branch, out _))
        {
            return Errors.BadRequest($"'{request.Branch}' is not a valid branch name: {RefName.Validate(RefName.HeadsPrefix + request.Branch)}");
        }

        if (request.Tag is { } tagName && !RefName.TryParse(RefName.TagsPrefix + tagName, out _))
        {
            return Errors.BadRequest($"'{tagName}' is not a valid tag name: {RefName.Validate(RefName.TagsPrefix + tagName)}");
        }

        var head = await refs.GetRefAsync(repo.Id, RefName.HeadsPrefix + request.Branch, cancellationToken);
        Commit? parent = null;
        if (request.Parent is { } stated)
        {
            if (!ObjectId.TryParse(stated, out var statedId))
            {
                return Errors.BadRequest("parent must be a 64-digit commit id");
            }

            if (head != statedId)
            {
                return Errors.Conflict($"branch {request.Branch} is at {head?.ToShortString() ?? "nothing"}, not {statedId.ToShortString()}: "
                    + "someone committed first; look again and retry");
            }
        }

        if (head is { } h)
        {
            parent = await repo.Graph.FindCommitAsync(h, cancellationToken);
        }

        var files = new List<(string Path, TreeEntry Entry)>();
        foreach (var f in request.Files ?? [])
        {
            if (CheckPath(f.Path) is { } bad)
            {
                return Errors.BadRequest(bad);
            }

            var upload = await uploads.FindAsync(f.Upload, repo.Id, repo.Caller.UserId, cancellationToken);
            if (upload?.FileId is not { } fileId)
            {
                return Errors.BadRequest(upload is null ? $"no upload '{f.Upload}' of yours in this repository (for '{f.Path}')" : $"upload '{f.Upload}' (for '{f.Path}') is not finished");
            }

            files.Add((f.Path, new TreeEntry(f.Path[(f.Path.LastIndexOf('/') + 1)..], TreeEntryKind.File, f.Executable, upload.Received, fileId)));
        }

        foreach (var d in request.Delete ?? [])
        {
            if (CheckPath(d.TrimEnd('/')) is { } bad)
            {
                return Errors.BadRequest(bad);
            }
        }

        var parameters = new List<KeyValuePair<string, ParamValue>>();
        foreach (var (name, value) in request.Params ?? new Dictionary<string, JsonElement>())
        {
            if (ContentViews.FromJson(value) is not { } param)
            {
                return Errors.BadRequest($"param '{name}' must be a number or a string");
            }

            parameters.Add(new(name, param));
        }

        var provenance = request.Provenance is { } p ? new Provenance(p.GitCommit, p.Branch, p.Dirty, p.OriginUrl) { DirtyFiles = p.DirtyFiles ?? [] } : null;
        ApiCommitOutcome outcome;
        try
        {
            outcome = await commits.CommitAsync(repo.Graph, request.Branch, parent, new SnapshotChanges(files, request.Delete ?? []), repo.Caller.UserName,
                time.GetUtcNow(), request.Message, request.Metrics ?? new Dictionary<string, double>(), parameters, provenance, request.AllowEmpty,
                repo.Actor(RefActor.Api), cancellationToken);
        }
        catch (ArgumentException e)
        {
            return Errors.BadRequest(e.Message.Split('\n')[0].Replace(" (Parameter ", " (", StringComparison.Ordinal).TrimEnd('.'));
        }

        if (outcome.Commit is not { } commit)
        {
            return Errors.ForMove(outcome.Move);
        }

        if (request.Tag is { } tag)
        {
            var current = await refs.GetRefAsync(repo.Id, RefName.TagsPrefix + tag, cancellationToken);
            var moved = await refUpdates.MoveAsync(repo.Graph, new(RefName.TagsPrefix + tag, current?.ToString(), commit.Id.ToString(), Force: true),
                repo.Actor(RefActor.Api), cancellationToken);
            if (moved.Status != RefMoveStatus.Moved)
            {
                return Errors.Conflict($"committed {commit.Id.ToShortString()} on {request.Branch}, but tag {tag} did not move: {moved.Message}");
            }
        }

        var response = ContentViews.ToResponse(commit, await ContentViews.RefNamesAsync(repo.Graph, refs, cancellationToken));
        return TypedResults.Created($"/api/v1/repos/{repo.Record.FullName}/commits/{commit.Id}", response);
    }

    /// <summary>Null when a path from a client can name a file in a snapshot, else why not.</summary>
    internal static string? CheckPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path.Length > 4096)
        {
            return "a path must be 1 to 4096 characters";
        }

        foreach (var part in path.Split('/'))
        {
            if (!Tree.IsValidName(part) || part.Any(char.IsControl))
            {
                return $"'{path}' is not a valid path: '{part}' cannot be a file or directory name (use '/' between names, no '.', '..' or empty names)";
            }
        }

        return null;
    }
}
