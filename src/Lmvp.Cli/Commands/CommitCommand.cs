using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Lmvp.Store;

namespace Lmvp.Cli.Commands;

/// <summary><c>lmvp commit -m MSG [--metric k=v]... [--metrics-file F.json]</c>.</summary>
internal static class CommitCommand
{
    public static Command Create(CliContext context)
    {
        var message = new Option<string>("--message", "-m") { Description = "The commit message.", Required = true };
        var metric = new Option<string[]>("--metric") { Description = "A metric as name=value (repeatable).", AllowMultipleArgumentsPerToken = false };
        var metricsFile = new Option<string?>("--metrics-file") { Description = "A JSON file with a flat object of metric names to numbers." };
        var author = new Option<string?>("--author") { Description = "Override the author (default: git user.name/email, else the OS user)." };
        var allowEmpty = new Option<bool>("--allow-empty") { Description = "Record a commit even if nothing changed." };
        var command = new Command("commit", "Snapshot every file of the training directory.") { message, metric, metricsFile, author, allowEmpty };
        command.SetAction((parseResult, cancellationToken) =>
        {
            var metrics = ParseMetrics(parseResult.GetValue(metric) ?? [], parseResult.GetValue(metricsFile), context);
            using var repository = context.OpenRepository();
            var progress = context.Progress();
            var result = repository.Commit(new CommitOptions
            {
                Message = parseResult.GetValue(message)!,
                Author = parseResult.GetValue(author),
                Metrics = metrics,
                AllowEmpty = parseResult.GetValue(allowEmpty),
            }, progress, cancellationToken);
            (progress as ProgressPrinter)?.Done();
            var where = repository.CurrentBranch ?? "detached HEAD";
            var root = result.Commit.Parents.Count == 0 ? " (root-commit)" : "";
            context.Out.WriteLine($"[{where}{root} {result.Commit.Id.ToShortString()}] {result.Commit.Subject}");
            context.Out.WriteLine(
                $" {result.FilesRead + result.FilesUnchanged} files, {Format.Bytes(result.BytesScanned)} scanned, {Format.Bytes(result.BytesRead)} read, "
                + $"{Format.Bytes(result.BytesStored)} stored ({result.NewChunks} new chunks)");
            return Task.FromResult(0);
        });
        return command;
    }

    /// <summary>Reads --metric name=value pairs and a flat JSON metrics file; anything else is a usage error.</summary>
    internal static Dictionary<string, double> ParseMetrics(IEnumerable<string> pairs, string? file, CliContext context)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        if (file is not null)
        {
            var path = context.FullPath(file);
            if (!File.Exists(path))
            {
                throw new UsageException($"metrics file '{file}' not found");
            }

            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(File.ReadAllText(path));
            }
            catch (JsonException e)
            {
                throw new UsageException($"metrics file '{file}' is not valid JSON: {e.Message}");
            }

            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new UsageException($"metrics file '{file}' must hold a flat JSON object of names to numbers");
                }

                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out var v) || !double.IsFinite(v))
                    {
                        throw new UsageException($"metric '{p.Name}' in '{file}' is not a number");
                    }

                    metrics[p.Name] = v;
                }
            }
        }

        foreach (var pair in pairs)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new UsageException($"--metric '{pair}' must be name=value");
            }

            var name = pair[..eq].Trim();
            if (!double.TryParse(pair[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                throw new UsageException($"--metric '{pair}': '{pair[(eq + 1)..]}' is not a number");
            }

            metrics[name] = value;
        }

        return metrics;
    }
}
