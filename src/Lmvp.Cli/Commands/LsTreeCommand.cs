using System.CommandLine;
using System.Globalization;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp ls-tree REV [PATH] [-r] [--json]</c>: a directory of a commit, as git ls-tree -l shows it.</summary>
internal static class LsTreeCommand
{
    public static Command Create(CliContext context)
    {
        var revision = new Argument<string>("revision") { Description = "The commit." }.RejectOptionLikeValues().CompleteRevisions(context);
        var path = new Argument<string?>("path") { Description = "A directory (its entries) or a file, from the repository root (default: the root).", Arity = ArgumentArity.ZeroOrOne };
        var recursive = new Option<bool>("-r") { Description = "Recurse into subdirectories, listing files only." };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var command = new Command("ls-tree", "List a directory of a commit: mode, type (blob or tree), id, size and name.") { revision, path, recursive, json };
        command.SetAction(parseResult =>
        {
            using var repository = context.OpenRepository();
            var rev = parseResult.GetValue(revision)!;
            var commit = repository.GetCommit(repository.ResolveCommit(rev));
            var wanted = (parseResult.GetValue(path) ?? "").Trim('/');
            var entries = Entries(repository, commit.TreeId, wanted, parseResult.GetValue(recursive))
                ?? throw new ObjectNotFoundException($"Path '{wanted}' does not exist in '{rev}'.");
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(entries.Select(e => ToJson(e.Path, e.Entry))));
                return 0;
            }

            var width = entries.Count == 0 ? 0 : entries.Max(e => SizeText(e.Entry).Length);
            foreach (var (entryPath, entry) in entries)
            {
                context.Out.WriteLine(Line(entry, entryPath, width));
            }

            return 0;
        });
        return command;
    }

    /// <summary>"100644 blob ID    1234\tpath" (size "-" for a directory), as <c>git ls-tree -l</c>.</summary>
    internal static string Line(TreeEntry entry, string path, int sizeWidth) =>
        $"{ShowCommand.Mode(entry)} {(entry.Kind == TreeEntryKind.Directory ? "tree" : "blob")} {entry.Id} {SizeText(entry).PadLeft(sizeWidth)}\t{path}";

    internal static TreeEntryJson ToJson(string path, TreeEntry entry) => new(
        path,
        ShowCommand.Mode(entry),
        entry.Kind == TreeEntryKind.Directory ? "tree" : "blob",
        entry.Kind.ToString().ToLowerInvariant(),
        entry.Id.ToString(),
        entry.Kind == TreeEntryKind.Directory ? null : entry.Size,
        entry.LinkTarget);

    private static string SizeText(TreeEntry entry) => entry.Kind == TreeEntryKind.Directory ? "-" : entry.Size.ToString(CultureInfo.InvariantCulture);

    /// <summary>The entries of the directory at <paramref name="path"/> (or the file itself), with paths from the root; null when nothing is there.</summary>
    private static List<(string Path, TreeEntry Entry)>? Entries(Repository repository, ObjectId root, string path, bool recursive)
    {
        var treeId = root;
        var prefix = "";
        if (path.Length > 0)
        {
            var parts = path.Split('/');
            for (var i = 0; i < parts.Length; i++)
            {
                var entry = repository.GetTree(treeId).Entries.FirstOrDefault(e => e.Name == parts[i]);
                if (entry is null)
                {
                    return null;
                }

                if (entry.Kind != TreeEntryKind.Directory)
                {
                    return i == parts.Length - 1 ? [(path, entry)] : null;
                }

                treeId = entry.Id;
            }

            prefix = path + "/";
        }

        var result = new List<(string, TreeEntry)>();
        Add(repository, treeId, prefix, recursive, result);
        return result;
    }

    private static void Add(Repository repository, ObjectId treeId, string prefix, bool recursive, List<(string, TreeEntry)> result)
    {
        foreach (var entry in repository.GetTree(treeId).Entries)
        {
            if (recursive && entry.Kind == TreeEntryKind.Directory)
            {
                Add(repository, entry.Id, prefix + entry.Name + "/", recursive, result);
            }
            else
            {
                result.Add((prefix + entry.Name, entry));
            }
        }
    }
}

/// <summary>One entry of <c>lmvp ls-tree --json</c> and <c>lmvp ls-files --json</c>.</summary>
internal sealed record TreeEntryJson(string Path, string Mode, string Type, string Kind, string Id, long? Size, string? Target);
