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
        var points = Enumerable.Range(0, 5000).Select(i => new MetricPoint(i, Math.Sin(i / 300.0) + (random.NextDouble() * 0.2), AnyCommit)).ToList();
        points[1234] = points[1234] with { Value = -50 };
        points[4321] = points[4321] with { Value = 50 };

        var kept = MetricChart.Thin(points, 398);

        kept.Count.Should().BeLessThanOrEqualTo((2 * 398) + 2).And.BeGreaterThan(398);
        kept.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        kept.Should().Contain([0, 4999, 1234, 4321], "the ends and the global extremes are always drawn");
        MetricChart.Thin(points, 398).Should().Equal(kept, "thinning is deterministic");
    }

    [Test]
    public void Thin_FewPoints_KeepsThemAll()
    {
        var points = Enumerable.Range(0, 30).Select(i => new MetricPoint(i, i, AnyCommit)).ToList();
        MetricChart.Thin(points, 398).Should().Equal(Enumerable.Range(0, 30));
    }

    [Test]
    public void Render_WritesOneLinkedPointPerKeptValueAndEncodesTheName()
    {
        var points = Enumerable.Range(0, 5).Select(i => new MetricPoint(i, i * 0.5, AnyCommit)).ToList();
        var html = new HtmlWriter();

        var drawn = MetricChart.Render(html, "<b>loss</b>", points, 5, c => "/repos/a/b/commit/" + c.Id);

        drawn.Should().Be(5);
        var svg = html.ToString();
        svg.Should().Contain("&lt;b&gt;loss&lt;/b&gt;").And.NotContain("<b>");
        System.Text.RegularExpressions.Regex.Matches(svg, "<a href=\"/repos/a/b/commit/").Count.Should().Be(5);
    }
}
