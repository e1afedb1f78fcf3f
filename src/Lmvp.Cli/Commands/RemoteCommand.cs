using System.CommandLine;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp remote [-v] [list|add|remove|set-url]</c>: named server repositories to push to and pull from.</summary>
internal static class RemoteCommand
{
    public static Command Create(CliContext context)
    {
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Show each remote's URL, as git does: NAME<tab>URL (fetch) and (push)." };
        var command = new Command("remote", "Manage remotes: names for repositories on an lmvp server (http://SERVER/OWNER/NAME). Without a subcommand, list their names.")
        {
            verbose,
        };
        var list = ListCommand(context);
        command.Subcommands.Add(list);
        command.Subcommands.Add(AddCommand(context));
        command.Subcommands.Add(RemoveCommand(context));
        command.Subcommands.Add(SetUrlCommand(context));
        command.SetAction(parseResult =>
        {
            using var repository = context.OpenRepository();
            foreach (var r in repository.ListRemotes())
            {
                context.Out.WriteLine(parseResult.GetValue(verbose) ? $"{r.Name}\t{r.Url} (fetch)\n{r.Name}\t{r.Url} (push)" : r.Name);
            }

            return 0;
        });
        return command;
    }

    private static Command ListCommand(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var command = new Command("list", "List remotes with their URLs.") { json };
        command.SetAction(parseResult => Print(context, parseResult.GetValue(json)));
        return command;
    }

    private static int Print(CliContext context, bool json)
    {
        using var repository = context.OpenRepository();
        var remotes = repository.ListRemotes();
        if (json)
        {
            context.Out.WriteLine(JsonOptions.Serialize(remotes.Select(r => new RemoteJson(r.Name, r.Url))));
            return 0;
        }

        foreach (var r in remotes)
        {
            context.Out.WriteLine($"{r.Name}\t{r.Url}");
        }

        return 0;
    }

    private static Command AddCommand(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The remote's name (origin)." }.RejectOptionLikeValues();
        var url = new Argument<string>("url") { Description = "The repository URL: http://SERVER/OWNER/NAME." }.RejectOptionLikeValues();
        var command = new Command("add", "Add a remote.") { name, url };
        command.SetAction(parseResult =>
        {
            using var repository = context.OpenRepository();
            repository.AddRemote(parseResult.GetValue(name)!, parseResult.GetValue(url)!);
            return 0;
        });
        return command;
    }

    private static Command RemoveCommand(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The remote to remove." }.RejectOptionLikeValues();
        var command = new Command("remove", "Remove a remote, its remote-tracking branches and the upstream settings that name it.");
        command.Aliases.Add("rm");
        command.Arguments.Add(name);
        command.SetAction(parseResult =>
        {
            using var repository = context.OpenRepository();
            repository.RemoveRemote(parseResult.GetValue(name)!);
            return 0;
        });
        return command;
    }

    private static Command SetUrlCommand(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "The remote." }.RejectOptionLikeValues();
        var url = new Argument<string>("url") { Description = "Its new URL: http://SERVER/OWNER/NAME." }.RejectOptionLikeValues();
        var command = new Command("set-url", "Change a remote's URL.") { name, url };
        command.SetAction(parseResult =>
        {
            using var repository = context.OpenRepository();
            repository.SetRemoteUrl(parseResult.GetValue(name)!, parseResult.GetValue(url)!);
            return 0;
        });
        return command;
    }
}

/// <summary>One remote of <c>lmvp remote --json</c>.</summary>
internal sealed record RemoteJson(string Name, string Url);
