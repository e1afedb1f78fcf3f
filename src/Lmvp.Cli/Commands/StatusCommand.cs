using System.CommandLine;
using System.Text.Json;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp status</c>: the working tree against HEAD, in git's short format.</summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var command = new Command("status", "Show new (??), modified ( M) and deleted ( D) files against HEAD.") { json };
        command.SetAction((parseResult, cancellationToken) =>
        {
            using var repository = context.OpenRepository();
            var status = repository.GetStatus(cancellationToken);
            var branch = repository.CurrentBranch;
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonSerializer.Serialize(new
                {
                    branch,
                    head = repository.Head?.ToString(),
                    changes = status.Entries.Select(e => new { path = e.Path, change = e.Change.ToString().ToLowerInvariant() }),
                }, JsonOptions.Default));
                return Task.FromResult(0);
            }

            context.Out.WriteLine("## " + (branch ?? $"HEAD (detached at {repository.Head?.ToShortString()})") + UpstreamSummary.Describe(repository));
            foreach (var e in status.Entries)
            {
                var code = e.Change switch
                {
                    FileChangeKind.Added => "??",
                    FileChangeKind.Modified => " M",
                    _ => " D",
                };
                context.Out.WriteLine($"{code} {e.Path}");
            }

            return Task.FromResult(0);
        });
        return command;
    }
}

/// <summary>"...origin/main [ahead 1, behind 2]" for the current branch, when it tracks a remote branch.</summary>
internal static class UpstreamSummary
{
    public static string Describe(Repository repository)
    {
        var branch = repository.CurrentBranch;
        if (branch is null || repository.Head is not { } head)
        {
            return "";
        }

        var remote = repository.GetConfig($"branch.{branch}.remote");
        if (remote is null || repository.GetRef(RefName.RemoteTracking(remote, branch).FullName) is not { } upstream)
        {
            return "";
        }

        var (ahead, behind) = repository.CountAheadBehind(head, upstream);
        var parts = new List<string>();
        if (ahead > 0)
        {
            parts.Add($"ahead {ahead}");
        }

        if (behind > 0)
        {
            parts.Add($"behind {behind}");
        }

        return $"...{remote}/{branch}" + (parts.Count > 0 ? $" [{string.Join(", ", parts)}]" : "");
    }
}
