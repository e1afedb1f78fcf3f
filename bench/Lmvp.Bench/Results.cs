using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Lmvp.Bench;

/// <summary>A target from the issue: the value must be at least (or at most) a threshold.</summary>
internal sealed record Goal(bool AtLeast, double Threshold)
{
    public static Goal Min(double threshold) => new(true, threshold);

    public static Goal Max(double threshold) => new(false, threshold);

    public bool IsMet(double value) => AtLeast ? value >= Threshold : value <= Threshold;

    public string Describe(string unit) => (AtLeast ? ">= " : "<= ") + Results.FormatValue(Threshold, unit) + " " + unit;
}

/// <summary>One figure of the benchmark.</summary>
internal sealed record Measurement(string Scenario, string Name, double Value, string Unit)
{
    public string? Target { get; init; }

    public bool? Met { get; init; }

    public string? Note { get; init; }

    /// <summary>Every sample when the figure is a median of several runs.</summary>
    public IReadOnlyList<double>? Samples { get; init; }
}

/// <summary>What one scenario child process measured.</summary>
internal sealed class ScenarioResult
{
    public required string Scenario { get; init; }

    public List<Measurement> Measurements { get; init; } = [];

    public List<Profile> Profiles { get; init; } = [];

    public List<string> Notes { get; init; } = [];

    public double ElapsedSeconds { get; set; }

    public string? Error { get; set; }

    /// <summary>CPU pressure (PSI some avg10, %) when the scenario started and ended: other work on the machine skews figures.</summary>
    public double? CpuPressureAtStart { get; set; }

    public double? CpuPressureAtEnd { get; set; }

    public string? LoadAverageAtStart { get; set; }
}

/// <summary>The whole run, as written to the JSON file.</summary>
internal sealed class Report
{
    public required string Command { get; init; }

    public required DateTimeOffset StartedUtc { get; init; }

    public required Dictionary<string, string> Machine { get; init; }

    public required Dictionary<string, string> Settings { get; init; }

    public List<ScenarioResult> Scenarios { get; init; } = [];
}

/// <summary>Formats results as Markdown and JSON.</summary>
internal static class Results
{
    private const double BusyPressure = 10;

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string FormatValue(double value, string unit)
    {
        var digits = unit switch
        {
            "MB/s" or "MB" or "commits/s" or "count" => 0,
            "ms" => value < 10 ? 2 : 1,
            "%" => 2,
            _ => 2,
        };
        return value.ToString("N" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
    }

    public static string Markdown(Report report)
    {
        var md = new StringBuilder();
        md.AppendLine("| Scenario | Measurement | Result | Target | Met |");
        md.AppendLine("|---|---|---:|---|:---:|");
        foreach (var s in report.Scenarios)
        {
            if (s.Error is not null)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"| {s.Scenario} | FAILED: {Escape(s.Error)} | | | |");
            }

            foreach (var m in s.Measurements)
            {
                var name = m.Note is null ? m.Name : $"{m.Name} ({m.Note})";
                var met = m.Met switch { true => "yes", false => "**no**", null => "" };
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {m.Scenario} | {Escape(name)} | {FormatValue(m.Value, m.Unit)} {m.Unit} | {m.Target ?? ""} | {met} |");
            }
        }

        var profiles = report.Scenarios.SelectMany(s => s.Profiles).ToList();
        if (profiles.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("Where the time went (CPU seconds per thread over the operation's wall time; a thread near 100% is the one the operation waits for):");
            md.AppendLine();
            md.AppendLine("| Scenario | Operation | Wall s | Process CPU s (cores busy) | of which kernel s | Busiest threads: CPU s (% of wall) |");
            md.AppendLine("|---|---|---:|---:|---:|---|");
            foreach (var p in profiles)
            {
                var threads = string.Join(", ", p.Threads.Select(t =>
                    string.Create(CultureInfo.InvariantCulture, $"{t.Name} {t.CpuSeconds:0.00} ({100 * t.CpuSeconds / p.WallSeconds:0}%)")));
                md.AppendLine(CultureInfo.InvariantCulture,
                    $"| {p.Scenario} | {Escape(p.Operation)} | {p.WallSeconds:0.00} | {p.ProcessCpuSeconds:0.00} ({p.ProcessCpuSeconds / p.WallSeconds:0.00}) | {p.SystemCpuSeconds:0.00} | {Escape(threads)} |");
            }
        }

        var notes = report.Scenarios.SelectMany(s => s.Notes.Select(n => (s.Scenario, Note: n))).ToList();
        // Only the pressure before the scenario says whether others were busy: during it, its own threads create pressure too.
        foreach (var s in report.Scenarios.Where(s => s.CpuPressureAtStart is > BusyPressure))
        {
            notes.Add((s.Scenario, string.Create(CultureInfo.InvariantCulture,
                $"the machine was busy with other work when it started (CPU pressure {s.CpuPressureAtStart:0}%, load {s.LoadAverageAtStart}): figures are pessimistic.")));
        }

        if (notes.Count > 0)
        {
            md.AppendLine();
            foreach (var (scenario, note) in notes)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"- {scenario}: {note}");
            }
        }

        return md.ToString();
    }

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');
}
