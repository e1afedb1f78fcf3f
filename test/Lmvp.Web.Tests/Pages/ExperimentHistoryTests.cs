using System.Globalization;
using System.Net;
using System.Text.Json;
using Lmvp.Testing;
using Lmvp.Web.Tests.Support;
using OpenQA.Selenium;

namespace Lmvp.Web.Tests.Pages;

/// <summary>The history table as an experiment tracker's runs table, and the comparison of any two revisions.</summary>
[TestFixture]
internal sealed class ExperimentHistoryTests
{
    private const string History = "/repos/alice/sweep/history";

    private static WebWorld World => WebSetUp.World;

    private static Support.Browser Browser => WebSetUp.Browser;

    [OneTimeSetUp]
    public void SignIn() => Browser.SignIn("alice", World.Alice.Password);

    [SetUp]
    public void DefaultColumns()
    {
        Browser.Open(History + "?cols=reset");
        Browser.Driver.Manage().Window.Size = new System.Drawing.Size(1400, 900);
    }

    [Test]
    public void Rows_CarryBranchAndTagLabels_AndATagIsALinkToItsCommit()
    {
        Browser.Open(History);

        var rows = Browser.FindAll("#history tbody tr");
        rows.Should().HaveCount(SweepRun.MainCommits);
        rows[0].FindElements(By.CssSelector("a.ref.branch")).Select(a => a.Text).Should().Equal("main");
        var tagged = Row(World.SweepAt("main", SweepRun.BestValLossAt));
        var tag = tagged.FindElement(By.CssSelector("a.ref.tag"));
        tag.Text.Should().Be(SweepRun.Tag);
        Browser.FindAll("#history a.ref.tag").Should().HaveCount(1);
        Row(World.SweepAt("main", SweepRun.ForkAfter)).FindElements(By.CssSelector("a.ref")).Should().BeEmpty("the branch's head is not on main");

        Browser.ClickToNavigate(tag);
        Browser.Location.Should().Be("/repos/alice/sweep/commit/" + SweepRun.Tag);
        Browser.Find("code.sha.full").Text.Should().Be(World.SweepAt("main", SweepRun.BestValLossAt).Commit.ToString());
    }

    [Test]
    public void BestValues_AreMarkedByEachMetricsDirection_AndTheRepositoryFileOverridesTheName()
    {
        Browser.Open(History);

        BestRow("val_loss").Should().Be(SweepRun.BestValLossAt, "the lowest loss is best");
        BestRow("accuracy").Should().Be(SweepRun.MainCommits, "the highest accuracy is best");
        var margins = Enumerable.Range(1, SweepRun.MainCommits).Select(n => SweepRun.Metrics(n, false).Margin).ToList();
        BestRow("margin").Should().Be(margins.IndexOf(margins.Max()) + 1, ".lmvpmetrics says margin = higher");
        Browser.Find("th[data-metric='margin'] a").GetAttribute("title").Should().Contain("higher is better (.lmvpmetrics)");
        Browser.FindAll("#history td.best").Should().HaveCount(4, "val_loss, accuracy, margin and loss; step and epoch are counters");
    }

    [Test]
    public void Numbers_AreFormattedAsTheCliFormatsThem()
    {
        Browser.Open(History);
        var columns = Headers();
        var newest = Browser.FindAll("#history tbody tr")[0].FindElements(By.CssSelector("td"));
        var m = SweepRun.Metrics(SweepRun.MainCommits, false);
        foreach (var (name, value) in new[] { ("loss", m.Loss), ("val_loss", m.ValLoss), ("accuracy", m.Accuracy), ("epoch", m.Epoch), ("step", m.Step) })
        {
            newest[columns.IndexOf("m." + name) + 1].Text.Should().Be(ChartTests.Short(value), "{0} is shown as lmvp log shows it", name);
        }
    }

    [Test]
    public void Columns_ChosenAndOrdered_AreRemembered_AndTheCommitColumnStaysPinnedWhenNarrow()
    {
        Browser.Open(History);
        Headers().Should().StartWith(["number", "message", "m.accuracy"]).And.EndWith(["author", "time", "code"]);

        Browser.Find("#columns summary").Click();
        foreach (var id in new[] { "author", "time", "code", "m.step" })
        {
            Browser.Find($"#columns li[data-column='{id}'] input[type=checkbox]").Click();
        }

        Browser.ClickToNavigate(Browser.Find("#apply-columns"));
        Headers().Should().NotContain(["author", "time", "code", "m.step"]);
        Browser.Find("#columns summary").Click();
        Browser.ClickToNavigate(Browser.Find("#columns li[data-column='m.val_loss'] button[name='up']"));
        Browser.Find("#columns summary").Click();
        Browser.ClickToNavigate(Browser.Find("#columns li[data-column='m.val_loss'] button[name='up']"));
        var chosen = Headers();
        chosen.Should().Equal("number", "message", "m.accuracy", "m.epoch", "m.val_loss", "m.loss", "m.margin", "p.lr");

        Browser.Open(History);
        Headers().Should().Equal(chosen, "the choice is remembered for this repository");

        Browser.Driver.Manage().Window.Size = new System.Drawing.Size(800, 900);
        Browser.Open(History);
        var pin = Browser.Find("#history tbody tr td.pin");
        pin.GetCssValue("position").Should().Be("sticky");
        var wrapLeft = Convert.ToDouble(Browser.Driver.ExecuteScript("return document.querySelector('.tablewrap').getBoundingClientRect().left;"), CultureInfo.InvariantCulture);
        Browser.Driver.ExecuteScript("document.querySelector('.tablewrap').scrollLeft = 10000;");
        Convert.ToDouble(Browser.Driver.ExecuteScript("return document.querySelector('#history tbody td.pin').getBoundingClientRect().left;"), CultureInfo.InvariantCulture)
            .Should().BeApproximately(wrapLeft, 2, "the commit column stays in view when the table scrolls sideways");

        Browser.Find("#columns summary").Click();
        Browser.ClickToNavigate(Browser.Find("#reset-columns"));
        Headers().Should().Contain(["author", "time", "code"]);
    }

    [Test]
    public void Search_KeepsTheCommitsWhoseMessageMatches()
    {
        Browser.Open(History);
        Browser.Find("#history-search").SendKeys("(STEP 400)");
        Browser.ClickToNavigate(Browser.Find("form.search button"));

        Browser.FindAll("#history tbody tr").Select(r => r.GetAttribute("data-commit")).Should()
            .Equal([World.SweepAt("main", SweepRun.BestValLossAt).Commit.ToShortString()], "only epoch 2 is step 400, in any case");
        Browser.Find("#param-filters").Text.Should().Contain("1 with “(STEP 400)” in the message");
        Browser.Find("#export-csv").GetAttribute("href").Should().Contain("q=");
    }

    [Test]
    public async Task Export_CsvHoldsTheViewsColumnsAndExactValues_JsonEveryCommit()
    {
        using var client = await SiteClient.SignInAsync(World.BaseUrl, "alice", World.Alice.Password);
        using var csv = await client.Http.GetAsync($"repos/alice/sweep/history.csv?branch={Uri.EscapeDataString(SweepRun.Branch)}&col=m.loss&col=m.val_loss&col=p.lr");

        csv.StatusCode.Should().Be(HttpStatusCode.OK);
        csv.Content.Headers.ContentType!.MediaType.Should().Be("text/csv");
        csv.Content.Headers.ContentDisposition!.FileName.Should().Contain("alice-sweep-exp-lr-sweep-history.csv");
        var lines = (await csv.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines[0].Should().Be("commit,refs,loss,val_loss,lr");
        lines.Should().HaveCount(1 + SweepRun.ForkAfter + SweepRun.BranchCommits);
        var head = World.SweepAt(SweepRun.Branch, SweepRun.ForkAfter + SweepRun.BranchCommits);
        lines[1].Should().Be(string.Join(',', head.Commit.ToString(), SweepRun.Branch, R(head.Loss), R(head.ValLoss), "0.001"));
        var diverged = World.SweepAt(SweepRun.Branch, SweepRun.DivergedAt);
        lines.Should().Contain(string.Join(',', diverged.Commit.ToString(), "", "NaN", R(diverged.ValLoss), "0.001"), "NaN as pandas reads it");

        using var json = await client.Http.GetAsync("repos/alice/sweep/history.json");
        using var document = JsonDocument.Parse(await json.Content.ReadAsStringAsync());
        var commits = document.RootElement.GetProperty("commits");
        commits.GetArrayLength().Should().Be(SweepRun.MainCommits);
        commits[0].GetProperty("id").GetString().Should().Be(World.SweepAt("main", SweepRun.MainCommits).Commit.ToString());
    }

    [Test]
    public void BranchSwitcher_OnHistoryAndMetrics_ShowsThatRun()
    {
        Browser.Open(History);
        Browser.Find("#revision-switcher summary").Click();
        Browser.ClickToNavigate(Browser.Find($"#revision-switcher a[href*='{Uri.EscapeDataString(SweepRun.Branch)}']"));
        Browser.FindAll("#history tbody tr").Should().HaveCount(SweepRun.ForkAfter + SweepRun.BranchCommits);
        Browser.Find("#revision-switcher summary strong").Text.Should().Be(SweepRun.Branch);

        Browser.Open("/repos/alice/sweep/metrics");
        Browser.Find("#revision-switcher summary").Click();
        Browser.ClickToNavigate(Browser.Find($"#revision-switcher a.tag"));
        Browser.Find("#revision-switcher summary strong").Text.Should().Be(SweepRun.Tag);
        Browser.FindAll("section.chartcard[data-metric='loss'] a.pt").Should().HaveCount(SweepRun.BestValLossAt, "the tag's history");
    }

    [Test]
    public void Compare_AnyTwoRevisions_ColoursEachDeltaByWhetherItIsBetter()
    {
        Browser.Open("/repos/alice/sweep/compare");
        Browser.Find("#from").Clear();
        Browser.Find("#from").SendKeys(SweepRun.Tag);
        Browser.Find("#to").Clear();
        Browser.Find("#to").SendKeys(SweepRun.Branch);
        Browser.ClickToNavigate(Browser.Find("#compare-form button[type=submit]"));
        Browser.Location.Should().StartWith("/repos/alice/sweep/compare?");
        Browser.FindAll("#metric-deltas").Should().ContainSingle(Browser.BodyText);

        string Verdict(string metric) => Browser.Find($"#metric-deltas tr[data-metric='{metric}'] td.delta").GetAttribute("class")!.Replace("num delta ", "", StringComparison.Ordinal);
        Verdict("val_loss").Should().Be("worse", "B's val_loss is higher");
        Verdict("accuracy").Should().Be("better");
        Verdict("margin").Should().Be("worse", "margin fell, and .lmvpmetrics says higher is better");
        Verdict("step").Should().Be("same", "a counter is neither");
        Browser.Find(".compare.sides").Text.ToUpperInvariant().Should().Contain(("A · " + SweepRun.Tag).ToUpperInvariant())
            .And.Contain(("B · " + SweepRun.Branch).ToUpperInvariant(), "the sides are named as they were asked for");
        Browser.FindAll("#file-changes tbody tr").Select(r => r.GetAttribute("data-path")).Should().Equal("state.txt");
    }

    private static IWebElement Row(SweepCommit commit) => Browser.Find($"#history tbody tr[data-commit='{commit.Commit.ToShortString()}']");

    private static List<string> Headers() =>
        [.. Browser.FindAll("#history thead th").Skip(1).Select(h => h.GetAttribute("data-metric") is { Length: > 0 } m ? "m." + m
            : h.GetAttribute("data-param") is { Length: > 0 } p ? "p." + p : h.GetAttribute("data-column") ?? "")];

    /// <summary>The commit number of the one row whose <paramref name="metric"/> cell is marked best.</summary>
    private static int BestRow(string metric)
    {
        var index = Headers().IndexOf("m." + metric) + 1;
        var marked = Browser.FindAll("#history tbody tr").Where(r => r.FindElements(By.CssSelector("td"))[index].GetAttribute("class")!.Contains("best", StringComparison.Ordinal)).ToList();
        marked.Should().ContainSingle("one best {0}", metric);
        var id = marked[0].GetAttribute("data-commit");
        return World.Sweep.First(c => c.Branch == "main" && c.Commit.ToShortString() == id).Number;
    }

    private static string R(double value) => Lmvp.Store.MetricValues.Format(value);
}
