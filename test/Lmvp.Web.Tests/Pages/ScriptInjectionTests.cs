using Lmvp.Web.Tests.Support;
using OpenQA.Selenium;

namespace Lmvp.Web.Tests.Pages;

/// <summary>User-supplied strings (file names, commit messages, authors, metric names, Markdown) reach every page as text.</summary>
/// <remarks>
/// Two walls are checked separately: the DOM holds no element or attribute the hostile strings tried to create (the
/// encoding and the sanitizer work on their own), and no script ran (alert/confirm/prompt were trapped before the page loaded).
/// </remarks>
[TestFixture]
internal sealed class ScriptInjectionTests
{
    private static WebWorld World => WebSetUp.World;

    private static Support.Browser Browser => WebSetUp.Browser;

    [OneTimeSetUp]
    public void SignIn() => Browser.SignIn("alice", World.Alice.Password);

    [Test]
    public void RepositoryPage_ShowsTheHostileFileNameAsTextAndSanitizesTheModelCard()
    {
        Browser.Open("/repos/alice/hostile");

        Browser.Find("table.files").Text.Should().Contain(WebWorld.HostileFileName);
        Browser.FindAll("table.files img").Should().BeEmpty();
        var card = Browser.Find("#model-card .markdown");
        card.FindElements(By.TagName("script")).Should().BeEmpty();
        card.FindElements(By.TagName("iframe")).Should().BeEmpty();
        card.FindElements(By.TagName("form")).Should().BeEmpty();
        card.FindElements(By.CssSelector("[onerror], [onmouseover], [style]")).Should().BeEmpty();
        card.FindElements(By.TagName("a")).Select(a => a.GetAttribute("href") ?? "").Should()
            .NotContain(h => h.StartsWith("javascript:", StringComparison.OrdinalIgnoreCase));
        card.FindElements(By.TagName("table")).Should().HaveCount(1, "harmless Markdown still renders");
        card.FindElement(By.CssSelector("a[href$='/config/hparams.json']")).Should().NotBeNull("relative links point at the file in this commit");
        Browser.ScriptAlerts().Should().BeEmpty();
    }

    [Test]
    public void HistoryCommitAndCharts_ShowHostileMessagesAndMetricNamesAsText()
    {
        Browser.Open("/repos/alice/hostile/history");
        var table = Browser.Find("#history");
        table.Text.Should().Contain(WebWorld.HostileMessage).And.Contain(WebWorld.HostileMetric).And.Contain(WebWorld.HostileParamValue);
        table.FindElements(By.CssSelector("script, b, img, [onmouseover], [onerror]")).Should().BeEmpty();
        Browser.FindAll("#history th.param").Select(h => h.GetAttribute("data-param")).Should().Equal(WebWorld.HostileMetric);
        Browser.FindAll("#history th.metric").Select(h => h.GetAttribute("data-metric")).Should()
            .Contain([WebWorld.HostileMetric, WebWorld.HostileAttributeMetric], "names survive attribute encoding intact");
        Browser.ScriptAlerts().Should().BeEmpty();

        Browser.ClickToNavigate(Browser.Find($"th[data-metric='{WebWorld.HostileMetric}'] a"));
        Browser.ScriptAlerts().Should().BeEmpty();

        Browser.Open("/repos/alice/hostile/metrics");
        Browser.FindAll("section.chartcard h3").Select(h => h.Text).Should().Contain([WebWorld.HostileMetric, WebWorld.HostileAttributeMetric]);
        Browser.FindAll("svg script, svg [onmouseover]").Should().BeEmpty();
        Browser.ScriptAlerts().Should().BeEmpty();

        Browser.Open($"/repos/alice/hostile/commit/{World.HostileCommit}");
        Browser.Find("#commit-message").Text.Should().Be(WebWorld.HostileMessage);
        Browser.Find("dl.facts").Text.Should().Contain("<script>alert('author')</script>");
        Browser.Find("table.files").Text.Should().Contain(WebWorld.HostileFileName);
        Browser.FindAll("main script, main b, main img").Should().BeEmpty();
        Browser.ScriptAlerts().Should().BeEmpty();
        Browser.Screenshot("hostile-commit");

        Browser.Open("/repos/alice/hostile/history");
        var rows = Browser.FindAll("#history tbody tr");
        rows[1].FindElement(By.CssSelector("input[name='from']")).Click();
        rows[0].FindElement(By.CssSelector("input[name='to']")).Click();
        Browser.ClickToNavigate(Browser.Find("#compare-selected"));
        Browser.Find("#file-changes").Text.Should().Contain("notes.txt");
        Browser.Find("#metric-deltas").Text.Should().Contain(WebWorld.HostileMetric);
        Browser.ScriptAlerts().Should().BeEmpty();
    }

    [Test]
    public void FileNameLikeMarkup_CanBeBrowsedAndDownloaded()
    {
        Browser.Open("/repos/alice/hostile");
        Browser.ClickToNavigate(Browser.Find("table.files td.name a"));
        Browser.Find("section.card h2").Text.Should().Be(WebWorld.HostileFileName);
        Browser.Find("a.button.primary").GetAttribute("href").Should().EndWith("/%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E.bin");
        Browser.ScriptAlerts().Should().BeEmpty();
    }
}
