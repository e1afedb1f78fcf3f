using System.CommandLine;
using System.Text.Json;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp show [REV] [--json]</c>: one commit's metadata (metrics and params in full precision) and the files it holds, with sizes.</summary>
internal static class ShowCommand
{
    public static Command Create(CliContext context)
    {
        var revision = new Argument<string>("revision") { Description = "The commit to show (default HEAD).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "HEAD" }.RejectOptionLikeValues().CompleteRevisions(context);
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var command = new Command("show", "Show a commit: id, author, date, parents, message, metrics and params in full, provenance and its files with sizes.") { revision, json };
        command.SetAction(parseResult =>
        {
            using var repository = context.OpenRepository();
            var commit = repository.GetCommit(repository.ResolveCommit(parseResult.GetValue(revision)!));
            var files = repository.ListFiles(commit.Id).OrderBy(f => f.Key, StringComparer.Ordinal).ToList();
            var decorations = LogCommand.Decorations(repository);
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    commit = LogCommand.ToJson(commit, decorations),
                    files = files.Select(f => new
                    {
                        path = f.Key,
                        kind = KindName(f.Value.Kind),
                        executable = f.Value.IsExecutable,
                        size = f.Value.Size,
                        id = f.Value.Id.ToString(),
                        target = f.Value.LinkTarget,
                    }),
                    totalSize = files.Sum(f => f.Value.Size),
                }, JsonOptions.Default));
                return 0;
            }

            var output = context.Out;
            var refs = decorations.TryGetValue(commit.Id, out var names) ? $" ({string.Join(", ", names)})" : "";
            output.WriteLine($"commit {commit.Id}{refs}");
            if (commit.Parents.Count > 0)
            {
                output.WriteLine((commit.Parents.Count > 1 ? "Merge:   " : "Parent:  ") + string.Join(" ", commit.Parents.Select(p => p.ToShortString())));
            }

            output.WriteLine($"Author:  {commit.Author}");
            output.WriteLine($"Date:    {Format.Time(commit.Time)}");
            if (commit.Metrics.Count > 0)
            {
                output.WriteLine($"Metrics: {Format.Metrics(commit.Metrics, full: true)}");
            }

            if (commit.Params.Count > 0)
            {
                output.WriteLine($"Params:  {Format.Params(commit.Params, full: true)}");
            }

            if (commit.Provenance is { } provenance)
            {
                output.WriteLine($"Code:    {Format.Provenance(provenance)}");
            }

            output.WriteLine();
            foreach (var line in commit.Message.TrimEnd().Split('\n'))
            {
                output.WriteLine("    " + line.TrimEnd('\r'));
            }

            output.WriteLine();
            output.WriteLine($"{Format.Count(files.Count, "file")}, {Format.Bytes(files.Sum(f => f.Value.Size))}");
            var sizes = files.Select(f => Format.Bytes(f.Value.Size)).ToList();
            var width = sizes.Count == 0 ? 0 : sizes.Max(s => s.Length);
            for (var i = 0; i < files.Count; i++)
            {
                var (path, entry) = (files[i].Key, files[i].Value);
                var link = entry.Kind == TreeEntryKind.Symlink ? $" -> {entry.LinkTarget}" : "";
                output.WriteLine($"  {Mode(entry)}  {sizes[i].PadLeft(width)}  {path}{link}");
            }

            return 0;
        });
        return command;
    }

    /// <summary>The mode git shows for an entry: 100644 file, 100755 executable, 120000 symlink.</summary>
    internal static string Mode(TreeEntry entry) => entry.Kind switch
    {
        TreeEntryKind.Symlink => "120000",
        TreeEntryKind.Directory => "040000",
        _ => entry.IsExecutable ? "100755" : "100644",
    };

    private static string KindName(TreeEntryKind kind) => kind switch
    {
        TreeEntryKind.Symlink => "symlink",
        TreeEntryKind.Directory => "directory",
        _ => "file",
    };
}
