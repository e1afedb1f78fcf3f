using System.CommandLine;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp gc [--dry-run] [--prune=EXPIRY] [--json]</c>: remove what no branch, tag, remote-tracking ref, HEAD or recent reflog
/// entry reaches.</summary>
internal static class GcCommand
{
    public static Command Create(CliContext context)
    {
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Print what would be freed, in bytes, and change nothing." };
        var prune = new Option<string?>("--prune")
        {
            Description = "Keep what reflog entries younger than this reach: 'now' keeps none, 'never' all, or days (14, 2.weeks); default gc.reflogExpire or 14 days.",
            HelpName = "expiry",
        };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var command = new Command("gc", "Remove unreachable chunks and objects by rewriting the packs that hold them; delete leftovers of interrupted commits.")
        {
            dryRun, prune, json,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            using var repository = context.OpenRepository();
            var progress = context.Progress();
            TimeSpan? expiry = null;
            if (parseResult.GetValue(prune) is { } text)
            {
                expiry = Repository.TryParseExpiry(text, out var parsed)
                    ? parsed
                    : throw new UsageException($"--prune={text} is not an expiry: use now, never, or a number of days (14, 14.days, 2.weeks)");
            }

            var result = repository.CollectGarbage(parseResult.GetValue(dryRun), expiry, progress, cancellationToken);
            (progress as ProgressPrinter)?.Done();
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(new GcJson(
                    result.DryRun,
                    result.BytesFreed,
                    result.ChunksRemoved,
                    result.ObjectsRemoved,
                    result.PacksRewritten,
                    result.PacksDeleted,
                    result.LeftoverPacksDeleted,
                    result.PackBytesBefore,
                    result.PackBytesAfter,
                    result.ReflogEntriesExpired,
                    result.Warnings,
                    result.PromisedChunks)));
            }
            else
            {
                var details = new List<string>();
                Add(details, result.ChunksRemoved, "unreachable chunk");
                Add(details, result.ObjectsRemoved, "unreachable object");
                Add(details, result.PacksRewritten, "pack rewritten", "packs rewritten");
                Add(details, result.PacksDeleted, "pack deleted", "packs deleted");
                Add(details, result.LeftoverPacksDeleted, "leftover pack", "leftover packs");
                Add(details, result.ReflogEntriesExpired, "reflog entry expired", "reflog entries expired");
                var what = details.Count == 0 ? "" : $" ({string.Join(", ", details)})";
                // The exact count beside the rounded size, unless the size is already exact ("0 B", "512 B").
                var freed = Format.Bytes(result.BytesFreed) + (result.BytesFreed < 1024 ? "" : $" ({Format.Count(result.BytesFreed, "byte")})");
                context.Out.WriteLine(result.DryRun
                    ? $"would free {freed}{what}; nothing was changed"
                    : $"freed {freed}{what}; packs now hold {Format.Bytes(result.PackBytesAfter)}");
            }

            if (result.PromisedChunks > 0 && !parseResult.GetValue(json))
            {
                context.Out.WriteLine($"{Format.Count(result.PromisedChunks, "reachable chunk")} of older versions {(result.PromisedChunks == 1 ? "is" : "are")} not here: the remote promises them ('lmvp fetch --all-chunks' brings them)");
            }

            foreach (var warning in result.Warnings)
            {
                context.Error.WriteLine("warning: " + warning);
            }

            if (result.Warnings.Count > 0)
            {
                context.Error.WriteLine($"error: gc left {Format.Count(result.Warnings.Count, "pack")} alone because {(result.Warnings.Count == 1 ? "it holds" : "they hold")} corrupt data; run 'lmvp fsck'");
                return Task.FromResult(LmvpCommandLine.ExitFailure);
            }

            return Task.FromResult(LmvpCommandLine.ExitOk);
        });
        return command;
    }

    private static void Add(List<string> details, long count, string singular, string? plural = null)
    {
        if (count > 0)
        {
            details.Add(Format.Count(count, singular, plural));
        }
    }
}

/// <summary>What <c>lmvp gc --json</c> prints.</summary>
internal sealed record GcJson(
    bool DryRun, long BytesFreed, long ChunksRemoved, long ObjectsRemoved, int PacksRewritten, int PacksDeleted, int LeftoverPacksDeleted,
    long PackBytesBefore, long PackBytesAfter, int ReflogEntriesExpired, IReadOnlyList<string> Warnings, long PromisedChunks);
