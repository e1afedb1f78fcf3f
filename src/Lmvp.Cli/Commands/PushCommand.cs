using System.CommandLine;
using Lmvp.Store;
using Lmvp.Store.Sync;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp push [REMOTE] [BRANCH] [--force] [--tags]</c>: send a branch; only chunks the server lacks go over the wire.</summary>
/// <remarks>Like <c>git push -u</c>, the first push of a branch records the remote as its upstream (branch.NAME.remote),
/// so status, log and pull compare with REMOTE/BRANCH from then on.</remarks>
internal static class PushCommand
{
    public static Command Create(CliContext context)
    {
        var remote = SyncCommandSupport.RemoteArgument();
        var branch = new Argument<string?>("branch") { Description = "The branch (default the current one).", Arity = ArgumentArity.ZeroOrOne }.RejectOptionLikeValues();
        var force = new Option<bool>("--force", "-f") { Description = "Move the remote branch even if that drops commits from it." };
        var tags = new Option<bool>("--tags") { Description = "Also push every tag." };
        var json = SyncCommandSupport.JsonOption();
        var command = new Command("push", "Send a branch (and with --tags, tags) to a remote; refused if the remote has commits you lack.") { remote, branch, force, tags, json };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var result = await SyncCommandSupport.RunAsync(context, (repository, options) => repository.PushAsync(
                parseResult.GetValue(remote)!,
                parseResult.GetValue(branch),
                new PushOptions { Force = parseResult.GetValue(force), Tags = parseResult.GetValue(tags) },
                options,
                cancellationToken));
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(new PushJson(
                    result.Remote, result.Url, result.Updates.Select(SyncCommandSupport.ToJson), result.UpstreamSet, SyncCommandSupport.ToJson(result.Transfer))));
                return result.HasRejections ? LmvpCommandLine.ExitFailure : 0;
            }

            Print(context, result);
            if (result.HasRejections)
            {
                context.Error.WriteLine($"error: failed to push some refs to {result.Url}");
                return LmvpCommandLine.ExitFailure;
            }

            return 0;
        });
        return command;
    }

    private static void Print(CliContext context, PushResult result)
    {
        if (result.Updates.All(u => u.Status == RefUpdateStatus.UpToDate))
        {
            context.Out.WriteLine("Everything up-to-date");
        }
        else
        {
            context.Out.WriteLine($"To {result.Url}");
            SyncCommandSupport.WriteRefLines(context, result.Updates.Where(u => u.Status != RefUpdateStatus.UpToDate).Select(u =>
            {
                var isTag = u.Source.StartsWith(RefName.TagsPrefix, StringComparison.Ordinal);
                var names = $"{SyncCommandSupport.ShortName(u.Source)} -> {SyncCommandSupport.ShortName(u.Destination)}";
                return u.Status switch
                {
                    RefUpdateStatus.Created => ('*', isTag ? "[new tag]" : "[new branch]", names, (string?)null),
                    RefUpdateStatus.FastForward => (' ', SyncCommandSupport.Range(u, ".."), names, null),
                    RefUpdateStatus.Forced => ('+', SyncCommandSupport.Range(u, "..."), names, "(forced update)"),
                    _ => ('!', "[rejected]", names, isTag ? "(already exists)" : "(fetch first)"),
                };
            }));
            context.Out.WriteLine(SyncCommandSupport.Sent(result.Transfer));
        }

        if (result.UpstreamSet)
        {
            var branch = SyncCommandSupport.ShortName(result.Updates[0].Source);
            context.Out.WriteLine($"branch '{branch}' set up to track '{result.Remote}/{branch}'.");
        }
    }
}
