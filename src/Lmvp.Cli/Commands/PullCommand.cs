using System.CommandLine;
using Lmvp.Store;
using Lmvp.Store.Sync;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp pull [REMOTE] [BRANCH] [--merge]</c>: fetch, then fast-forward the current branch and its files.</summary>
internal static class PullCommand
{
    public static Command Create(CliContext context)
    {
        var remote = SyncCommandSupport.RemoteArgument();
        var branch = new Argument<string?>("branch") { Description = "The remote branch (default the current branch's name).", Arity = ArgumentArity.ZeroOrOne }.RejectOptionLikeValues();
        var merge = new Option<bool>("--merge") { Description = "If the branches diverged, record a merge commit of both (they must have changed different files)." };
        var json = SyncCommandSupport.JsonOption();
        var command = new Command("pull", "Fetch, then fast-forward the current branch to REMOTE/BRANCH and update the files; refuses to overwrite uncommitted changes.")
        {
            remote, branch, merge, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var result = await SyncCommandSupport.RunAsync(context, (repository, options) => repository.PullAsync(
                parseResult.GetValue(remote)!,
                parseResult.GetValue(branch),
                parseResult.GetValue(merge) ? PullMode.Merge : PullMode.FastForwardOnly,
                options,
                cancellationToken));
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(new PullJson(
                    result.Branch,
                    result.Upstream,
                    result.Old?.ToString(),
                    result.New?.ToString(),
                    result.UpToDate,
                    result.Merged,
                    SyncCommandSupport.ToJson(result.Fetch),
                    SyncCommandSupport.ToJson(result.Checkout))));
                return 0;
            }

            SyncCommandSupport.PrintFetch(context, result.Fetch);
            if (result.UpToDate)
            {
                context.Out.WriteLine("Already up to date.");
                return 0;
            }

            if (result.Merged)
            {
                context.Out.WriteLine($"Merge made: {result.New?.ToShortString()} (Merge {result.Upstream} into {result.Branch})");
            }
            else
            {
                context.Out.WriteLine($"Updating {result.Old?.ToShortString() ?? "(no commit)"}..{result.New?.ToShortString()}");
                context.Out.WriteLine("Fast-forward");
            }

            if (result.Checkout is { } c)
            {
                context.Out.WriteLine($" {Format.Count(c.FilesWritten, "file")} written ({Format.Bytes(c.BytesWritten)}), {c.FilesRemoved} removed");
            }

            return 0;
        });
        return command;
    }
}
