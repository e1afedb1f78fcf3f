using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp fsck [--rebuild-index] [--json]</c>: verify everything; or rebuild the index from the packs first.</summary>
internal static class FsckCommand
{
    public static Command Create(CliContext context)
    {
        var rebuild = new Option<bool>("--rebuild-index")
        {
            Description = "Rebuild the index (.lmvp/lmvp.db) from the packs alone, re-point refs, then verify. Works when lmvp.db is missing or damaged.",
        };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts." };
        var command = new Command("fsck", "Verify every pack, chunk, object and ref; name each broken chunk with the files and commits that use it.") { rebuild, json };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var asJson = parseResult.GetValue(json);
            var progress = context.Progress();
            IndexRebuildResult? rebuilt = null;
            if (parseResult.GetValue(rebuild))
            {
                rebuilt = Repository.RebuildIndex(context.WorkingDirectory, progress, cancellationToken);
                (progress as ProgressPrinter)?.Done();
                if (!asJson)
                {
                    PrintRebuild(context.Out, rebuilt);
                }
            }

            using var repository = Open(context);
            var report = repository.Fsck(progress, cancellationToken);
            (progress as ProgressPrinter)?.Done();
            var decorations = LogCommand.Decorations(repository);
            if (asJson)
            {
                context.Out.WriteLine(JsonSerializer.Serialize(new { rebuild = rebuilt is null ? null : RebuildJson(rebuilt), fsck = ReportJson(report, decorations) }, JsonOptions.Default));
            }
            else
            {
                PrintReport(context.Out, report, decorations);
            }

            if (report.IsOk)
            {
                return Task.FromResult(LmvpCommandLine.ExitOk);
            }

            context.Error.WriteLine($"error: fsck found {Plural(report.Problems.Count, "problem")}");
            return Task.FromResult(LmvpCommandLine.ExitFailure);
        });
        return command;
    }

    private static Repository Open(CliContext context)
    {
        try
        {
            return context.OpenRepository();
        }
        catch (CorruptObjectException e)
        {
            throw new CorruptObjectException($"{e.Message.TrimEnd('.')}; run 'lmvp fsck --rebuild-index' to rebuild it from the packs.", e);
        }
    }

    private static void PrintReport(TextWriter output, FsckReport report, IReadOnlyDictionary<ObjectId, List<string>> decorations)
    {
        foreach (var problem in report.Problems)
        {
            output.WriteLine(problem.Kind == FsckProblemKind.Chunk ? "broken " + problem.Message : problem.Message);
            if (problem.Kind == FsckProblemKind.Chunk || (problem.Kind == FsckProblemKind.Object && problem.UsedByTotal > 0))
            {
                PrintUsages(output, problem, decorations);
            }
        }

        foreach (var note in report.Notes)
        {
            output.WriteLine("note: " + note);
        }

        var seconds = Math.Max(report.Elapsed.TotalSeconds, 0.001);
        var verdict = report.IsOk ? "ok" : Plural(report.Problems.Count, "problem");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"checked {Plural(report.Objects, "object")}, {Plural(report.Chunks, "chunk")} in {Plural(report.Packs, "pack")} ({Format.Bytes(report.BytesVerified)} at {report.BytesVerified / seconds / 1e6:F0} MB/s): {verdict}"));
    }

    private static void PrintUsages(TextWriter output, FsckProblem problem, IReadOnlyDictionary<ObjectId, List<string>> decorations)
    {
        if (problem.UsedByTotal == 0)
        {
            output.WriteLine("    used by no file in any commit");
            return;
        }

        foreach (var group in problem.UsedBy.GroupBy(u => u.Path, StringComparer.Ordinal))
        {
            var commits = group.Select(u => u.Commit.ToShortString() + (decorations.TryGetValue(u.Commit, out var names) ? $" ({string.Join(", ", names)})" : ""));
            output.WriteLine($"    used by {group.Key} in {(group.Count() == 1 ? "commit" : "commits")} {string.Join(", ", commits)}");
        }

        if (problem.UsedByTotal > problem.UsedBy.Count)
        {
            output.WriteLine($"    and {problem.UsedByTotal - problem.UsedBy.Count} more");
        }
    }

    private static void PrintRebuild(TextWriter output, IndexRebuildResult result)
    {
        output.WriteLine($"rebuilt the index from {Plural(result.Packs, "pack")}: {Plural(result.Chunks, "chunk")}, {Plural(result.Commits, "commit")}, "
            + $"{Plural(result.Trees, "tree")}, {Plural(result.Files, "file")}");
        if (result.IndexWasMissing)
        {
            output.WriteLine("the index was missing: refs, config and the stat cache lived only there");
        }

        foreach (var damaged in result.DamagedPacks)
        {
            output.WriteLine("damaged pack " + damaged);
        }

        foreach (var r in result.Refs)
        {
            var name = r.Name.StartsWith(RefName.HeadsPrefix, StringComparison.Ordinal) ? r.Name[RefName.HeadsPrefix.Length..] : r.Name;
            output.WriteLine(r.How switch
            {
                RefRecoveryKind.Kept => $"kept {name} -> {r.Target.ToShortString()}",
                RefRecoveryKind.Salvaged => $"restored {name} -> {r.Target.ToShortString()} (read back from the damaged index)",
                RefRecoveryKind.NewestHead => $"pointed {name} -> {r.Target.ToShortString()} (the newest commit that no other commit has as parent)",
                RefRecoveryKind.OtherHead => $"created branch {name} -> {r.Target.ToShortString()} (another line of history no ref reached)",
                _ => $"left {name} -> {r.Target.ToShortString()} dangling: no pack holds that commit",
            });
        }

        foreach (var id in result.UnreferencedHeads)
        {
            output.WriteLine($"unreferenced head commit {id.ToShortString()}: 'lmvp branch NAME {id.ToShortString()}' keeps it, 'lmvp gc' would remove it");
        }

        foreach (var note in result.Notes)
        {
            output.WriteLine("note: " + note);
        }
    }

    private static object ReportJson(FsckReport report, IReadOnlyDictionary<ObjectId, List<string>> decorations) => new
    {
        ok = report.IsOk,
        objects = report.Objects,
        chunks = report.Chunks,
        packs = report.Packs,
        bytesVerified = report.BytesVerified,
        seconds = Math.Round(report.Elapsed.TotalSeconds, 3),
        problems = report.Problems.Select(p => new
        {
            kind = p.Kind.ToString().ToLowerInvariant(),
            subject = p.Subject,
            message = p.Message,
            usedBy = p.UsedBy.Select(u => new
            {
                path = u.Path,
                commit = u.Commit.ToString(),
                refs = decorations.TryGetValue(u.Commit, out var names) ? names : [],
            }),
            usedByTotal = p.UsedByTotal,
        }),
        notes = report.Notes,
        promisedChunks = report.PromisedChunks,
        promisedBytes = report.PromisedBytes,
    };

    private static object RebuildJson(IndexRebuildResult result) => new
    {
        movedAsideTo = result.MovedAsideTo,
        indexWasMissing = result.IndexWasMissing,
        packs = result.Packs,
        chunks = result.Chunks,
        commits = result.Commits,
        trees = result.Trees,
        files = result.Files,
        damagedPacks = result.DamagedPacks,
        refs = result.Refs.Select(r => new { name = r.Name, target = r.Target.ToString(), how = JsonNamingPolicy.CamelCase.ConvertName(r.How.ToString()) }),
        unreferencedHeads = result.UnreferencedHeads.Select(h => h.ToString()),
        branch = result.Branch,
        notes = result.Notes,
    };

    private static string Plural(long count, string noun) => Format.Count(count, noun);
}
