using System.Globalization;
using Lmvp.Web.Tests.Support;

namespace Lmvp.Web.Tests.Pages;

[TestFixture]
internal sealed class HistoryAndMetricsTests
{
    private static WebWorld World => WebSetUp.World;

    private static Support.Browser Browser => WebSetUp.Browser;

    [OneTimeSetUp]
    public void SignIn() => Browser.SignIn("alice", World.Alice.Password);

    [Test]
    public void History_ListsEveryCommitWithProvenanceAndOneColumnPerMetric()
    {
        Browser.Open("/repos/alice/resnet/history");

        var rows = Browser.FindAll("#history tbody tr");
        rows.Select(r => r.GetAttribute("data-commit")).Should().Equal(World.Runs.Reverse().Select(e => e.Commit.ToShortString()),
            "newest first, every epoch");
        Browser.FindAll("#history thead th.metric").Select(h => h.GetAttribute("data-metric")).Should().Equal("accuracy", "loss", "val_loss");
        var newest = rows[0].Text;
        newest.Should().Contain("epoch 8").And.Contain("Trainer").And.Contain(Format(World.EpochAt(8).ValLoss));
        rows[0].FindElement(OpenQA.Selenium.By.CssSelector("code.git")).Text.Should().MatchRegex("^[0-9a-f]{10}$", "the training code's git commit");
    }

    [Test]
    public void History_SortByMetric_PutsTheBestEpochFirstAndFlips()
    {
        Browser.Open("/repos/alice/resnet/history");

        Browser.ClickToNavigate(Browser.Find("th[data-metric='val_loss'] a"));
        Browser.WaitFor(() => Browser.Location.Contains("sort=val_loss", StringComparison.Ordinal), "the sorted history");
        Browser.Location.Should().Contain("dir=asc");
        var ascending = Browser.FindAll("#history tbody tr").Select(r => r.GetAttribute("data-commit")).ToList();
        ascending[0].Should().Be(World.EpochAt(WebWorld.BestValLossEpoch).Commit.ToShortString(), "epoch 6 has the lowest val_loss");
        ascending.Should().Equal(World.Runs.OrderBy(e => e.ValLoss).Select(e => e.Commit.ToShortString()));

        Browser.ClickToNavigate(Browser.Find("th[data-metric='val_loss'] a"));
        Browser.WaitFor(() => Browser.Location.Contains("dir=desc", StringComparison.Ordinal), "the history sorted highest first");
        Browser.FindAll("#history tbody tr").Select(r => r.GetAttribute("data-commit")).Should()
            .Equal(World.Runs.OrderByDescending(e => e.ValLoss).Select(e => e.Commit.ToShortString()));
    }

    [Test]
    public void History_ParamColumns_KeepOnlyTheCommitsWithAClickedValue()
    {
        Browser.Open("/repos/alice/resnet/history");
        Browser.FindAll("#history thead th.param").Select(h => h.GetAttribute("data-param")).Should().Equal("lr", "optimizer");

        var lowerLr = Browser.FindAll("#history tbody td.param a").First(a => a.Text == "0.0005");
        Browser.ClickToNavigate(lowerLr);
        Browser.WaitFor(() => Browser.Location.Contains("param.lr=0.0005", StringComparison.Ordinal), "the history filtered by lr");

        Browser.FindAll("#history tbody tr").Select(r => r.GetAttribute("data-commit")).Should()
            .Equal(World.Runs.Where(e => e.Number >= WebWorld.LowerLrFrom).Reverse().Select(e => e.Commit.ToShortString()));
        Browser.Find("#param-filters").Text.Should().Contain("lr = 0.0005");

        // Sorting keeps the filter; "show all" drops it.
        Browser.ClickToNavigate(Browser.Find("th[data-metric='val_loss'] a"));
        Browser.WaitFor(() => Browser.Location.Contains("sort=val_loss", StringComparison.Ordinal), "the filtered history sorted");
        Browser.FindAll("#history tbody tr").Should().HaveCount(WebWorld.Epochs - WebWorld.LowerLrFrom + 1);
        Browser.ClickToNavigate(Browser.Find("#clear-filters"));
        Browser.WaitFor(() => !Browser.Location.Contains("param.", StringComparison.Ordinal), "the whole history");
        Browser.FindAll("#history tbody tr").Should().HaveCount(WebWorld.Epochs);
    }

    [Test]
    public void MetricsChart_PointOfTheBestEpoch_LeadsToItsCommit()
    {
        Browser.Open("/repos/alice/resnet/history");
        Browser.ClickToNavigate(Browser.Find("a.button[href*='/metrics']"));
        Browser.WaitFor(() => Browser.Location.Contains("/metrics", StringComparison.Ordinal), "the metrics page");

        Browser.FindAll("section.chartcard").Select(s => s.GetAttribute("data-metric")).Should().Equal("accuracy", "loss", "val_loss");
        var chart = Browser.Find("section.chartcard[data-metric='val_loss']");
        chart.FindElements(OpenQA.Selenium.By.CssSelector("svg a.pt")).Should().HaveCount(WebWorld.Epochs, "eight points need no thinning");
        var best = chart.FindElement(OpenQA.Selenium.By.CssSelector("svg a.pt.best"));
        var expected = World.EpochAt(WebWorld.BestValLossEpoch);
        best.GetDomAttribute("href").Should().EndWith("commit/" + expected.Commit.ToShortString(), "the lowest val_loss is marked best");

        Browser.ClickToNavigate(best.FindElement(OpenQA.Selenium.By.TagName("circle")));
        Browser.WaitFor(() => Browser.Location.Contains("/commit/", StringComparison.Ordinal), "the commit page of the clicked point");

        Browser.Find("code.sha.full").Text.Should().Be(expected.Commit.ToString());
        Browser.Find("#commit-message").Text.Should().Be("epoch 6");
        Browser.Find("table.metrics").Text.Should().Contain("val_loss " + Format(expected.ValLoss));
    }

    [Test]
    public void CommitPage_ShowsProvenanceParentsFilesAndOnlyTheNewChunksAsStorageAdded()
    {
        var epoch = World.EpochAt(4);
        Browser.Open($"/repos/alice/resnet/commit/{epoch.Commit}");

        var facts = Browser.Find("dl.facts").Text;
        facts.Should().Contain("Trainer <trainer@example.com>").And.Contain("main", "the git branch of the training code");
        Browser.Find("dl.facts a.sha").Text.Should().Be(World.EpochAt(3).Commit.ToShortString());
        // train.py and .gitignore are tracked by git, so they are git's: the snapshot holds the rest.
        Browser.FindAll("table.files tbody td.name").Select(c => c.Text).Should()
            .Equal("README.md", "ckpt/model.bin", "ckpt/state.txt", "config/hparams.json");

        // Epoch 4 rewrote 96 KiB of the 1 MiB checkpoint: the new chunks cover that stretch, far less than the whole file.
        var added = long.Parse(Browser.Find("#storage-added").GetAttribute("data-bytes") ?? "", CultureInfo.InvariantCulture);
        added.Should().BeGreaterThan(96 * 1024).And.BeLessThan(WebWorld.ModelSize / 2);
    }

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
