using System.CommandLine;
using Lmvp.Cli.Input;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp commit -m MSG [--metric k=v]... [--metrics-file F.json] [--param k=v]... [--params-file F]</c>.</summary>
internal static class CommitCommand
{
    public static Command Create(CliContext context)
    {
        var message = new Option<string>("--message", "-m") { Description = "The commit message.", Required = true };
        var metric = new Option<string[]>("--metric") { Description = "A metric as name=value (repeatable); nan, inf and -inf are values too.", AllowMultipleArgumentsPerToken = false };
        var metricsFile = new Option<string?>("--metrics-file") { Description = "A JSON object of metric names to numbers (NaN and Infinity as Python's json.dump writes them; nested objects give dotted names)." };
        var param = new Option<string[]>("--param") { Description = "A param (hyperparameter) as name=value (repeatable): a number, or else a string; \"quoted\" is always a string.", AllowMultipleArgumentsPerToken = false };
        var paramsFile = new Option<string?>("--params-file") { Description = "Params from a JSON object, or from name=value lines (# starts a comment)." };
        var author = new Option<string?>("--author") { Description = "Override the author (default: lmvp config user.name/user.email, else git's, else the OS user)." };
        var allowEmpty = new Option<bool>("--allow-empty") { Description = "Record a commit even if nothing changed." };
        var json = new Option<bool>("--json") { Description = "Print JSON for scripts (the commit and its byte accounting)." };
        var command = new Command("commit", "Snapshot every file of the training directory (files git tracks are left to git), with metrics and params.")
        {
            message, metric, metricsFile, param, paramsFile, author, allowEmpty, json,
        };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var metrics = CommitInputs.Metrics(parseResult.GetValue(metric) ?? [], parseResult.GetValue(metricsFile), context);
            var parameters = CommitInputs.Params(parseResult.GetValue(param) ?? [], parseResult.GetValue(paramsFile), context);
            using var repository = context.OpenRepository();
            var progress = context.Progress();
            var result = repository.Commit(new CommitOptions
            {
                Message = parseResult.GetValue(message)!,
                Author = parseResult.GetValue(author),
                Metrics = metrics,
                Params = parameters,
                AllowEmpty = parseResult.GetValue(allowEmpty),
            }, progress, cancellationToken);
            (progress as ProgressPrinter)?.Done();
            if (parseResult.GetValue(json))
            {
                context.Out.WriteLine(JsonOptions.Serialize(new CommitJson(
                    result.Commit.Id.ToString(),
                    repository.CurrentBranch,
                    result.FilesRead,
                    result.FilesUnchanged,
                    result.BytesScanned,
                    result.BytesRead,
                    result.BytesNew,
                    result.BytesStored,
                    result.NewChunks,
                    result.FilesLeftToGit)));
                return Task.FromResult(0);
            }

            var where = repository.CurrentBranch ?? "detached HEAD";
            var root = result.Commit.Parents.Count == 0 ? " (root-commit)" : "";
            context.Out.WriteLine($"[{where}{root} {result.Commit.Id.ToShortString()}] {result.Commit.Subject}");
            context.Out.WriteLine(
                $" {Format.Count(result.FilesRead + result.FilesUnchanged, "file")}, {Format.Bytes(result.BytesScanned)} scanned, {Format.Bytes(result.BytesRead)} read, "
                + $"{Format.Bytes(result.BytesNew)} new after dedup, {Format.Bytes(result.BytesStored)} stored{Format.Ratio(result.BytesNew, result.BytesStored)} "
                + $"({Format.Count(result.NewChunks, "new chunk")})");
            if (result.FilesLeftToGit > 0)
            {
                var code = result.Commit.Provenance is { } p ? $" (code: {Format.Provenance(p)})" : "";
                context.Out.WriteLine($" {Format.Count(result.FilesLeftToGit, "file")} tracked by git left to git{code}");
            }

            return Task.FromResult(0);
        });
        return command;
    }
}

/// <summary>What <c>lmvp commit --json</c> prints.</summary>
internal sealed record CommitJson(
    string Commit, string? Branch, int FilesRead, int FilesUnchanged, long BytesScanned, long BytesRead, long BytesNew, long BytesStored,
    long NewChunks, int FilesLeftToGit);
