using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp restore PATH... [--source REV]</c>: bring files or directories back from a commit without moving HEAD.</summary>
internal static class RestoreCommand
{
    public static Command Create(CliContext context)
    {
        var paths = new Argument<string[]>("path") { Description = "Files or directories, relative to the current directory.", Arity = ArgumentArity.OneOrMore };
        var source = new Option<string>("--source", "-s") { Description = "The commit to restore from (default HEAD).", DefaultValueFactory = _ => "HEAD", HelpName = "REV" };
        var command = new Command("restore", "Restore files or directories in the working tree from a commit (HEAD by default); HEAD does not move.") { paths, source };
        command.SetAction((parseResult, cancellationToken) =>
        {
            using var repository = context.OpenRepository();
            var rev = parseResult.GetValue(source)!;
            var sourceId = repository.ResolveCommit(rev);
            var tracked = repository.ListFiles(sourceId).Select(f => f.Key).ToList();

            // Store paths are relative to the process directory, which need not be the CLI's (tests, embedding): pass them absolute.
            var full = new List<string>();
            foreach (var path in parseResult.GetValue(paths) ?? [])
            {
                var absolute = Path.TrimEndingDirectorySeparator(context.FullPath(path));
                var relative = repository.NormalizeUserPath(absolute); // refuses paths outside the working tree
                if (relative.Length > 0 && !tracked.Any(p => p == relative || p.StartsWith(relative + "/", StringComparison.Ordinal)))
                {
                    throw new ObjectNotFoundException($"Path '{path}' did not match any file in {rev}.");
                }

                full.Add(absolute);
            }

            var progress = context.Progress();
            repository.Restore(full, sourceId.ToString(), progress, cancellationToken);
            (progress as ProgressPrinter)?.Done();
            return Task.FromResult(0);
        });
        return command;
    }
}
