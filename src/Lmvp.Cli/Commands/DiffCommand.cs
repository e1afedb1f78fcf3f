using System.CommandLine;
using System.Text.Json;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp diff [REV [REV]] [--json]</c>: files added, removed and modified, bytes differing by chunk, metric deltas.</summary>
internal static class DiffCommand
{
    public static Command Create(CliContext context)
    {
        var revisions = new Argument<string[]>("revision")
        {
            Description = "None: HEAD against the working tree. One: REV against the working tree. Two (or A..B): commit against commit.",
            Arity = new ArgumentArity(0, 2),
        }.RejectOptionLikeValues();
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var command = new Command("diff", "Compare two commits, or a commit with the working tree: sizes, bytes that differ by chunk, metric deltas.") { revisions, json };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var (from, to) = SplitRevisions(parseResult.GetValue(revisions) ?? []);
            using var repository = context.OpenRepository();
            var fromId = repository.ResolveCommit(from);
            var toId = to is null ? (ObjectId?)null : repository.ResolveCommit(to);
            var diff = repository.Diff(fromId.ToString(), toId?.ToString(), cancellationToken);
            var added = diff.Files.Count(f => f.Change == FileChangeKind.Added);
            var modified = diff.Files.Count(f => f.Change == FileChangeKind.Modified);
            var deleted = diff.Files.Count(f => f.Change == FileChangeKind.Deleted);
            var differing = diff.Files.Sum(f => f.BytesDiffering);
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    from = fromId.ToString(),
                    to = toId?.ToString(),
                    files = diff.Files.Select(f => new
                    {
                        path = f.Path,
                        change = f.Change.ToString().ToLowerInvariant(),
                        oldSize = f.OldSize,
                        newSize = f.NewSize,
                        bytesDiffering = f.BytesDiffering,
                    }),
                    metrics = diff.Metrics.Select(m => new { name = m.Name, old = m.Old, @new = m.New, delta = m.Delta }),
                    summary = new { filesChanged = diff.Files.Count, added, modified, deleted, bytesDiffering = differing },
                }, JsonOptions.Default));
                return Task.FromResult(0);
            }

            var output = context.Out;
            var pathWidth = diff.Files.Count == 0 ? 0 : diff.Files.Max(f => f.Path.Length);
            foreach (var f in diff.Files)
            {
                var line = f.Change switch
                {
                    FileChangeKind.Added => $"added     {f.Path.PadRight(pathWidth)}  {Format.Bytes(f.NewSize)}",
                    FileChangeKind.Deleted => $"deleted   {f.Path.PadRight(pathWidth)}  {Format.Bytes(f.OldSize)}",
                    _ => $"modified  {f.Path.PadRight(pathWidth)}  {Format.Bytes(f.OldSize)} -> {Format.Bytes(f.NewSize)}, {Format.Bytes(f.BytesDiffering)} differ",
                };
                output.WriteLine(line);
            }

            if (diff.Metrics.Count > 0)
            {
                if (diff.Files.Count > 0)
                {
                    output.WriteLine();
                }

                var nameWidth = diff.Metrics.Max(m => m.Name.Length);
                foreach (var m in diff.Metrics)
                {
                    var old = m.Old is { } o ? Format.Number(o) : "(none)";
                    var @new = m.New is { } n ? Format.Number(n) : "(none)";
                    var delta = m.Delta is { } d ? $"  ({Format.Delta(d)})" : "";
                    output.WriteLine($"metric    {m.Name.PadRight(nameWidth)}  {old} -> {@new}{delta}");
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

                output.WriteLine($" {diff.Files.Count} {(diff.Files.Count == 1 ? "file" : "files")} changed ({string.Join(", ", parts)}), {Format.Bytes(differing)} differing");
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
