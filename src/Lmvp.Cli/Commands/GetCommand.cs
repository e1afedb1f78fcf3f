using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp get URL PATH [--rev REV] [-o FILE]</c>: one file from a server repository, without a clone.</summary>
internal static class GetCommand
{
    public static Command Create(CliContext context)
    {
        var url = new Argument<string>("url") { Description = "The repository URL: http://SERVER/OWNER/NAME." }.RejectOptionLikeValues();
        var path = new Argument<string>("path") { Description = "The file's path in the repository." }.RejectOptionLikeValues();
        var revision = new Option<string>("--rev", "-r") { Description = "A branch, tag or commit (default: the server's default branch).", DefaultValueFactory = _ => "HEAD" };
        var output = new Option<string?>("--output", "-o") { Description = "Where to write it (default: the file's name, in the current directory)." };
        var json = SyncCommandSupport.JsonOption();
        var command = new Command("get", "Download one file from a server repository, verified against its id; an interrupted download resumes when run again.")
        {
            url, path, revision, output, json,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var file = parseResult.GetValue(path)!.Trim('/');
            var target = context.FullPath(parseResult.GetValue(output) ?? file[(file.LastIndexOf('/') + 1)..]);
            if (Directory.Exists(target))
            {
                target = Path.Combine(target, file[(file.LastIndexOf('/') + 1)..]);
            }

            var progress = SyncCommandSupport.Progress(context);
            Store.Sync.RemoteFileResult result;
            try
            {
                result = await Store.Sync.RemoteFiles.DownloadAsync(parseResult.GetValue(url)!, file, target, parseResult.GetValue(revision)!,
                    SyncCommandSupport.Options(context, progress), cancellationToken);
            }
            catch (ArgumentException e)
            {
                throw new UsageException(e.Message);
            }
            finally
            {
                progress?.Done();
            }

            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(new GetJson(result.Destination, result.Commit.ToString(), result.FileId.ToString(), result.Size, result.BytesReceived)));
                return 0;
            }

            var resumed = result.BytesReceived < result.Size ? $", resumed: {Format.Bytes(result.BytesReceived)} received" : "";
            context.Out.WriteLine($"{Path.GetRelativePath(context.WorkingDirectory, result.Destination)}: {Format.Bytes(result.Size)} from {result.Commit.ToShortString()}, verified{resumed}");
            return 0;
        });
        return command;
    }
}

/// <summary>What <c>lmvp get --json</c> prints.</summary>
internal sealed record GetJson(string Path, string Commit, string FileId, long Size, long BytesReceived);
