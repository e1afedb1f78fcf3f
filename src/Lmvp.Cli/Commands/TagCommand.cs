using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp tag</c>: list; <c>NAME [REV]</c> create; <c>-d NAME...</c> delete.</summary>
internal static class TagCommand
{
    public static Command Create(CliContext context)
    {
        var names = new Argument<string[]>("name") { Description = "NAME [REV] to create a tag; the tags to delete with -d.", Arity = ArgumentArity.ZeroOrMore };
        var delete = new Option<bool>("--delete", "-d") { Description = "Delete tags." };
        var force = new Option<bool>("--force", "-f") { Description = "Move an existing tag to the new revision." };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also show each tagged commit's metrics when listing." };
        var json = new Option<bool>("--json") { Description = "List as JSON for scripts." };
        var command = new Command("tag", "List, create or delete tags: fixed names for commits, such as a released checkpoint.") { names, delete, force, verbose, json };
        command.SetAction(parseResult =>
        {
            var args = parseResult.GetValue(names) ?? [];
            using var repository = context.OpenRepository();
            if (parseResult.GetValue(delete))
            {
                if (args.Length == 0)
                {
                    throw new UsageException("tag -d needs the name of a tag to delete");
                }

                foreach (var name in args)
                {
                    var deleted = repository.DeleteTag(name);
                    context.Out.WriteLine($"Deleted tag '{name}' (was {deleted.Old!.Value.ToShortString()})");
                }

                return 0;
            }

            switch (args.Length)
            {
                case 0:
                    var tags = repository.ListTags();
                    if (parseResult.GetValue(json))
                    {
                        context.Out.WriteLine(JsonOptions.Serialize(tags.Select(t =>
                        {
                            var commit = repository.GetCommit(t.Value);
                            return new TagJson(t.Key, t.Value.ToString(), commit.Subject, JsonOptions.Metrics(commit.Metrics));
                        })));
                    }
                    else
                    {
                        BranchCommand.WriteRefLines(repository, tags.Select(t => ("", t.Key, t.Value)).ToList(), parseResult.GetValue(verbose), context);
                    }

                    return 0;
                case 1 or 2:
                    var created = repository.CreateTag(args[0], args.Length == 2 ? args[1] : "HEAD", parseResult.GetValue(force));
                    if (created.Old is { } was && created.Moved)
                    {
                        context.Out.WriteLine($"Updated tag '{args[0]}' (was {was.ToShortString()})");
                    }

                    return 0;
                default:
                    throw new UsageException("tag takes NAME [REV] to create a tag");
            }
        });
        return command;
    }
}

/// <summary>One tag of <c>lmvp tag --json</c>.</summary>
internal sealed record TagJson(string Name, string Id, string Subject, Dictionary<string, double> Metrics);
