using System.Globalization;
using Lmvp.Web.Tests.Support;
using OpenQA.Selenium;
using OpenQA.Selenium.Interactions;

namespace Lmvp.Web.Tests.Pages;

/// <summary>The metrics page as a tool for comparing runs, on <c>alice/sweep</c> (<see cref="SweepRun"/>).</summary>
[TestFixture]
internal sealed class ChartTests
{
    private const string Metrics = "/repos/alice/sweep/metrics";

    private static WebWorld World => WebSetUp.World;

    private static Support.Browser Browser => WebSetUp.Browser;

    private static string BranchQuery => Uri.EscapeDataString(SweepRun.Branch);

    [OneTimeSetUp]
    public void SignIn() => Browser.SignIn("alice", World.Alice.Password);

    [Test]
    public void Overlay_TwoMetrics_DrawsBothOnOneChartWithALegend()
    {
        Browser.Open(Metrics + "?metric=loss&metric=val_loss&overlay=1");

        Browser.FindAll("section.chartcard").Should().HaveCount(1, "overlay puts every chosen metric on one chart");
        var chart = Browser.Find("section.chartcard");
        chart.FindElements(By.CssSelector("ul.legend li")).Select(l => l.GetAttribute("data-series")).Should().Equal("loss", "val_loss");
        var series = chart.FindElements(By.CssSelector("svg g.series"));
        series.Select(s => s.GetAttribute("data-label")).Should().Equal("loss", "val_loss");
        series.Select(s => s.GetAttribute("class")).Should().Equal(["series s0", "series s1"], "each line has its own colour");
        foreach (var s in series)
        {
            s.FindElements(By.CssSelector("a.pt")).Should().HaveCount(SweepRun.MainCommits);
        }

        var best = series[1].FindElement(By.CssSelector("a.pt.best"));
        best.GetDomAttribute("href").Should().Be("commit/" + World.SweepAt("main", SweepRun.BestValLossAt).Commit.ToShortString());
        chart.FindElement(By.CssSelector("ul.legend li[data-series='val_loss'] a.best")).Text.Should().Contain("#" + SweepRun.BestValLossAt);
    }

    [Test]
    public void Overlay_TwoBranches_DrawsTheMetricAlongEachAndBreaksTheLineAtNaN()
    {
        Browser.Open($"{Metrics}?branch=main&branch={BranchQuery}&metric=loss");

        var chart = Browser.Find("section.chartcard[data-metric='loss']");
        chart.FindElements(By.CssSelector("ul.legend li")).Select(l => l.GetAttribute("data-series")).Should().Equal("main", SweepRun.Branch);
        var main = chart.FindElement(By.CssSelector("g.series[data-label='main']"));
        var side = chart.FindElement(By.CssSelector($"g.series[data-label='{SweepRun.Branch}']"));
        main.FindElements(By.CssSelector("a.pt")).Should().HaveCount(SweepRun.MainCommits);
        side.FindElements(By.CssSelector("a.pt")).Should().HaveCount(SweepRun.ForkAfter + SweepRun.BranchCommits - 1, "the NaN epoch has no point");
        side.FindElements(By.CssSelector("a.gap")).Should().ContainSingle("a dashed mark names the NaN")
            .Which.GetDomAttribute("href").Should().Be("commit/" + World.SweepAt(SweepRun.Branch, SweepRun.DivergedAt).Commit.ToShortString());
        side.FindElements(By.CssSelector("polyline.line")).Should().HaveCount(2, "the line breaks at the NaN");
        main.FindElements(By.CssSelector("polyline.line")).Should().HaveCount(1);
    }

    [Test]
    public void LogScale_PlacesValuesByTheirLogarithm()
    {
        var values = Enumerable.Range(1, SweepRun.MainCommits).Select(n => SweepRun.Metrics(n, branch: false).ValLoss).ToList();

        Browser.Open(Metrics + "?metric=val_loss&scale=log");
        Browser.Find("svg.chart").GetAttribute("data-scale").Should().Be("log");
        var log = Heights();
        Browser.Open(Metrics + "?metric=val_loss");
        var linear = Heights();

        // Relative heights: on a log scale they follow log(value), on a linear one the value itself.
        static double[] Relative(IReadOnlyList<double> v) => [.. v.Select(x => (x - v[0]) / (v[^1] - v[0]))];
        var expectedLog = Relative([.. values.Select(Math.Log10)]);
        var expectedLinear = Relative(values);
        Relative(log).Zip(expectedLog).Should().OnlyContain(p => Math.Abs(p.First - p.Second) < 0.02, "log heights follow log(value)");
        Relative(linear).Zip(expectedLinear).Should().OnlyContain(p => Math.Abs(p.First - p.Second) < 0.02);
        Math.Abs(Relative(log)[SweepRun.BestValLossAt - 1] - expectedLinear[SweepRun.BestValLossAt - 1]).Should().BeGreaterThan(0.1, "the two scales differ");
    }

    [Test]
    public void Smoothing_DrawsTheEmaOverTheFaintRawLine()
    {
        const double weight = 0.6;
        Browser.Open(Metrics + "?metric=loss&smooth=0.6");

        var series = Browser.Find("g.series[data-label='loss']");
        series.GetAttribute("class").Should().Contain("smoothed");
        series.FindElements(By.CssSelector("polyline.line.raw")).Should().HaveCount(1, "the raw values stay, faint");
        series.FindElements(By.CssSelector("polyline.line:not(.raw)")).Should().HaveCount(1, "the smoothed line");

        double average = 0;
        var titles = series.FindElements(By.CssSelector("a.pt title")).Select(t => t.GetAttribute("textContent") ?? "").ToList();
        titles.Should().HaveCount(SweepRun.MainCommits);
        for (var n = 1; n <= SweepRun.MainCommits; n++)
        {
            var raw = SweepRun.Metrics(n, branch: false).Loss;
            average = (average * weight) + ((1 - weight) * raw);
            var smoothed = average / (1 - Math.Pow(weight, n));
            titles[n - 1].Should().StartWith($"loss = {Short(smoothed)} (raw {Short(raw)})\n#{n} ", "the debiased EMA as TensorBoard draws it");
        }

        Browser.Find("p.chartnote").Text.Should().Contain("weight 0.6");
        Browser.Find("#smoothing").GetAttribute("value").Should().Be("0.6");
    }

    [Test]
    public void XAxisByEpoch_LabelsTheAxisWithEpochs()
    {
        Browser.Open(Metrics + "?metric=loss&x=m.epoch");

        var svg = Browser.Find("section.chartcard[data-metric='loss'] svg.chart");
        svg.GetAttribute("data-x").Should().Be("m.epoch");
        svg.GetAttribute("aria-label").Should().Be("loss by epoch");
        var ticks = svg.FindElements(By.CssSelector("text.tick.x")).Select(t => double.Parse(t.Text, CultureInfo.InvariantCulture)).ToList();
        ticks.Should().NotBeEmpty().And.OnlyContain(t => t >= 0 && t <= SweepRun.Metrics(SweepRun.MainCommits, false).Epoch, "epochs run to 3, commits to 12");
        ticks.Should().Contain(t => t != Math.Floor(t), "a quarter epoch per commit gives fractional ticks");
        var eighth = svg.FindElements(By.CssSelector("a.pt title"))[SweepRun.BestValLossAt - 1].GetAttribute("textContent");
        eighth.Should().Contain(" · epoch 2 · ", "the pointer's value names its epoch");
        Browser.Find("#x-axis option[selected]").GetAttribute("value").Should().Be("m.epoch");

        Browser.Open(Metrics + "?metric=loss");
        Browser.FindAll("section.chartcard[data-metric='loss'] text.tick.x").Select(t => t.Text).Should().Contain("12", "by commit number by default");
    }

    [Test]
    public void Pointer_ShowsEverySeriesValueAtThatCommit()
    {
        Browser.Open($"{Metrics}?branch=main&branch={BranchQuery}&metric=val_loss");
        var point = Browser.FindAll("g.series[data-label='main'] a.pt circle")[2];

        new Actions(Browser.Driver).MoveToElement(point).Perform();

        Browser.WaitFor(() => Browser.FindAll(".charttip:not([hidden]) .tiprow").Count == 2, "the values of both runs under the pointer");
        var rows = Browser.FindAll(".charttip .tiprow");
        var third = Short(SweepRun.Metrics(3, false).ValLoss);
        rows.Select(r => r.FindElement(By.CssSelector(".name")).Text).Should().Equal("main", SweepRun.Branch);
        rows.Select(r => r.FindElement(By.CssSelector(".val")).Text).Should().Equal(third, third);
        Browser.Find(".charttip .tiphead").Text.Should().StartWith("#3 " + World.SweepAt("main", 3).Commit.ToShortString());
    }

    [Test]
    public void Controls_ApplyAsTheyChange_AndWithTheScriptBlockedTheApplyButtonDoesIt()
    {
        Browser.Open(Metrics + "?metric=val_loss");
        Browser.Select("#y-scale", "log");
        Browser.WaitFor(() => Browser.Location.Contains("scale=log", StringComparison.Ordinal), "the chart to apply the change by itself");

        Browser.Driver.ExecuteCdpCommand("Network.enable", []);
        Browser.Driver.ExecuteCdpCommand("Network.setBlockedURLs", new() { ["urls"] = new[] { "*/static/lmvp.js*" } });
        try
        {
            Browser.Open(Metrics + "?metric=val_loss");
            Browser.Driver.ExecuteScript("return document.documentElement.classList.contains('js');").Should().Be(false, "the script is blocked");
            Browser.Select("#y-scale", "log");
            Browser.Select("#x-axis", "m.step");
            Browser.Location.Should().NotContain("scale=log", "nothing applies by itself without the script");
            Browser.ClickToNavigate(Browser.Find("#apply-chart"));
            Browser.Location.Should().Contain("scale=log").And.Contain("x=m.step");
            Browser.Find("svg.chart").GetAttribute("data-scale").Should().Be("log");
            Browser.FindAll("svg.chart a.pt").Should().HaveCount(SweepRun.MainCommits, "the chart is drawn on the server");

            // The other pages too: the run switcher, the column chooser and the copy boxes are plain HTML.
            Browser.Open("/repos/alice/sweep/history");
            Browser.Find("#revision-switcher summary").Click();
            Browser.ClickToNavigate(Browser.Find($"#revision-switcher a[href*='{BranchQuery}']"));
            Browser.FindAll("#history tbody tr").Should().HaveCount(SweepRun.ForkAfter + SweepRun.BranchCommits);
            Browser.Open("/repos/alice/sweep");
            Browser.Find("#clone-command").GetAttribute("value").Should().Be($"lmvp clone {World.BaseUrl}/alice/sweep");
            Browser.FindAll("button.copy").Should().OnlyContain(b => !b.Displayed, "a Copy button that could not work stays hidden");
        }
        finally
        {
            Browser.Driver.ExecuteCdpCommand("Network.setBlockedURLs", new() { ["urls"] = Array.Empty<string>() });
        }
    }

    private static List<double> Heights() =>
        [.. Browser.FindAll("svg.chart a.pt circle").Select(c => -double.Parse(c.GetAttribute("cy") ?? "", CultureInfo.InvariantCulture))];

    /// <summary>The CLI's number format, which every page uses.</summary>
    internal static string Short(double value) => Lmvp.Store.MetricValues.FormatShort(value);
}
