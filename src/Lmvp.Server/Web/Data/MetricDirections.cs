using Lmvp.Store;

namespace Lmvp.Server.Web.Data;

/// <summary>Which end of each metric is better: guessed from the name as the CLI guesses it (<see cref="MetricValues.HigherIsBetter"/>),
/// unless the repository's <c>.lmvpmetrics</c> file says otherwise.</summary>
/// <remarks>
/// The file sits at the root of the default branch's snapshot, so the choice is versioned, pushed and cloned with the
/// checkpoints, as <c>.lmvpignore</c> is. Each line is <c>NAME = higher</c> or <c>NAME = lower</c>; NAME may use <c>*</c> for
/// any run of characters (<c>val_* = lower</c>); <c>#</c> starts a comment; the first line that matches wins. Lines that
/// do not parse are reported on the history page and otherwise ignored.
/// </remarks>
internal sealed class MetricDirections
{
    /// <summary>The file's name at the root of a snapshot.</summary>
    public const string FileName = ".lmvpmetrics";

    /// <summary>A bigger file is ignored (it is a handful of lines).</summary>
    public const long MaxBytes = 64 * 1024;

    private readonly (string Pattern, bool Higher)[] _rules;

    private MetricDirections((string, bool)[] rules, IReadOnlyList<string> problems)
    {
        _rules = rules;
        Problems = problems;
    }

    /// <summary>No file: every direction comes from the name.</summary>
    public static MetricDirections FromNames { get; } = new([], []);

    /// <summary>The lines of the file that were not understood, as "line 3: ...".</summary>
    public IReadOnlyList<string> Problems { get; }

    /// <summary>True when a higher value of <paramref name="metric"/> is better.</summary>
    public bool HigherIsBetter(string metric) => Rule(metric) ?? MetricValues.HigherIsBetter(metric);

    /// <summary>False for a counter such as <c>step</c> or <c>epoch</c> (no end of it is better), unless the file gives it a direction.</summary>
    public bool HasDirection(string metric) => IsSet(metric) || !IsStepLike(metric);

    /// <summary>True when the name (its last dotted or slashed part) reads as a training counter: step, epoch, iteration, batch...</summary>
    public static bool IsStepLike(string metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var last = metric[(metric.LastIndexOfAny(['.', '/']) + 1)..].ToLowerInvariant();
        return StepNames.Contains(last);
    }

    private static readonly string[] StepNames =
        ["step", "steps", "global_step", "epoch", "epochs", "iter", "iters", "iteration", "iterations", "batch", "batches", "samples", "examples", "tokens"];

    /// <summary>True when the file, not the name, decides <paramref name="metric"/>'s direction.</summary>
    public bool IsSet(string metric) => Rule(metric) is not null;

    /// <summary>Reads the file's text.</summary>
    public static MetricDirections Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var rules = new List<(string, bool)>();
        var problems = new List<string>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var hash = raw.IndexOf('#', StringComparison.Ordinal);
            var line = (hash < 0 ? raw : raw[..hash]).Trim();
            if (line.Length == 0)
            {
                continue;
            }

            var eq = line.LastIndexOf('=');
            var name = eq < 0 ? "" : line[..eq].Trim();
            var direction = eq < 0 ? "" : line[(eq + 1)..].Trim().ToLowerInvariant();
            if (name.Length == 0 || direction is not ("higher" or "lower"))
            {
                problems.Add($"line {number}: expected NAME = higher or NAME = lower, not '{(line.Length > 60 ? line[..60] + "…" : line)}'");
                continue;
            }

            rules.Add((name, direction == "higher"));
        }

        return new MetricDirections([.. rules], problems);
    }

    private bool? Rule(string metric)
    {
        foreach (var (pattern, higher) in _rules)
        {
            if (Matches(pattern, metric))
            {
                return higher;
            }
        }

        return null;
    }

    /// <summary>A glob with <c>*</c> only, matched without backtracking blow-ups (greedy with one restart point).</summary>
    internal static bool Matches(string pattern, string name)
    {
        int p = 0, n = 0, star = -1, mark = 0;
        while (n < name.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = n;
            }
            else if (p < pattern.Length && pattern[p] == name[n])
            {
                p++;
                n++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                n = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
