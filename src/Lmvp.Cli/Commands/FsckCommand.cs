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
                context.Out.WriteLine(JsonOptions.Serialize(new FsckJson(rebuilt is null ? null : RebuildJson(rebuilt), ReportJson(report, decorations))));
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

    private static FsckReportJson ReportJson(FsckReport report, IReadOnlyDictionary<ObjectId, List<string>> decorations) => new(
        report.IsOk,
        report.Objects,
        report.Chunks,
        report.Packs,
        report.BytesVerified,
        Math.Round(report.Elapsed.TotalSeconds, 3),
        report.Problems.Select(p => new FsckProblemJson(
            p.Kind.ToString().ToLowerInvariant(),
            p.Subject,
            p.Message,
            p.UsedBy.Select(u => new FsckUseJson(u.Path, u.Commit.ToString(), decorations.TryGetValue(u.Commit, out var names) ? names : [])),
            p.UsedByTotal)),
        report.Notes,
        report.PromisedChunks,
        report.PromisedBytes);

    private static RebuildJson RebuildJson(IndexRebuildResult result) => new(
        result.MovedAsideTo,
        result.IndexWasMissing,
        result.Packs,
        result.Chunks,
        result.Commits,
        result.Trees,
        result.Files,
        result.DamagedPacks,
        result.Refs.Select(r => new RebuiltRefJson(r.Name, r.Target.ToString(), JsonNamingPolicy.CamelCase.ConvertName(r.How.ToString()))),
        result.UnreferencedHeads.Select(h => h.ToString()),
        result.Branch,
        result.Notes);

    private static string Plural(long count, string noun) => Format.Count(count, noun);
}

/// <summary>What <c>lmvp fsck --json</c> prints (<see cref="Rebuild"/> only with <c>--rebuild-index</c>).</summary>
internal sealed record FsckJson(RebuildJson? Rebuild, FsckReportJson Fsck);

/// <summary>The verification part of <c>lmvp fsck --json</c>.</summary>
internal sealed record FsckReportJson(
    bool Ok, long Objects, long Chunks, int Packs, long BytesVerified, double Seconds, IEnumerable<FsckProblemJson> Problems, IReadOnlyList<string> Notes,
    long PromisedChunks, long PromisedBytes);

/// <summary>One problem fsck found, with the files and commits that use what is broken.</summary>
internal sealed record FsckProblemJson(string Kind, string Subject, string Message, IEnumerable<FsckUseJson> UsedBy, int UsedByTotal);

/// <summary>A file of a commit that uses a broken object.</summary>
internal sealed record FsckUseJson(string Path, string Commit, List<string> Refs);

/// <summary>What <c>lmvp fsck --rebuild-index --json</c> reports of the rebuild.</summary>
internal sealed record RebuildJson(
    string? MovedAsideTo, bool IndexWasMissing, int Packs, long Chunks, long Commits, long Trees, long Files, IReadOnlyList<string> DamagedPacks,
    IEnumerable<RebuiltRefJson> Refs, IEnumerable<string> UnreferencedHeads, string? Branch, IReadOnlyList<string> Notes);

/// <summary>A ref the index rebuild restored, and how it found it.</summary>
internal sealed record RebuiltRefJson(string Name, string Target, string How);
