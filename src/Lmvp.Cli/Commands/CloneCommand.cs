using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp clone URL [DIR] [--branch B]</c>: a new working tree from a server repository.</summary>
internal static class CloneCommand
{
    public static Command Create(CliContext context)
    {
        var url = new Argument<string>("url") { Description = "The repository URL: http://SERVER/OWNER/NAME." }.RejectOptionLikeValues();
        var directory = new Argument<string?>("directory") { Description = "Where to put it (default: the repository's name).", Arity = ArgumentArity.ZeroOrOne }.RejectOptionLikeValues();
        var branch = new Option<string?>("--branch", "-b") { Description = "The branch to check out (default: the server's default branch)." };
        var config = new Option<string[]>("--config", "-c") { Description = "KEY=VALUE set in the new repository before fetching (e.g. sync.requestBytes=8388608); repeatable.", AllowMultipleArgumentsPerToken = false };
        var json = SyncCommandSupport.JsonOption();
        var allChunks = SyncCommandSupport.AllChunksOption();
        var command = new Command("clone", "Copy a repository's history from a server and check out its files, verified; older versions' chunks come on demand; an interrupted clone resumes when run again.")
        {
            url, directory, branch, config, allChunks, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var source = parseResult.GetValue(url)!;
            string name;
            try
            {
                name = parseResult.GetValue(directory) ?? Repository.CloneDirectoryName(source);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }

            var settings = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in parseResult.GetValue(config) ?? [])
            {
                var equals = pair.IndexOf('=', StringComparison.Ordinal);
                if (equals <= 0)
                {
                    throw new UsageException($"-c expects KEY=VALUE, not '{pair}'");
                }

                settings[pair[..equals]] = pair[(equals + 1)..];
            }

            var target = context.FullPath(name);
            var asJson = parseResult.GetValue(json);
            if (!asJson)
            {
                context.Error.WriteLine($"Cloning into '{name}'...");
            }

            var progress = SyncCommandSupport.Progress(context);
            Store.Sync.CloneResult result;
            try
            {
                result = await Repository.CloneAsync(
                    source,
                    target,
                    new Store.Sync.CloneOptions { Branch = parseResult.GetValue(branch), Config = settings, AllChunks = parseResult.GetValue(allChunks) },
                    SyncCommandSupport.Options(context, progress),
                    cancellationToken);
            }
            catch (Exception e) when (e is LmvpException or IOException or OperationCanceledException && IsUnfinishedClone(target))
            {
                progress?.Done();
                context.Error.WriteLine($"hint: '{name}' keeps what arrived; run the same 'lmvp clone' again (or 'lmvp pull' inside it) to finish, fetching only what is missing.");
                throw;
            }

            progress?.Done();
            if (asJson)
            {
                context.Out.WriteLine(JsonOptions.Serialize(new CloneJson(
                    result.Directory, result.Branch, result.Resumed, SyncCommandSupport.ToJson(result.Fetch), SyncCommandSupport.ToJson(result.Checkout))));
                return 0;
            }

            context.Out.WriteLine(SyncCommandSupport.Received(result.Fetch.Transfer));
            if (result.Checkout is { } c)
            {
                context.Out.WriteLine($"Checked out '{result.Branch}' at {c.Commit.ToShortString()}: {Format.Count(c.FilesWritten, "file")} ({Format.Bytes(c.BytesWritten)}), verified.");
            }
            else
            {
                context.Error.WriteLine("warning: You appear to have cloned an empty repository.");
            }

            return 0;
        });
        return command;
    }

    private static bool IsUnfinishedClone(string directory)
    {
        if (!Directory.Exists(Path.Combine(directory, Repository.DirectoryName)))
        {
            return false;
        }

        try
        {
            using var repository = Repository.Open(directory);
            return repository.IsUnfinishedClone;
        }
        catch (LmvpException)
        {
            return false;
        }
    }
}
