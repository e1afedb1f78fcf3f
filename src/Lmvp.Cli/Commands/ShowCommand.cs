using System.CommandLine;
using System.CommandLine.Parsing;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp show [REV] [-- PATH...] [--tensors] [--json]</c>: one commit's metadata (metrics and params in full precision) and
/// the files it holds, with sizes; with paths, those files; with <c>--tensors</c>, the tensor table of each model file.</summary>
internal static class ShowCommand
{
    public static Command Create(CliContext context)
    {
        var revision = new Argument<string>("revision") { Description = "The commit to show (default HEAD).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "HEAD" }.RejectOptionLikeValues().CompleteRevisions(context);
        var paths = new Argument<string[]>("path") { Description = "Files to show, after --, relative to the current directory.", Arity = ArgumentArity.ZeroOrMore };
        var tensors = new Option<bool>("--tensors") { Description = "Show the tensors of model files (safetensors, torch.save, ONNX, GGUF) with parameter counts." };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var command = new Command("show", "Show a commit: id, author, date, parents, message, metrics and params in full, provenance and its files with sizes.") { revision, paths, tensors, json };
        command.SetAction(parseResult =>
        {
            var (rev, selected, asTensors, asJson) = Split(parseResult, parseResult.GetValue(tensors), parseResult.GetValue(json));
            using var repository = context.OpenRepository();
            var commit = repository.GetCommit(repository.ResolveCommit(rev));
            if (selected.Count > 0 || asTensors)
            {
                return ShowFiles(context, repository, commit, selected, asTensors, asJson);
            }

            var files = repository.ListFiles(commit.Id).OrderBy(f => f.Key, StringComparer.Ordinal).ToList();
            var decorations = LogCommand.Decorations(repository);
            if (asJson)
            {
                context.Out.WriteLine(JsonOptions.Serialize(new ShowJson(
                    LogCommand.ToJson(commit, decorations),
                    files.Select(f => new ShowFileJson(f.Key, KindName(f.Value.Kind), f.Value.IsExecutable, f.Value.Size, f.Value.Id.ToString(), f.Value.LinkTarget)),
                    files.Sum(f => f.Value.Size))));
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

    /// <summary>The revision, the paths and the flags: the argument before <c>--</c> is the revision, those after it paths (git's
    /// habit); <c>--tensors</c> and <c>--json</c> are still flags when written after the paths.</summary>
    private static (string Revision, List<string> Paths, bool Tensors, bool Json) Split(ParseResult parseResult, bool tensors, bool json)
    {
        var before = new List<string>();
        var after = new List<string>();
        var dashed = false;
        foreach (var token in parseResult.Tokens)
        {
            if (token.Type == TokenType.DoubleDash)
            {
                dashed = true;
            }
            else if (token.Type == TokenType.Argument)
            {
                if (dashed && token.Value == "--tensors")
                {
                    tensors = true;
                }
                else if (dashed && token.Value == "--json")
                {
                    json = true;
                }
                else if (!dashed && token.Value.Length > 1 && token.Value[0] == '-')
                {
                    throw new UsageException($"Unrecognized option '{token.Value}'.");
                }
                else
                {
                    (dashed ? after : before).Add(token.Value);
                }
            }
        }

        var revision = before.Count > 0 ? before[0] : "HEAD";
        after.InsertRange(0, before.Skip(1));
        return (revision, after, tensors, json);
    }

    /// <summary>The named files (every file when none is named) with their tensors when asked.</summary>
    private static int ShowFiles(CliContext context, Repository repository, Commit commit, List<string> paths, bool tensors, bool json)
    {
        var files = repository.ListFiles(commit.Id).Where(f => f.Value.Kind == TreeEntryKind.File).ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);
        var chosen = new List<string>();
        foreach (var path in paths)
        {
            var relative = repository.NormalizeUserPath(context.FullPath(path));
            var matched = files.Keys.Where(p => p == relative || relative.Length == 0 || p.StartsWith(relative + "/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
            if (matched.Count == 0)
            {
                throw new ObjectNotFoundException($"Path '{path}' is not a file in commit {commit.Id.ToShortString()}.");
            }

            chosen.AddRange(matched.Where(m => !chosen.Contains(m)));
        }

        if (paths.Count == 0)
        {
            chosen.AddRange(files.Keys.Order(StringComparer.Ordinal));
        }

        var layouts = chosen.Select(p => (Path: p, Entry: files[p], Layout: repository.ReadTensors(commit.Id.ToString(), p))).ToList();
        if (tensors && paths.Count == 0)
        {
            layouts.RemoveAll(l => l.Layout is null); // every file of the commit: only the model files have tensors to show
        }

        if (json)
        {
            context.Out.WriteLine(JsonOptions.Serialize(new ShowTensorsJson(commit.Id.ToString(), layouts.Select(l => TensorTables.ToJson(l.Path, l.Entry, l.Layout, tensors)))));
            return 0;
        }

        foreach (var (path, entry, layout) in layouts)
        {
            if (tensors)
            {
                TensorTables.WriteTable(context.Out, path, layout);
                continue;
            }

            var kind = layout is null ? "" : $", {layout.Format} with {layout.Tensors.Count} tensors ({layout.Parameters:N0} parameters)";
            context.Out.WriteLine($"{path}: {Format.Bytes(entry.Size)}, file {entry.Id}{kind}");
        }

        return 0;
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

/// <summary>What <c>lmvp show --json</c> prints.</summary>
internal sealed record ShowJson(CommitJsonEntry Commit, IEnumerable<ShowFileJson> Files, long TotalSize);

/// <summary>One file of <c>lmvp show --json</c>.</summary>
internal sealed record ShowFileJson(string Path, string Kind, bool Executable, long Size, string Id, string? Target);

/// <summary>What <c>lmvp show --tensors --json</c> (or <c>--layout</c>) prints.</summary>
internal sealed record ShowTensorsJson(string Commit, IEnumerable<FileLayoutJson> Files);
