using Lmvp.Server.Web.Data;
using Lmvp.Server.Web.Html;
using Lmvp.Store;

namespace Lmvp.Web.Tests.Rendering;

[TestFixture]
internal sealed class MetricChartTests
{
    private static readonly Commit AnyCommit = Commit.Create(ObjectId.Compute([1]), [], "t", DateTimeOffset.UnixEpoch, "m", [], null);

    [Test]
    public void Thin_FivethousandPoints_KeepsEveryColumnsExtremesAndBothEnds()
    {
        var random = new Random(7);
        var x = Enumerable.Range(0, 5000).Select(i => MetricChart.Left + (i * (double)MetricChart.PlotWidth / 4999)).ToArray();
        var values = Enumerable.Range(0, 5000).Select(i => Math.Sin(i / 300.0) + (random.NextDouble() * 0.2)).ToArray();
        values[1234] = -50;
        values[4321] = 50;
        var all = Enumerable.Range(0, 5000).ToList();
        var columns = MetricChart.PlotWidth / MetricChart.ColumnWidth;

        var kept = MetricChart.Thin(x, values, all);

        kept.Count.Should().BeLessThanOrEqualTo((2 * (columns + 1)) + 2).And.BeGreaterThan(columns);
        kept.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        kept.Should().Contain([0, 4999, 1234, 4321], "the ends and the global extremes are always drawn");
        MetricChart.Thin(x, values, all).Should().Equal(kept, "thinning is deterministic");
    }

    [Test]
    public void Thin_FewPoints_KeepsThemAll()
    {
        var x = Enumerable.Range(0, 30).Select(i => (double)i * 20).ToArray();
        var candidates = Enumerable.Range(0, 30).ToList();
        MetricChart.Thin(x, x, candidates).Should().Equal(candidates);
    }

    [Test]
    public void Render_WritesOneLinkedPointPerKeptValueAndEncodesTheName()
    {
        var points = Enumerable.Range(0, 5).Select(i => new ChartPoint(i + 1, i * 0.5, AnyCommit, i + 1)).ToList();
        var series = new ChartSeries("<b>loss</b>", "<b>loss</b>", "main", 0, points);
        var html = new HtmlWriter();

        var summary = MetricChart.Render(html, "<b>loss</b>", [series], ChartOptions.Default, c => "/repos/a/b/commit/" + c.Id, _ => false);

        summary.Drawn.Should().Be(5);
        var svg = html.ToString();
        svg.Should().Contain("&lt;b&gt;loss&lt;/b&gt;").And.NotContain("<b>");
        System.Text.RegularExpressions.Regex.Matches(svg, "<a href=\"/repos/a/b/commit/").Count.Should().Be(5);
    }

    [Test]
    public void Render_LogScale_CountsTheValuesItCannotPlace()
    {
        var points = new[] { 1.0, 0.1, 0, -2, 0.01 }.Select((v, i) => new ChartPoint(i + 1, v, AnyCommit, i + 1)).ToList();
        var html = new HtmlWriter();

        var summary = MetricChart.Render(html, "loss", [new ChartSeries("loss", "loss", "main", 0, points)], ChartOptions.Default with { LogScale = true },
            c => "/c/" + c.Id, _ => false);

        summary.Should().Be(new ChartSummary(5, 3, 2));
        html.ToString().Should().Contain("data-scale=\"log\"");
    }

    [Test]
    public void Smooth_IsTheDebiasedEmaAndSkipsNaN()
    {
        var points = new[] { 1.0, double.NaN, 3.0 }.Select((v, i) => new ChartPoint(i, v, AnyCommit, i + 1)).ToList();

        var smoothed = ChartSeries.Smooth(points, 0.5);

        smoothed[0].Should().Be(1.0, "the first value is its own average once debiased");
        double.IsNaN(smoothed[1]).Should().BeTrue();
        smoothed[2].Should().BeApproximately(((0.25 * 1.0) + (0.5 * 3.0)) / 0.75, 1e-12);
    }
}
