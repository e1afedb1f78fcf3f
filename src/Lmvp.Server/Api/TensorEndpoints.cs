using Lmvp.Server.Services;
using Lmvp.Store;
using Lmvp.Store.Formats;
using Lmvp.Store.Graph;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Lmvp.Server.Api;

/// <summary>One tensor of a model file.</summary>
internal sealed record TensorResponse(string Name, string Dtype, IReadOnlyList<long> Shape, long Parameters, long Offset, long Length);

/// <summary>The tensors of one file at one commit (an empty list, and no format, for a file that is not a model file).</summary>
internal sealed record FileTensorsResponse(string Commit, string Path, string FileId, long Size, string? Format, long Parameters, long TensorBytes,
    IReadOnlyList<TensorResponse> Tensors);

/// <summary>One tensor compared across two versions of a file.</summary>
internal sealed record TensorChangeResponse(string Name, string Change, string Dtype, IReadOnlyList<long> Shape, string? OldDtype, IReadOnlyList<long>? OldShape,
    long Bytes, long BytesDiffering);

/// <summary>The tensors of one changed model file compared.</summary>
internal sealed record FileTensorDiffResponse(string Path, string? OldFormat, string? NewFormat, int Added, int Removed, int Changed, int Unchanged,
    long BytesDiffering, IReadOnlyList<TensorChangeResponse> Tensors);

/// <summary>Every changed model file between two commits, tensor by tensor.</summary>
internal sealed record TensorDiffResponse(string From, string To, IReadOnlyList<FileTensorDiffResponse> Files);

/// <summary>Tensor views of model files (safetensors, torch.save, ONNX, GGUF), from their headers and chunk ids alone: a file's
/// tensors at a revision (<c>tensors/{rev}/{path}</c>, as <c>tree/</c> and <c>resolve/</c> name files), and which tensors changed
/// between two revisions (<c>tensordiff?from=&amp;to=</c>, as the web's compare page takes them).</summary>
internal static class TensorEndpoints
{
    public static void MapTensorEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/repos/{owner}/{name}").WithTags("Tensors").WithRepositoryAccess().WithErrorResponses(400, 401, 403, 404, 503);
        group.MapGet("/tensors/{**revisionAndPath}", GetAsync)
            .WithSummary("The tensors of a model file at a revision (a branch, tag, id or HEAD~N): names, dtypes, shapes, parameter counts, byte ranges.");
        group.MapGet("/tensordiff", DiffAsync)
            .WithSummary("Tensors added, removed, changed and unchanged in each model file that differs between two revisions (decided by chunk ids).");
    }

    public static async Task<Results<Ok<FileTensorsResponse>, JsonHttpResult<ApiError>>> GetAsync(string revisionAndPath, RepositoryContext repo,
        RepositoryTensors tensors, CancellationToken cancellationToken)
    {
        var resolved = await Revisions.ResolveWithPathAsync(repo.Graph, revisionAndPath, cancellationToken);
        if (resolved.Error is { } error)
        {
            return error;
        }

        var commit = resolved.Commit!;
        if (resolved.Path.Length == 0)
        {
            return Errors.BadRequest($"name a file after the revision: tensors/{resolved.Revision}/PATH");
        }

        var entry = await TreeWalk.FindEntryAsync(repo.Graph, commit.TreeId, resolved.Path, cancellationToken);
        if (entry is null || entry.Kind != TreeEntryKind.File)
        {
            return Errors.NotFound($"'{resolved.Path}' is not a file in {commit.Id.ToShortString()} ('{resolved.Revision}')");
        }

        var layout = await tensors.LayoutAsync(repo.Graph, entry.Id, resolved.Path, cancellationToken);
        return TypedResults.Ok(new FileTensorsResponse(commit.Id.ToString(), resolved.Path, entry.Id.ToString(), entry.Size, layout?.Format, layout?.Parameters ?? 0,
            layout?.TensorBytes ?? 0, [.. (layout?.Tensors ?? []).Select(ToResponse)]));
    }

    public static async Task<Results<Ok<TensorDiffResponse>, JsonHttpResult<ApiError>>> DiffAsync(string? from, string? to, string? path, RepositoryContext repo,
        RepositoryTensors tensors, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(from) || string.IsNullOrEmpty(to))
        {
            return Errors.BadRequest("from and to are required (revisions: a branch, tag, id or HEAD~N)");
        }

        var fromResolved = await Revisions.ResolveAsync(repo.Graph, from, cancellationToken);
        if (fromResolved.Error is { } fromError)
        {
            return fromError;
        }

        var toResolved = await Revisions.ResolveAsync(repo.Graph, to, cancellationToken);
        if (toResolved.Error is { } toError)
        {
            return toError;
        }

        var (fromCommit, toCommit) = (fromResolved.Commit!, toResolved.Commit!);
        var files = await SnapshotDiffer.CompareTreesAsync(repo.Graph, fromCommit.TreeId, toCommit.TreeId, cancellationToken);
        var selected = path is null ? files : files.Where(f => f.Path == path.Trim('/')).ToList();
        var diffs = await tensors.CompareAsync(repo.Graph, selected, cancellationToken);
        return TypedResults.Ok(new TensorDiffResponse(fromCommit.Id.ToString(), toCommit.Id.ToString(), [.. diffs.Select(ToResponse)]));
    }

    private static TensorResponse ToResponse(TensorInfo t) => new(t.Name, t.DType, t.Shape, t.Parameters, t.Offset, t.Length);

    private static FileTensorDiffResponse ToResponse(FileTensorDiff f) => new(f.Path, f.OldFormat, f.NewFormat, f.Count(TensorChange.Added),
        f.Count(TensorChange.Removed), f.Count(TensorChange.Changed), f.Count(TensorChange.Unchanged), f.BytesDiffering,
        [.. f.Tensors.Select(t => new TensorChangeResponse(t.Name, t.Change.ToString().ToLowerInvariant(), (t.New ?? t.Old)!.DType, (t.New ?? t.Old)!.Shape,
            t.Old?.DType, t.Old?.Shape, (t.New ?? t.Old)!.Length, t.BytesDiffering))]);
}
