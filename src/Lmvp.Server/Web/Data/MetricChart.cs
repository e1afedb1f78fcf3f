using System.Globalization;
using System.Text;
using Lmvp.Server.Web.Html;
using Lmvp.Store;

namespace Lmvp.Server.Web.Data;

/// <summary>What a chart drew: its points, and the values a log scale could not place.</summary>
internal readonly record struct ChartSummary(int Points, int Drawn, int NotPositive);

/// <summary>Draws one or more metric series as an SVG line chart whose points link to their commits.</summary>
/// <remarks>
/// <para>The chart is plain SVG written on the server, so it works with scripts off and costs the browser nothing to build. Past
/// about two points per pixel column a line stops showing more, so each series is thinned deterministically: the plot is cut
/// into columns of <see cref="ColumnWidth"/> pixels and each column keeps its lowest and highest point, plus the series' first
/// and last points. Unlike averaging or largest-triangle sampling this keeps every extreme exactly: the best and worst epochs
/// are always drawn and clickable.</para>
/// <para>With smoothing, the raw line and its points stay, faint, under the exponential moving average (TensorBoard's
/// debiased EMA). NaN and infinities cannot be placed on an axis: the line breaks there and a dashed mark names the value.
/// On a log scale, values at or below zero cannot be placed either; they are counted in <see cref="ChartSummary"/>.</para>
/// <para>Each point carries its value and commit in a <c>title</c> (the browser's own tooltip); the page script reads the same
/// titles to show every series' value under the pointer.</para>
/// </remarks>
internal static class MetricChart
{
    public const int Width = 880;
    public const int Height = 260;

    /// <summary>The width, in pixels, of one thinning column.</summary>
    public const int ColumnWidth = 2;

    internal const int Left = 64;
    internal const int Right = 20;
    internal const int Top = 14;
    internal const int Bottom = 30;
    internal const int PlotWidth = Width - Left - Right;
    internal const int PlotHeight = Height - Top - Bottom;

    /// <summary>Past this many points in a series, markers show only under the pointer (they would merge into a band).</summary>
    private const int DenseAbove = 150;

    /// <summary>The indices (into <paramref name="x"/>, which rises) to draw: each pixel column's lowest and highest value, and both ends.</summary>
    public static IReadOnlyList<int> Thin(IReadOnlyList<double> x, IReadOnlyList<double> value, IReadOnlyList<int> candidates)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count <= 2 * (PlotWidth / ColumnWidth))
        {
            return candidates;
        }

        var kept = new List<int>(2 * (PlotWidth / ColumnWidth) + 2) { candidates[0] };
        var start = 0;
        while (start < candidates.Count)
        {
            var column = (int)Math.Floor(x[candidates[start]] / ColumnWidth);
            int min = start, max = start, end = start + 1;
            while (end < candidates.Count && (int)Math.Floor(x[candidates[end]] / ColumnWidth) == column)
            {
                if (value[candidates[end]] < value[candidates[min]])
                {
                    min = end;
                }

                if (value[candidates[end]] > value[candidates[max]])
                {
                    max = end;
                }

                end++;
            }

            kept.Add(candidates[Math.Min(min, max)]);
            kept.Add(candidates[Math.Max(min, max)]);
            start = end;
        }

        kept.Add(candidates[^1]);
        return [.. kept.Distinct().Order()];
    }

    /// <summary>Writes the chart of <paramref name="series"/>; <paramref name="commitUrl"/> links a point to its commit and
    /// <paramref name="higherIsBetter"/> says which end of a metric is best (that point is marked; null for a counter such as step).</summary>
    public static ChartSummary Render(HtmlWriter html, string title, IReadOnlyList<ChartSeries> series, ChartOptions options,
        Func<Commit, string> commitUrl, Func<string, bool?> higherIsBetter)
    {
        ArgumentNullException.ThrowIfNull(html);
        ArgumentNullException.ThrowIfNull(series);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(commitUrl);
        ArgumentNullException.ThrowIfNull(higherIsBetter);
        bool Placeable(double v) => double.IsFinite(v) && (!options.LogScale || v > 0);
        double Transform(double v) => options.LogScale ? Math.Log10(v) : v;

        var all = series.SelectMany(s => s.Points).ToList();
        var placeable = all.Where(p => Placeable(p.Value)).ToList();
        var notPositive = all.Count(p => double.IsFinite(p.Value) && !Placeable(p.Value));
        if (placeable.Count == 0)
        {
            html.Add($"<p class=\"muted nodata\">{(all.Count == 0 ? "No commit has a place on this axis." : options.LogScale && notPositive > 0 ? "No value above zero: nothing to draw on a log scale." : "Every value is NaN or infinite: nothing to draw.")}</p>");
            return new ChartSummary(all.Count, 0, notPositive);
        }

        var (xLow, xHigh) = (all.Min(p => p.X), all.Max(p => p.X));
        if (xHigh - xLow <= 0)
        {
            (xLow, xHigh) = options.X.Kind == XAxisKind.Commit ? (xLow - 1, xHigh + 1) : (xLow - 0.5, xHigh + 0.5);
        }

        var (yMin, yMax) = (placeable.Min(p => p.Value), placeable.Max(p => p.Value));
        double[] yTicks;
        double yLow, yHigh;
        if (options.LogScale)
        {
            // The data's own decades, a little padded, with round gridlines inside (1, 2, 5 or every digit when narrow).
            var pad = Math.Max(0.05, (Math.Log10(yMax) - Math.Log10(yMin)) * 0.06);
            (yLow, yHigh) = (Math.Log10(yMin) - pad, Math.Log10(yMax) + pad);
            yTicks = LogTicks(Math.Pow(10, yLow), Math.Pow(10, yHigh));
        }
        else
        {
            yTicks = LinearTicks(yMin, yMax);
            (yLow, yHigh) = (yTicks[0], yTicks[^1]);
        }

        double X(double x) => Left + ((x - xLow) / (xHigh - xLow) * PlotWidth);
        double Y(double v) => Top + PlotHeight - ((Transform(v) - yLow) / (yHigh - yLow) * PlotHeight);

        html.Add($"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{title} by {options.X.Label}\" data-x=\"{options.X.Key}\" data-scale=\"{(options.LogScale ? "log" : "linear")}\">");
        html.Add($"<title>{title}</title>");
        foreach (var v in yTicks)
        {
            var y = Y(v);
            html.Add($"<line class=\"grid\" x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\"/><text class=\"tick y\" x=\"{Left - 8}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Format.Number(v)}</text>");
        }

        var (xTicks, xStep) = XTicks(options.X, xLow, xHigh);
        foreach (var t in xTicks)
        {
            html.Add($"<text class=\"tick x\" x=\"{X(t):0.#}\" y=\"{Height - 10}\" text-anchor=\"middle\">{options.X.FormatTick(t, xStep)}</text>");
        }

        html.Add($"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top + PlotHeight}\" x2=\"{Width - Right}\" y2=\"{Top + PlotHeight}\"/>");

        var drawn = 0;
        foreach (var s in series)
        {
            drawn += RenderSeries(html, s, options, X, Y, Placeable, commitUrl, higherIsBetter(s.Metric));
        }

        html.Add($"</svg>");

        // NaN and infinities are marked, not drawn: they do not count as points thinning left out.
        return new ChartSummary(all.Count(p => double.IsFinite(p.Value)), drawn, notPositive);
    }

    private static int RenderSeries(HtmlWriter html, ChartSeries s, ChartOptions options, Func<double, double> toX, Func<double, double> toY,
        Func<double, bool> placeable, Func<Commit, string> commitUrl, bool? higherIsBetter)
    {
        var points = s.Points;
        var px = new double[points.Count];
        var raw = new double[points.Count];
        var candidates = new List<int>(points.Count);
        var gapsBefore = new int[points.Count + 1];
        for (var i = 0; i < points.Count; i++)
        {
            px[i] = toX(points[i].X);
            raw[i] = points[i].Value;
            gapsBefore[i + 1] = gapsBefore[i] + (double.IsFinite(raw[i]) ? 0 : 1);
            if (placeable(raw[i]))
            {
                candidates.Add(i);
            }
        }

        var smoothing = options.Smoothing > 0;
        var smoothed = smoothing ? ChartSeries.Smooth(points, options.Smoothing) : raw;
        var kept = Thin(px, raw, candidates);
        html.Add($"<g class=\"series s{s.Color}{(smoothing ? " smoothed" : "")}\" data-label=\"{s.Label}\">");
        Polylines(html, smoothing ? "line raw" : "line", kept, px, raw, toY, gapsBefore);
        if (smoothing)
        {
            var smoothCandidates = candidates.Where(i => placeable(smoothed[i])).ToList();
            Polylines(html, "line", Thin(px, smoothed, smoothCandidates), px, smoothed, toY, gapsBefore);
        }

        // One mark per pixel column for values that cannot be placed (a run of NaN is one dashed band, not thousands of lines).
        var lastGapColumn = int.MinValue;
        for (var i = 0; i < points.Count; i++)
        {
            if (double.IsFinite(raw[i]) || (int)(px[i] / ColumnWidth) == lastGapColumn)
            {
                continue;
            }

            lastGapColumn = (int)(px[i] / ColumnWidth);
            html.Add($"<a href=\"{commitUrl(points[i].Commit)}\" class=\"gap\"><line x1=\"{px[i]:0.#}\" y1=\"{Top}\" x2=\"{px[i]:0.#}\" y2=\"{Top + PlotHeight}\"><title>{Tooltip(s, points[i], null, options)}</title></line></a>");
        }

        var best = -1;
        foreach (var i in higherIsBetter is null ? [] : candidates)
        {
            if (best < 0 || MetricValues.CompareBestFirst(raw[i], raw[best], higherIsBetter!.Value) < 0)
            {
                best = i;
            }
        }

        var dense = kept.Count > DenseAbove;
        var radius = dense ? 3 : kept.Count > 60 ? 3.5 : 4.5;
        html.Add($"<g class=\"points{(dense ? " dense" : "")}\">");
        foreach (var i in kept)
        {
            var p = points[i];
            html.Add($"<a href=\"{commitUrl(p.Commit)}\" class=\"{(i == best ? "pt best" : "pt")}\"><circle cx=\"{px[i]:0.#}\" cy=\"{toY(raw[i]):0.#}\" r=\"{(i == best ? radius + 1.5 : radius):0.#}\"><title>{Tooltip(s, p, smoothing ? smoothed[i] : null, options)}</title></circle></a>");
        }

        html.Add($"</g></g>");
        return kept.Count;
    }

    /// <summary>"loss · main = 0.41 (raw 0.43)" on the first line, the commit on the second (the script splits them).</summary>
    private static string Tooltip(ChartSeries s, ChartPoint p, double? smoothed, ChartOptions options)
    {
        var value = smoothed is { } v && double.IsFinite(v) && double.IsFinite(p.Value)
            ? Format.Number(v) + " (raw " + Format.Number(p.Value) + ")"
            : Format.Number(p.Value);
        var at = options.X.Kind switch
        {
            XAxisKind.Metric => " · " + options.X.Metric + " " + Format.Number(p.X),
            XAxisKind.Time => " · " + Format.Time(p.Commit.Time),
            _ => "",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{s.Label} = {value}\n#{p.Number} {p.Commit.Id.ToShortString()}{at} · {Format.Subject(p.Commit.Message, 48)}");
    }

    /// <summary>One polyline per run of placeable values: a NaN or infinity between two kept points breaks the line.</summary>
    private static void Polylines(HtmlWriter html, string cls, IReadOnlyList<int> kept, double[] px, double[] values, Func<double, double> toY, int[] gapsBefore)
    {
        var line = new StringBuilder(kept.Count * 12);
        var previous = -1;
        foreach (var i in kept)
        {
            if (previous >= 0 && gapsBefore[i] != gapsBefore[previous + 1] && line.Length > 0)
            {
                html.Add($"<polyline class=\"{cls}\" points=\"{line.ToString().TrimEnd()}\"/>");
                line.Clear();
            }

            line.Append(CultureInfo.InvariantCulture, $"{px[i]:0.#},{toY(values[i]):0.#} ");
            previous = i;
        }

        if (line.Length > 0)
        {
            html.Add($"<polyline class=\"{cls}\" points=\"{line.ToString().TrimEnd()}\"/>");
        }
    }

    /// <summary>Gridline values on 1-2-2.5-5 multiples of a power of ten, about five of them, spanning [min, max].</summary>
    internal static double[] LinearTicks(double min, double max)
    {
        if (max - min < Math.Abs(max) * 1e-12 || max == min)
        {
            var pad = Math.Abs(max) > 0 ? Math.Abs(max) * 0.1 : 1;
            min -= pad;
            max += pad;
        }

        var step = NiceStep((max - min) / 4);
        var low = Math.Floor(min / step) * step;
        var high = Math.Ceiling(max / step) * step;
        var ticks = new List<double>();
        for (var k = 0; low + (k * step) <= high + (step / 2); k++)
        {
            ticks.Add(Math.Round((low + (k * step)) / step) * step);
        }

        return [.. ticks];
    }

    /// <summary>Gridlines on a log scale between <paramref name="low"/> and <paramref name="high"/> (both above zero): powers of ten,
    /// with 2 and 5 between them, or every digit, until there are at least three.</summary>
    internal static double[] LogTicks(double low, double high)
    {
        foreach (var digits in new[] { new double[] { 1 }, [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9] })
        {
            var ticks = new List<double>();
            for (var e = Math.Floor(Math.Log10(low)); e <= Math.Ceiling(Math.Log10(high)); e++)
            {
                foreach (var d in digits)
                {
                    var v = d * Math.Pow(10, e);
                    if (v >= low * (1 - 1e-9) && v <= high * (1 + 1e-9))
                    {
                        ticks.Add(v);
                    }
                }
            }

            if (ticks.Count >= 3 || digits.Length == 9)
            {
                return ticks.Count > 0 ? [.. ticks] : [low, high];
            }
        }

        return [low, high];
    }

    /// <summary>About six x labels on round values of the axis (whole commit numbers, round steps, round times).</summary>
    private static (List<double> Ticks, double Step) XTicks(ChartAxis axis, double low, double high)
    {
        double step;
        if (axis.Kind == XAxisKind.Time)
        {
            double[] steps = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400, 30 * 86_400, 91 * 86_400, 365 * 86_400];
            step = steps.FirstOrDefault(s => (high - low) / s <= 6, steps[^1]);
        }
        else
        {
            step = NiceStep((high - low) / 6);
            if (axis.Kind == XAxisKind.Commit)
            {
                step = Math.Max(1, Math.Round(step));
            }
        }

        var ticks = new List<double>();
        for (var t = Math.Ceiling(low / step) * step; t <= high + (step * 1e-9); t += step)
        {
            ticks.Add(t);
        }

        return (ticks, step);
    }

    private static double NiceStep(double rough)
    {
        if (rough <= 0 || !double.IsFinite(rough))
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var fraction = rough / magnitude;
        var nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
        return nice * magnitude;
    }
}
