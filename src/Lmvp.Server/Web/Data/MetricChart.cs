using System.Globalization;
using Lmvp.Server.Web.Html;
using Lmvp.Store;

namespace Lmvp.Server.Web.Data;

/// <summary>One point of a metric's series: a commit's position in the branch (oldest is 0) and its value.</summary>
internal readonly record struct MetricPoint(int Position, double Value, Commit Commit);

/// <summary>Draws a metric across the commits of a branch as an SVG line chart whose points link to their commits.</summary>
/// <remarks>
/// The chart is plain SVG written on the server: no script, nothing fetched. Past about two points per horizontal pixel
/// column a line chart stops showing more, so long series are thinned deterministically: the plot is cut into columns
/// of <see cref="ColumnWidth"/> pixels and each column keeps its lowest and highest point (in commit order), plus the
/// first and last points of the series. Unlike averaging or largest-triangle sampling, this keeps every extreme exactly:
/// the best and worst epochs are always drawn and clickable.
/// </remarks>
internal static class MetricChart
{
    public const int Width = 880;
    public const int Height = 240;

    /// <summary>The width, in pixels, of one thinning column.</summary>
    public const int ColumnWidth = 2;

    private const int Left = 64;
    private const int Right = 20;
    private const int Top = 14;
    private const int Bottom = 30;
    private const int PlotWidth = Width - Left - Right;
    private const int PlotHeight = Height - Top - Bottom;

    /// <summary>The indices of <paramref name="points"/> to draw: all of them when they fit, else each column's min and max.</summary>
    public static IReadOnlyList<int> Thin(IReadOnlyList<MetricPoint> points, int columns)
    {
        ArgumentNullException.ThrowIfNull(points);
        var n = points.Count;
        if (n <= 2 * columns)
        {
            return [.. Enumerable.Range(0, n)];
        }

        var kept = new List<int>(2 * columns + 2) { 0 };
        for (var c = 0; c < columns; c++)
        {
            var start = (int)((long)c * n / columns);
            var end = (int)((long)(c + 1) * n / columns);
            if (start >= end)
            {
                continue;
            }

            int min = start, max = start;
            for (var i = start + 1; i < end; i++)
            {
                if (points[i].Value < points[min].Value)
                {
                    min = i;
                }

                if (points[i].Value > points[max].Value)
                {
                    max = i;
                }
            }

            kept.Add(Math.Min(min, max));
            kept.Add(Math.Max(min, max));
        }

        kept.Add(n - 1);
        return [.. kept.Distinct().Order()];
    }

    /// <summary>Writes the chart of one metric; <paramref name="all"/> are in commit order (oldest first), <paramref name="positions"/>
    /// is the number of commits on the branch. NaN and infinite values cannot be placed on an axis: the line breaks there and a
    /// dashed mark at the bottom names the value. Returns the number of points drawn.</summary>
    public static int Render(HtmlWriter html, string metric, IReadOnlyList<MetricPoint> all, int positions, Func<Commit, string> commitUrl)
    {
        ArgumentNullException.ThrowIfNull(html);
        ArgumentNullException.ThrowIfNull(all);
        var points = all.Where(p => double.IsFinite(p.Value)).ToList();
        var gaps = all.Where(p => !double.IsFinite(p.Value)).ToList();
        if (points.Count == 0)
        {
            html.Add($"<p class=\"muted\">Every value of {metric} is NaN or infinite: nothing to draw.</p>");
            return 0;
        }

        var kept = Thin(points, PlotWidth / ColumnWidth);
        var min = points.Min(p => p.Value);
        var max = points.Max(p => p.Value);
        var (low, high, step) = NiceScale(min, max);
        var lastPosition = Math.Max(1, positions - 1);
        double X(int position) => Left + (position * (double)PlotWidth / lastPosition);
        double Y(double value) => Top + PlotHeight - ((value - low) / (high - low) * PlotHeight);

        html.Add($"<svg class=\"chart\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-label=\"{metric} across commits\">");
        html.Add($"<title>{metric}</title>");

        // Horizontal grid lines and value labels.
        for (var v = low; v <= high + (step / 2); v += step)
        {
            var y = Y(v);
            html.Add($"<line class=\"grid\" x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\"/>");
            html.Add($"<text class=\"tick\" x=\"{Left - 8}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{Format.Number(Math.Round(v / step) * step)}</text>");
        }

        // Commit positions along the bottom: about six labels, as 1-based commit numbers.
        var xStep = Math.Max(1, NiceStep(lastPosition / 6.0));
        var lastLabel = 0;
        for (var p = 0; p <= lastPosition; p += (int)xStep)
        {
            html.Add($"<text class=\"tick\" x=\"{X(p):0.#}\" y=\"{Height - 10}\" text-anchor=\"middle\">{p + 1}</text>");
            lastLabel = p;
        }

        if (positions > 1 && lastPosition - lastLabel >= xStep / 2)
        {
            html.Add($"<text class=\"tick\" x=\"{X(lastPosition):0.#}\" y=\"{Height - 10}\" text-anchor=\"middle\">{lastPosition + 1}</text>");
        }

        html.Add($"<line class=\"axis\" x1=\"{Left}\" y1=\"{Top + PlotHeight}\" x2=\"{Width - Right}\" y2=\"{Top + PlotHeight}\"/>");

        // One polyline per run of finite values: a NaN or infinity between two kept points breaks the line.
        var line = new System.Text.StringBuilder(kept.Count * 14);
        var gap = 0;
        foreach (var i in kept)
        {
            var broken = false;
            while (gap < gaps.Count && gaps[gap].Position < points[i].Position)
            {
                broken = true;
                gap++;
            }

            if (broken && line.Length > 0)
            {
                html.Add($"<polyline class=\"series\" points=\"{line.ToString().TrimEnd()}\"/>");
                line.Clear();
            }

            line.Append(CultureInfo.InvariantCulture, $"{X(points[i].Position):0.#},{Y(points[i].Value):0.#} ");
        }

        html.Add($"<polyline class=\"series\" points=\"{line.ToString().TrimEnd()}\"/>");
        foreach (var g in gaps)
        {
            html.Add($"<a href=\"{commitUrl(g.Commit)}\" class=\"gap\" data-commit=\"{g.Commit.Id.ToString()}\"><line x1=\"{X(g.Position):0.#}\" y1=\"{Top}\" x2=\"{X(g.Position):0.#}\" y2=\"{Top + PlotHeight}\"><title>#{g.Position + 1} {g.Commit.Id.ToShortString()}  {metric} = {Format.Number(g.Value)}  {Format.Subject(g.Commit.Message, 80)}</title></line></a>");
        }

        var minIndex = IndexOf(points, min);
        var maxIndex = IndexOf(points, max);
        // Past a few hundred points, visible markers would merge into a band: they stay clickable but show only on hover,
        // and the lowest and highest points keep their markers.
        var dense = kept.Count > 150;
        var radius = dense ? 3 : kept.Count > 60 ? 3.5 : 4.5;
        html.Add($"<g class=\"points{(dense ? " dense" : "")}\">");
        foreach (var i in kept)
        {
            var p = points[i];
            var cls = i == minIndex ? "pt min" : i == maxIndex ? "pt max" : "pt";
            html.Add($"<a href=\"{commitUrl(p.Commit)}\" class=\"{cls}\" data-commit=\"{p.Commit.Id.ToString()}\"><circle cx=\"{X(p.Position):0.#}\" cy=\"{Y(p.Value):0.#}\" r=\"{(cls == "pt" ? radius : radius + 1.5):0.#}\"><title>#{p.Position + 1} {p.Commit.Id.ToShortString()}  {metric} = {Format.Number(p.Value)}  {Format.Subject(p.Commit.Message, 80)}</title></circle></a>");
        }

        html.Add($"</g></svg>");
        return kept.Count;
    }

    private static int IndexOf(IReadOnlyList<MetricPoint> points, double value)
    {
        for (var i = 0; i < points.Count; i++)
        {
            if (points[i].Value == value)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Axis bounds and step on 1-2-5 multiples of a power of ten, with about five gridlines.</summary>
    private static (double Low, double High, double Step) NiceScale(double min, double max)
    {
        if (max - min < Math.Abs(max) * 1e-12 || max == min)
        {
            var pad = Math.Abs(max) > 0 ? Math.Abs(max) * 0.1 : 1;
            min -= pad;
            max += pad;
        }

        var step = NiceStep((max - min) / 4);
        return (Math.Floor(min / step) * step, Math.Ceiling(max / step) * step, step);
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
