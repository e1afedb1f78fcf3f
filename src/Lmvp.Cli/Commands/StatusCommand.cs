using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp status [--ignored]</c>: the working tree against HEAD, in git's short format, paths relative to the current directory.</summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var ignored = new Option<bool>("--ignored") { Description = "Also list what snapshots leave out (!!) and the rule that does: a .lmvpignore line, or 'tracked by git'." };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts (paths from the repository root)." };
        var command = new Command("status", "Show new (??), modified ( M) and deleted ( D) files against HEAD; files git tracks are left to git.") { ignored, json };
        command.SetAction((parseResult, cancellationToken) =>
        {
            using var repository = context.OpenRepository();
            var status = repository.GetStatus(parseResult.GetValue(ignored), cancellationToken);
            var branch = repository.CurrentBranch;
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(new StatusJson(
                    branch,
                    repository.Head?.ToString(),
                    status.Entries.Select(e => new StatusChangeJson(e.Path, e.Change.ToString().ToLowerInvariant())),
                    parseResult.GetValue(ignored) ? status.Ignored.Select(i => new IgnoredJson(i.Path, i.Reason)) : null)));
                return Task.FromResult(0);
            }

            var display = context.RelativePaths(repository);
            context.Out.WriteLine("## " + (branch ?? $"HEAD (detached at {repository.Head?.ToShortString()})") + UpstreamSummary.Describe(repository));
            foreach (var e in status.Entries)
            {
                var code = e.Change switch
                {
                    FileChangeKind.Added => "??",
                    FileChangeKind.Modified => " M",
                    _ => " D",
                };
                context.Out.WriteLine($"{code} {display(e.Path)}");
            }

            var width = status.Ignored.Count == 0 ? 0 : status.Ignored.Max(i => display(i.Path).Length);
            foreach (var i in status.Ignored)
            {
                context.Out.WriteLine($"!! {display(i.Path).PadRight(width)}  ({i.Reason})");
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

/// <summary>What <c>lmvp status --json</c> prints (<see cref="Ignored"/> only with <c>--ignored</c>).</summary>
internal sealed record StatusJson(string? Branch, string? Head, IEnumerable<StatusChangeJson> Changes, IEnumerable<IgnoredJson>? Ignored);

/// <summary>One changed path of <c>lmvp status --json</c>.</summary>
internal sealed record StatusChangeJson(string Path, string Change);

/// <summary>One ignored path of <c>lmvp status --json --ignored</c>, with the rule that ignores it.</summary>
internal sealed record IgnoredJson(string Path, string Reason);
