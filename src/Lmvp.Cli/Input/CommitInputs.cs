using Lmvp.Store;

namespace Lmvp.Cli.Input;

/// <summary>Reads the metrics and params of <c>lmvp commit</c> from flags and files; every mistake is a one-line usage error.</summary>
internal static class CommitInputs
{
    /// <summary>--metric name=value pairs over a metrics file (a JSON object; nested objects flatten to dotted names).</summary>
    public static Dictionary<string, double> Metrics(IEnumerable<string> pairs, string? file, CliContext context)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        if (file is not null)
        {
            foreach (var (name, value) in ReadJson(file, "metrics", context))
            {
                metrics[name] = value.Kind == JsonScalarKind.Number
                    ? value.Number
                    : throw new UsageException($"metrics file '{file}' line {value.Line}, column {value.Column}: metric '{name}' is {Describe(value)}, not a number");
            }
        }

        foreach (var pair in pairs)
        {
            var (name, text) = Split(pair, "--metric");
            metrics[name] = MetricValues.TryParse(text, out var value)
                ? value
                : throw new UsageException($"--metric '{pair}': '{text}' is not a number (numbers, nan, inf and -inf are)");
        }

        return metrics;
    }

    /// <summary>--param name=value pairs over a params file: a JSON object, or name=value lines (# starts a comment).</summary>
    /// <remarks>A value that reads as a number is a number, unless it is in double quotes; anything else is a string. From
    /// JSON, true/false/null and lists are kept as their JSON text.</remarks>
    public static Dictionary<string, ParamValue> Params(IEnumerable<string> pairs, string? file, CliContext context)
    {
        var parameters = new Dictionary<string, ParamValue>(StringComparer.Ordinal);
        if (file is not null)
        {
            var text = ReadText(file, "params", context);
            if (text.TrimStart('\uFEFF', ' ', '\t', '\r', '\n').StartsWith('{'))
            {
                foreach (var (name, value) in ParseJson(text, file, "params"))
                {
                    parameters[name] = value.Kind == JsonScalarKind.Number ? ParamValue.FromNumber(value.Number) : ParamValue.FromString(value.Text);
                }
            }
            else
            {
                var number = 0;
                foreach (var raw in text.Split('\n'))
                {
                    number++;
                    var line = raw.Trim();
                    if (line.Length == 0 || line[0] == '#')
                    {
                        continue;
                    }

                    if (line.IndexOf('=', StringComparison.Ordinal) <= 0)
                    {
                        throw new UsageException($"params file '{file}' line {number}: expected name=value (or a JSON object), not '{line}'");
                    }

                    var (name, value) = Split(line, "params file");
                    parameters[name] = ParamFromText(value);
                }
            }
        }

        foreach (var pair in pairs)
        {
            var (name, value) = Split(pair, "--param");
            parameters[name] = ParamFromText(value);
        }

        return parameters;
    }

    /// <summary>"lr=3e-4" → 0.0003; "opt=adamw" → "adamw"; "v=\"1.10\"" → "1.10".</summary>
    internal static ParamValue ParamFromText(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.Length >= 2 && trimmed[0] == '"' && trimmed[^1] == '"')
        {
            return ParamValue.FromString(trimmed[1..^1]);
        }

        return MetricValues.TryParse(trimmed, out var number) ? ParamValue.FromNumber(number) : ParamValue.FromString(trimmed);
    }

    private static (string Name, string Value) Split(string pair, string what)
    {
        var eq = pair.IndexOf('=', StringComparison.Ordinal);
        var name = eq <= 0 ? "" : pair[..eq].Trim();
        return name.Length == 0 ? throw new UsageException($"{what} '{pair}' must be name=value") : (name, pair[(eq + 1)..]);
    }

    private static List<KeyValuePair<string, JsonScalar>> ReadJson(string file, string what, CliContext context) =>
        ParseJson(ReadText(file, what, context), file, what);

    private static List<KeyValuePair<string, JsonScalar>> ParseJson(string text, string file, string what)
    {
        try
        {
            return FlatJson.Parse(text);
        }
        catch (JsonInputException e)
        {
            throw new UsageException($"{what} file '{file}' is not valid JSON: {e.Message}");
        }
    }

    private static string ReadText(string file, string what, CliContext context)
    {
        var path = context.FullPath(file);
        if (!File.Exists(path))
        {
            throw new UsageException($"{what} file '{file}' not found");
        }

        return File.ReadAllText(path);
    }

    private static string Describe(JsonScalar value) => value.Kind switch
    {
        JsonScalarKind.String => $"the string \"{value.Text}\"",
        JsonScalarKind.List => "a list",
        _ => value.Text,
    };
}
