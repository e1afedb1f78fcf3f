using System.Globalization;
using Lmvp.Store;

namespace Lmvp.Server.Web.Data;

/// <summary>What the x-axis of a metric chart measures.</summary>
internal enum XAxisKind
{
    /// <summary>The commit's position on its run (oldest is 1).</summary>
    Commit,

    /// <summary>The commit's time.</summary>
    Time,

    /// <summary>The value of another metric of the same commit (<c>step</c>, <c>epoch</c>).</summary>
    Metric,
}

/// <summary>A chart's x-axis: by commit number, by time, or by a step-like metric.</summary>
internal sealed record ChartAxis(XAxisKind Kind, string? Metric = null)
{
    public static ChartAxis ByCommit { get; } = new(XAxisKind.Commit);

    /// <summary>Its query-string form: <c>commit</c>, <c>time</c> or <c>m.epoch</c>.</summary>
    public string Key => Kind switch
    {
        XAxisKind.Time => "time",
        XAxisKind.Metric => MetricPrefix + Metric,
        _ => "commit",
    };

    public string Label => Kind switch
    {
        XAxisKind.Time => "time",
        XAxisKind.Metric => Metric!,
        _ => "commit",
    };

    public const string MetricPrefix = "m.";

    /// <summary>Reads <c>x=</c>; anything unknown is the commit axis.</summary>
    public static ChartAxis Parse(string? key) => key switch
    {
        "time" => new(XAxisKind.Time),
        { Length: > 2 } k when k.StartsWith(MetricPrefix, StringComparison.Ordinal) => new(XAxisKind.Metric, k[MetricPrefix.Length..]),
        _ => ByCommit,
    };

    /// <summary>Where <paramref name="commit"/> (number <paramref name="number"/> on its run) sits on this axis, or null when it has
    /// no place (it lacks the x metric, or that value is not finite).</summary>
    public double? PositionOf(Commit commit, int number)
    {
        switch (Kind)
        {
            case XAxisKind.Time:
                return commit.Time.ToUnixTimeMilliseconds() / 1000.0;
            case XAxisKind.Metric:
                return MetricLookup.TryGet(commit, Metric!, out var v) && double.IsFinite(v) ? v : null;
            default:
                return number;
        }
    }

    /// <summary>A tick label for a position on this axis.</summary>
    public string FormatTick(double x, double step) => Kind switch
    {
        XAxisKind.Time => DateTimeOffset.FromUnixTimeMilliseconds((long)(x * 1000)).UtcDateTime
            .ToString(step >= 86_400 ? "yyyy-MM-dd" : "MM-dd HH:mm", CultureInfo.InvariantCulture),
        XAxisKind.Commit => Math.Round(x).ToString(CultureInfo.InvariantCulture),
        _ => MetricValues.FormatShort(Math.Round(x / step) * step),
    };
}

/// <summary>How a chart is drawn: its x-axis, its y scale, and the EMA weight (0 for none).</summary>
internal sealed record ChartOptions(ChartAxis X, bool LogScale, double Smoothing)
{
    public static ChartOptions Default { get; } = new(ChartAxis.ByCommit, false, 0);

    /// <summary>The highest smoothing weight: at 1 the average would never move.</summary>
    public const double MaxSmoothing = 0.999;

    /// <summary>Reads <c>smooth=</c>: a weight in [0, 0.999]; anything else is no smoothing.</summary>
    public static double ParseSmoothing(string? text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var w) && w > 0 && double.IsFinite(w) ? Math.Min(w, MaxSmoothing) : 0;
}

/// <summary>One commit's value on a chart: its x position, its value, the commit and its 1-based number on the run.</summary>
internal readonly record struct ChartPoint(double X, double Value, Commit Commit, int Number);

/// <summary>One line of a chart: a metric along one run (a branch, tag or commit), with its legend label and colour.</summary>
/// <param name="Label">The legend's text.</param>
/// <param name="Metric">The metric drawn.</param>
/// <param name="Run">The revision the history starts at.</param>
/// <param name="Color">Index into the palette (CSS classes <c>s0</c>..<c>s7</c>).</param>
/// <param name="Points">The commits that have the metric and a place on the x-axis, in x order (commit order among equals).</param>
internal sealed record ChartSeries(string Label, string Metric, string Run, int Color, IReadOnlyList<ChartPoint> Points)
{
    public const int Colors = 8;

    /// <summary>The series of <paramref name="metric"/> along <paramref name="oldestFirst"/> on <paramref name="axis"/>.</summary>
    public static ChartSeries From(string label, string metric, string run, int color, IReadOnlyList<Commit> oldestFirst, ChartAxis axis)
    {
        ArgumentNullException.ThrowIfNull(oldestFirst);
        var points = new List<ChartPoint>();
        for (var i = 0; i < oldestFirst.Count; i++)
        {
            var c = oldestFirst[i];
            if (MetricLookup.TryGet(c, metric, out var v) && axis.PositionOf(c, i + 1) is { } x)
            {
                points.Add(new ChartPoint(x, v, c, i + 1));
            }
        }

        // Commit numbers and times already rise along the history; a step metric may repeat or restart, and is drawn sorted
        // as TensorBoard and W&B draw steps (a stable sort keeps commit order among equal steps).
        if (axis.Kind == XAxisKind.Metric)
        {
            points = [.. points.OrderBy(p => p.X)];
        }

        return new ChartSeries(label, metric, run, color % Colors, points);
    }

    /// <summary>The debiased exponential moving average of the finite values (as TensorBoard smooths); a NaN or infinity is
    /// left as it is and does not enter the average.</summary>
    public static double[] Smooth(IReadOnlyList<ChartPoint> points, double weight)
    {
        ArgumentNullException.ThrowIfNull(points);
        var smoothed = new double[points.Count];
        double last = 0;
        var count = 0;
        for (var i = 0; i < points.Count; i++)
        {
            var v = points[i].Value;
            if (!double.IsFinite(v))
            {
                smoothed[i] = v;
                continue;
            }

            last = (last * weight) + ((1 - weight) * v);
            count++;
            smoothed[i] = weight == 0 ? v : last / (1 - Math.Pow(weight, count));
        }

        return smoothed;
    }
}

/// <summary>A commit's metric by name: its metrics are sorted by name, so a binary search finds it.</summary>
internal static class MetricLookup
{
    public static bool TryGet(Commit commit, string name, out double value)
    {
        ArgumentNullException.ThrowIfNull(commit);
        var metrics = commit.Metrics;
        int lo = 0, hi = metrics.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var c = string.CompareOrdinal(metrics[mid].Key, name);
            if (c == 0)
            {
                value = metrics[mid].Value;
                return true;
            }

            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        value = 0;
        return false;
    }

    /// <summary>A commit's value of one param (params are few, so a scan finds it).</summary>
    public static bool TryGetParam(Commit commit, string name, out ParamValue value)
    {
        ArgumentNullException.ThrowIfNull(commit);
        foreach (var (key, v) in commit.Params)
        {
            if (key == name)
            {
                value = v;
                return true;
            }
        }

        value = default;
        return false;
    }
}
