using System.CommandLine;
using System.Globalization;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp reflog [REF] [--all] [-n N] [--json]</c>: where HEAD or a branch pointed, newest first, also after the branch was
/// deleted.</summary>
internal static class ReflogCommand
{
    public static Command Create(CliContext context)
    {
        var reference = new Argument<string>("ref")
        {
            Description = "HEAD (the default), a branch (also a deleted one), a remote-tracking branch, a tag or a full ref name.",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "HEAD",
        }.RejectOptionLikeValues().CompleteRevisions(context);
        var all = new Option<bool>("--all") { Description = "The moves of every ref, interleaved, newest first." };
        var max = new Option<int?>("--max-count", "-n") { Description = "Show at most N entries." };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var command = new Command("reflog", "List where HEAD or a branch pointed before: commits, checkouts, resets, pulls, deletions.") { reference, all, max, json };
        command.SetAction(parseResult =>
        {
            var limit = parseResult.GetValue(max) ?? 1000;
            if (limit <= 0)
            {
                throw new UsageException("-n must be positive");
            }

            using var repository = context.OpenRepository();
            var entries = repository.ReadReflog(parseResult.GetValue(all) ? null : parseResult.GetValue(reference), limit);
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(entries.Select(e => new ReflogEntryJson(
                    e.Ref, e.Old?.ToString(), e.New?.ToString(), e.Time.ToString("O", CultureInfo.InvariantCulture), e.Message))));
                return 0;
            }

            // As git prints it: the id the ref moved to, NAME@{n} (n = 0 is the latest), what moved it; a deletion shows what it was.
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var e in entries)
            {
                var n = counts[e.Ref] = counts.GetValueOrDefault(e.Ref, -1) + 1;
                var id = e.New?.ToShortString() ?? new string('-', e.Old?.ToShortString().Length ?? 7);
                var was = e.New is null && e.Old is { } old ? $" (was {old.ToShortString()})" : "";
                context.Out.WriteLine($"{id} {ShortName(e.Ref)}@{{{n}}}: {e.Message}{was}  [{e.Time.ToLocalTime():yyyy-MM-dd HH:mm}]");
            }

            return 0;
        });
        return command;
    }

    private static string ShortName(string fullName) =>
        fullName.StartsWith(RefName.HeadsPrefix, StringComparison.Ordinal) ? fullName[RefName.HeadsPrefix.Length..]
        : fullName.StartsWith(RefName.RemotesPrefix, StringComparison.Ordinal) ? fullName[RefName.RemotesPrefix.Length..]
        : fullName.StartsWith(RefName.TagsPrefix, StringComparison.Ordinal) ? "tags/" + fullName[RefName.TagsPrefix.Length..]
        : fullName;
}

/// <summary>One reflog entry of <c>lmvp reflog --json</c>.</summary>
internal sealed record ReflogEntryJson(string Ref, string? Old, string? New, string Time, string Message);
