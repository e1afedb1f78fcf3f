using System.Globalization;
using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;

namespace Lmvp.Server.Web.Pages;

/// <summary>What the metrics page draws, as its URL says: the runs (branches, tags or any revisions) to overlay, the metrics, one
/// chart per metric or all on one, the x-axis, the y scale and the smoothing weight.</summary>
/// <remarks><c>?branch=main&amp;branch=wide-lr&amp;metric=loss&amp;metric=val_loss&amp;overlay=1&amp;x=m.epoch&amp;scale=log&amp;smooth=0.6</c></remarks>
internal sealed record MetricsQuery(IReadOnlyList<string> Runs)
{
    /// <summary>The most runs one page overlays.</summary>
    public const int MaxRuns = ChartSeries.Colors;

    /// <summary>The metrics asked for; null for every metric.</summary>
    public IReadOnlyList<string>? Metrics { get; init; }

    /// <summary>All metrics on one chart instead of one chart each.</summary>
    public bool Overlay { get; init; }

    public ChartAxis X { get; init; } = ChartAxis.ByCommit;

    public bool LogScale { get; init; }

    /// <summary>The EMA weight, 0 for none.</summary>
    public double Smoothing { get; init; }

    public ChartOptions Options => new(X, LogScale, Smoothing);

    public static MetricsQuery From(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var q = request.Query;
        var metrics = q["metric"].Where(m => !string.IsNullOrEmpty(m)).Select(m => m!).Distinct(StringComparer.Ordinal).ToList();
        return new MetricsQuery([.. q["branch"].Select(b => b?.Trim() ?? "").Where(b => b.Length > 0).Distinct(StringComparer.Ordinal).Take(MaxRuns)])
        {
            Metrics = metrics.Count > 0 ? metrics : null,
            Overlay = q["overlay"] == "1",
            X = ChartAxis.Parse(q["x"]),
            LogScale = q["scale"] == "log",
            Smoothing = ChartOptions.ParseSmoothing(q["smooth"]),
        };
    }

    public string Url(string owner, string name)
    {
        var pairs = new List<(string, string?)>();
        pairs.AddRange(Runs.Select(r => ("branch", (string?)r)));
        pairs.AddRange((Metrics ?? []).Select(m => ("metric", (string?)m)));
        pairs.Add(("overlay", Overlay ? "1" : null));
        pairs.Add(("x", X.Kind == XAxisKind.Commit ? null : X.Key));
        pairs.Add(("scale", LogScale ? "log" : null));
        pairs.Add(("smooth", Smoothing > 0 ? Smoothing.ToString("R", CultureInfo.InvariantCulture) : null));
        return Urls.Repository(owner, name) + "/metrics" + Urls.Query(pairs);
    }
}
