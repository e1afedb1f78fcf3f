using System.CommandLine;
using Lmvp.Store;
using Lmvp.Store.Sync;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp fetch [REMOTE]</c>: download new commits and move the remote-tracking branches (origin/main) and tags.</summary>
internal static class FetchCommand
{
    public static Command Create(CliContext context)
    {
        var remote = SyncCommandSupport.RemoteArgument();
        var json = SyncCommandSupport.JsonOption();
        var allChunks = SyncCommandSupport.AllChunksOption();
        var command = new Command("fetch", "Download commits and tags from a remote, and the files of your branch's upstream; moves REMOTE/BRANCH refs, never your branches.")
        {
            remote, allChunks, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var result = await SyncCommandSupport.RunAsync(context, (repository, options) => repository.FetchAsync(
                parseResult.GetValue(remote)!, new FetchOptions { AllChunks = parseResult.GetValue(allChunks) }, options, cancellationToken));
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(SyncCommandSupport.ToJson(result)));
                return 0;
            }

            SyncCommandSupport.PrintFetch(context, result);
            return 0;
        });
        return command;
    }
}
