using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp ls-files [REV] [-l] [--json]</c>: the files a commit holds under the current directory, relative to it.</summary>
internal static class LsFilesCommand
{
    public static Command Create(CliContext context)
    {
        var revision = new Argument<string>("revision") { Description = "The commit (default HEAD).", Arity = ArgumentArity.ZeroOrOne, DefaultValueFactory = _ => "HEAD" }.RejectOptionLikeValues().CompleteRevisions(context);
        var longFormat = new Option<bool>("--long", "-l") { Description = "Also show each file's mode, id and size." };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts (paths from the repository root)." };
        var command = new Command("ls-files", "List the files of a commit (default HEAD) under the current directory, relative to it.") { revision, longFormat, json };
        command.SetAction(parseResult =>
        {
            using var repository = context.OpenRepository();
            var commit = repository.ResolveCommit(parseResult.GetValue(revision)!);
            var here = repository.NormalizeUserPath(Path.GetFullPath(context.WorkingDirectory));
            var files = repository.ListFiles(commit)
                .Where(f => here.Length == 0 || f.Key.StartsWith(here + "/", StringComparison.Ordinal)).ToList();
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(files.Select(f => LsTreeCommand.ToJson(f.Key, f.Value))));
                return 0;
            }

            var display = context.RelativePaths(repository);
            var width = files.Count == 0 ? 0 : files.Max(f => f.Value.Size.ToString(System.Globalization.CultureInfo.InvariantCulture).Length);
            foreach (var (path, entry) in files)
            {
                context.Out.WriteLine(parseResult.GetValue(longFormat) ? LsTreeCommand.Line(entry, display(path), width) : display(path));
            }

            return 0;
        });
        return command;
    }
}
