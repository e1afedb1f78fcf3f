using Lmvp.Web.Tests.Support;

namespace Lmvp.Web.Tests.Pages;

/// <summary>Screenshots of each main page (bin/.../screenshots/*.png, also attached to the test) for people to look at.</summary>
[TestFixture]
internal sealed class ScreenshotTests
{
    private static WebWorld World => WebSetUp.World;

    private static Support.Browser Browser => WebSetUp.Browser;

    [Test]
    public void MainPages_RenderWithoutScriptAndAreSavedAsScreenshots()
    {
        Browser.SignOutByForgetting();
        Browser.Open("/signin");
        Shot("signin");

        Browser.SignIn("alice", World.Alice.Password);
        var pages = new (string Name, string Path)[]
        {
            ("repositories", "/"),
            ("repository", "/repos/alice/resnet"),
            ("history", "/repos/alice/resnet/history"),
            ("history-sorted", "/repos/alice/resnet/history?sort=val_loss&dir=asc"),
            ("metrics", "/repos/alice/resnet/metrics"),
            ("commit", $"/repos/alice/resnet/commit/{World.EpochAt(6).Commit}"),
            ("compare", $"/repos/alice/resnet/compare?from={World.EpochAt(2).Commit}&to={World.EpochAt(7).Commit}"),
            ("tree", $"/repos/alice/resnet/tree/{World.EpochAt(8).Commit}/ckpt"),
            ("members", "/repos/alice/resnet/members"),
            ("tokens", "/settings/tokens"),
            ("hostile-repository", "/repos/alice/hostile"),
        };
        foreach (var (name, path) in pages)
        {
            Browser.Open(path);
            Browser.FindAll("main h1, main h2, main h3, main table").Should().NotBeEmpty("{0} has content", path);
            Shot(name);
        }

        Browser.SignIn("admin", World.Server.AdminPassword);
        Browser.Open("/admin/users");
        Shot("admin-users");
    }

    /// <summary>The views for comparing runs, at a laptop's width and a narrow one, in light and dark.</summary>
    [Test]
    public void ComparingViews_AtTwoWidthsLightAndDark_AreSavedAsScreenshots()
    {
        Browser.SignIn("alice", World.Alice.Password);
        var branch = Uri.EscapeDataString(SweepRun.Branch);
        var pages = new (string Name, string Path)[]
        {
            ("sweep-metrics-branches", $"/repos/alice/sweep/metrics?branch=main&branch={branch}&metric=loss&metric=val_loss&x=m.epoch"),
            ("sweep-metrics-overlay", "/repos/alice/sweep/metrics?metric=loss&metric=val_loss&overlay=1&smooth=0.6&scale=log"),
            ("sweep-history", "/repos/alice/sweep/history"),
            ("sweep-compare", $"/repos/alice/sweep/compare?from={SweepRun.Tag}&to={branch}"),
            ("sweep-file", "/repos/alice/sweep/tree/main/config.json"),
            ("sweep-repository", "/repos/alice/sweep"),
            ("not-found", "/no/such/page"),
        };
        var original = Browser.Driver.Manage().Window.Size;
        try
        {
            foreach (var scheme in new[] { "light", "dark" })
            {
                Browser.Driver.ExecuteCdpCommand("Emulation.setEmulatedMedia", new()
                {
                    ["features"] = new[] { new Dictionary<string, object> { ["name"] = "prefers-color-scheme", ["value"] = scheme } },
                });
                foreach (var width in new[] { 1366, 800 })
                {
                    Browser.Driver.Manage().Window.Size = new System.Drawing.Size(width, 900);
                    foreach (var (name, path) in pages)
                    {
                        Browser.Open(path);
                        Browser.FindAll("main h1, main h2, main h3, main table").Should().NotBeEmpty("{0} has content", path);
                        Shot($"{name}-{width}-{scheme}");
                    }
                }
            }
        }
        finally
        {
            Browser.Driver.ExecuteCdpCommand("Emulation.setEmulatedMedia", new() { ["features"] = Array.Empty<object>() });
            Browser.Driver.Manage().Window.Size = original;
        }
    }

    private static void Shot(string name)
    {
        Browser.ScriptAlerts().Should().BeEmpty();
        var path = Browser.FullPageScreenshot(name);
        new FileInfo(path).Length.Should().BeGreaterThan(5_000, "{0} should be a real picture", name);
    }
}
