using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp diff [REV [REV]] [--tensors] [--json]</c>: files added, removed and modified, bytes differing by chunk, metric
/// deltas, changed params; with <c>--tensors</c>, the tensors of each changed model file. Paths relative to the current directory.</summary>
internal static class DiffCommand
{
    public static Command Create(CliContext context)
    {
        var revisions = new Argument<string[]>("revision")
        {
            Description = "None: HEAD against the working tree. One: REV against the working tree. Two (or A..B): commit against commit.",
            Arity = new ArgumentArity(0, 2),
        }.RejectOptionLikeValues().CompleteRevisions(context);
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var tensors = new Option<bool>("--tensors") { Description = "For each changed model file: tensors added, removed, changed and unchanged (from headers and chunk ids)." };
        var command = new Command("diff", "Compare two commits, or a commit with the working tree: sizes, bytes that differ by chunk, metric deltas, changed params.") { revisions, tensors, json };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var (from, to) = SplitRevisions(parseResult.GetValue(revisions) ?? []);
            using var repository = context.OpenRepository();
            var fromId = repository.ResolveCommit(from);
            var toId = to is null ? (ObjectId?)null : repository.ResolveCommit(to);
            var diff = parseResult.GetValue(tensors)
                ? repository.DiffTensors(fromId.ToString(), toId?.ToString(), cancellationToken)
                : repository.Diff(fromId.ToString(), toId?.ToString(), cancellationToken);
            var added = diff.Files.Count(f => f.Change == FileChangeKind.Added);
            var modified = diff.Files.Count(f => f.Change == FileChangeKind.Modified);
            var deleted = diff.Files.Count(f => f.Change == FileChangeKind.Deleted);
            var differing = diff.Files.Sum(f => f.BytesDiffering);
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(new DiffJson(
                    fromId.ToString(),
                    toId?.ToString(),
                    diff.Files.Select(f => new FileChangeJson(f.Path, f.Change.ToString().ToLowerInvariant(), f.OldSize, f.NewSize, f.BytesDiffering)),
                    diff.Metrics.Select(m => new MetricChangeJson(m.Name, m.Old, m.New, m.Delta)),
                    diff.Params.Select(p => new ParamChangeJson(p.Name, p.Old, p.New)),
                    diff.Tensors?.Select(TensorTables.ToJson),
                    new DiffSummaryJson(diff.Files.Count, added, modified, deleted, differing))));
                return Task.FromResult(0);
            }

            var output = context.Out;
            var display = context.RelativePaths(repository);
            var paths = diff.Files.Select(f => display(f.Path)).ToList();
            var pathWidth = paths.Count == 0 ? 0 : paths.Max(p => p.Length);
            for (var i = 0; i < diff.Files.Count; i++)
            {
                var (f, path) = (diff.Files[i], paths[i].PadRight(pathWidth));
                var line = f.Change switch
                {
                    FileChangeKind.Added => $"added     {path}  {Format.Bytes(f.NewSize)}",
                    FileChangeKind.Deleted => $"deleted   {path}  {Format.Bytes(f.OldSize)}",
                    _ => $"modified  {path}  {Format.Bytes(f.OldSize)} -> {Format.Bytes(f.NewSize)}, {Format.Bytes(f.BytesDiffering)} differ",
                };
                output.WriteLine(line);
            }

            foreach (var file in diff.Tensors ?? [])
            {
                TensorTables.WriteDiff(output, file);
            }

            if (diff.Metrics.Count + diff.Params.Count > 0)
            {
                if (diff.Files.Count > 0)
                {
                    output.WriteLine();
                }

                var nameWidth = diff.Metrics.Select(m => m.Name.Length).Concat(diff.Params.Select(p => p.Name.Length)).Max();
                foreach (var m in diff.Metrics)
                {
                    var old = m.Old is { } o ? Format.Number(o) : "(none)";
                    var @new = m.New is { } n ? Format.Number(n) : "(none)";
                    var delta = m.Delta is { } d ? $"  ({Format.Delta(d)})" : "";
                    output.WriteLine($"metric    {m.Name.PadRight(nameWidth)}  {old} -> {@new}{delta}");
                }

                foreach (var p in diff.Params)
                {
                    var old = p.Old is { } o ? Format.Param(o) : "(none)";
                    var @new = p.New is { } n ? Format.Param(n) : "(none)";
                    output.WriteLine($"param     {p.Name.PadRight(nameWidth)}  {old} -> {@new}");
                }
            }

            if (diff.Files.Count > 0)
            {
                var parts = new List<string>();
                if (added > 0)
                {
                    parts.Add($"{added} added");
                }

                if (modified > 0)
                {
                    parts.Add($"{modified} modified");
                }

                if (deleted > 0)
                {
                    parts.Add($"{deleted} deleted");
                }

                output.WriteLine($" {Format.Count(diff.Files.Count, "file")} changed ({string.Join(", ", parts)}), {Format.Bytes(differing)} differing");
            }

            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>[] → HEAD vs working tree; [A] → A vs working tree; [A, B] or ["A..B"] → A vs B.</summary>
    internal static (string From, string? To) SplitRevisions(IReadOnlyList<string> revisions)
    {
        if (revisions.Count == 1 && revisions[0].Contains("..", StringComparison.Ordinal))
        {
            var parts = revisions[0].Split("..", 2);
            return (parts[0].Length == 0 ? "HEAD" : parts[0], parts[1].Length == 0 ? "HEAD" : parts[1]);
        }

        return revisions.Count switch
        {
            0 => ("HEAD", null),
            1 => (revisions[0], null),
            _ => (revisions[0], revisions[1]),
        };
    }
}

/// <summary>What <c>lmvp diff --json</c> prints (<see cref="Tensors"/> only with <c>--tensors</c>).</summary>
internal sealed record DiffJson(
    string From, string? To, IEnumerable<FileChangeJson> Files, IEnumerable<MetricChangeJson> Metrics, IEnumerable<ParamChangeJson> Params,
    IEnumerable<FileTensorDiffJson>? Tensors, DiffSummaryJson Summary);

/// <summary>One changed file of <c>lmvp diff --json</c>.</summary>
internal sealed record FileChangeJson(string Path, string Change, long? OldSize, long? NewSize, long BytesDiffering);

/// <summary>One metric of <c>lmvp diff --json</c> (null where a side lacks it).</summary>
internal sealed record MetricChangeJson(string Name, double? Old, double? New, double? Delta);

/// <summary>One param of <c>lmvp diff --json</c> (null where a side lacks it).</summary>
internal sealed record ParamChangeJson(string Name, ParamValue? Old, ParamValue? New);

/// <summary>The counts of <c>lmvp diff --json</c>.</summary>
internal sealed record DiffSummaryJson(int FilesChanged, int Added, int Modified, int Deleted, long BytesDiffering);
