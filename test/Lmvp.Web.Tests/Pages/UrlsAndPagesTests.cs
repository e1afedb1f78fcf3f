using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using Lmvp.Testing;
using Lmvp.Web.Tests.Support;
using OpenQA.Selenium;

namespace Lmvp.Web.Tests.Pages;

/// <summary>Names in every URL, the 404 page, compression, file previews and copy boxes, dark mode, the admin's user changes
/// and the repository list.</summary>
[TestFixture]
internal sealed class UrlsAndPagesTests
{
    private static WebWorld World => WebSetUp.World;

    private static Support.Browser Browser => WebSetUp.Browser;

    private static string BranchPath => Uri.EscapeDataString("exp") + "/" + Uri.EscapeDataString("lr-sweep");

    [OneTimeSetUp]
    public void SignIn() => Browser.SignIn("alice", World.Alice.Password);

    [Test]
    public async Task Downloads_TakeABranchATagAShortOrAFullId()
    {
        using var client = await SiteClient.SignInAsync(World.BaseUrl, "alice", World.Alice.Password);
        var third = World.SweepAt("main", 3).Commit;
        var cases = new (string Revision, string Expected)[]
        {
            ("main", $"main {SweepRun.MainCommits}\n"),
            (BranchPath, $"{SweepRun.Branch} {SweepRun.ForkAfter + SweepRun.BranchCommits}\n"),
            (SweepRun.Tag, $"main {SweepRun.BestValLossAt}\n"),
            (third.ToShortString(), "main 3\n"),
            (third.ToString()[..8], "main 3\n"),
            (third.ToString(), "main 3\n"),
        };
        foreach (var (revision, expected) in cases)
        {
            (await client.Http.GetStringAsync($"repos/alice/sweep/raw/{revision}/state.txt")).Should().Be(expected, "raw/{0}/state.txt", revision);
        }

        using var missing = await client.Http.GetAsync("repos/alice/sweep/raw/no-such-tag/state.txt");
        missing.StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public void Pages_TakeNamesAndShortIds()
    {
        Browser.Open($"/repos/alice/sweep/tree/{BranchPath}/state.txt");
        Browser.Find("#preview pre").Text.Should().Be($"{SweepRun.Branch} {SweepRun.ForkAfter + SweepRun.BranchCommits}");

        var eighth = World.SweepAt("main", SweepRun.BestValLossAt).Commit;
        foreach (var revision in new[] { eighth.ToShortString(), SweepRun.Tag, eighth.ToString() })
        {
            Browser.Open($"/repos/alice/sweep/commit/{revision}");
            Browser.Find("code.sha.full").Text.Should().Be(eighth.ToString(), "commit/{0}", revision);
        }

        Browser.Open($"/repos/alice/sweep/tree/{SweepRun.Tag}");
        Browser.FindAll("table.files td.name").Select(c => c.Text).Should().Contain(["config.json", "notes.md", "state.txt", "train.log"]);
        Browser.Open("/repos/alice/sweep");
        var tagLink = Browser.FindAll("a.tag").First(a => a.Text.Contains(SweepRun.Tag, StringComparison.Ordinal));
        Browser.ClickToNavigate(tagLink);
        Browser.Location.Should().Contain(SweepRun.Tag, "a tag is a link");
    }

    [Test]
    public async Task UnmatchedRoutes_AnswerTheStyled404Page_AndTheApiKeepsJson()
    {
        foreach (var path in new[] { "/no/such/page", "/repos/alice/sweep/tree/no-such-branch/x", "/repos/alice/sweep/commit/0123456789ab", "/repos/alice/nope" })
        {
            Browser.Open(path);
            Browser.FindAll("#not-found").Should().ContainSingle("{0} is the 404 page", path);
            Browser.FindAll("link[rel=stylesheet]").Should().NotBeEmpty("the 404 page is styled");
            Browser.FindAll("header a, nav a").Should().NotBeEmpty("and leads somewhere");
        }

        using var client = SiteClient.Anonymous(World.BaseUrl);
        using var page = await client.Http.GetAsync("no/such/page");
        page.StatusCode.Should().Be(HttpStatusCode.NotFound);
        page.Content.Headers.ContentType!.MediaType.Should().Be("text/html");
        (await page.Content.ReadAsStringAsync()).Should().Contain("id=\"not-found\"");
        page.Headers.GetValues("Content-Security-Policy").Should().NotBeEmpty();
        using var api = await client.Http.GetAsync("api/v1/no/such/route");
        api.StatusCode.Should().Be(HttpStatusCode.NotFound);
        api.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
    }

    [Test]
    public async Task Compression_IsNegotiated_ForPagesAndExports_ButNeverForFileDownloads()
    {
        using var client = await SiteClient.SignInAsync(World.BaseUrl, "alice", World.Alice.Password);
        var plain = await GetAsync(client, "repos/alice/sweep/history?page=all", null);
        plain.Encoding.Should().BeNull();
        foreach (var encoding in new[] { "br", "gzip" })
        {
            var compressed = await GetAsync(client, "repos/alice/sweep/history?page=all", encoding);
            compressed.Encoding.Should().Be(encoding);
            compressed.Wire.Should().BeLessThan(plain.Wire / 3, "{0} shrinks the page", encoding);
            compressed.Text.Should().Be(plain.Text.Replace(AntiforgeryOf(plain.Text), AntiforgeryOf(compressed.Text), StringComparison.Ordinal), "the same page");
            (await GetAsync(client, "repos/alice/sweep/history.csv", encoding)).Encoding.Should().Be(encoding);
            (await GetAsync(client, "repos/alice/sweep/metrics", encoding)).Encoding.Should().Be(encoding);
        }

        var log = await GetAsync(client, "repos/alice/sweep/raw/main/train.log", "br, gzip");
        log.Encoding.Should().BeNull("a file keeps its bytes, its length and its ranges");
        log.Wire.Should().Be(SweepRun.LogBytes);

        // The API serves files with their own media type (JSON, text), which pages would compress: a file still is not.
        foreach (var file in new[] { "config.json", "train.log", "state.txt" })
        {
            var served = await GetAsync(client, $"api/v1/repos/alice/sweep/resolve/main/{file}", "br, gzip", World.Alice.WriteToken);
            served.Encoding.Should().BeNull("{0} from the API keeps its bytes", file);
        }
    }

    [Test]
    public void FilePages_PreviewJsonMarkdownAndText_WithCopyableSnippets()
    {
        Browser.Open("/repos/alice/sweep/tree/main/config.json");
        var json = Browser.Find("#preview pre[data-preview='json']").Text;
        json.Should().Contain("\"schedule\": {").And.Contain("\n").And.Contain("\"warmup\": 100", "indented");
        Browser.Find("#download-url").GetAttribute("value").Should().Be($"{World.BaseUrl}/repos/alice/sweep/raw/main/config.json");
        Browser.Find("#curl-snippet").GetAttribute("value").Should().Contain("Authorization: Bearer $LMVP_TOKEN", "the repository is private");
        Browser.Find("#python-snippet").Text.Should().Contain($"lmvp.download(\"{World.BaseUrl}/alice/sweep\", \"config.json\", revision=\"main\")");

        Browser.Open("/repos/alice/sweep/tree/main/notes.md");
        var markdown = Browser.Find("#preview [data-preview='markdown']");
        markdown.FindElement(By.TagName("h1")).Text.Should().Be("Sweep notes");
        markdown.FindElement(By.TagName("strong")).Text.Should().Be("lr");
        markdown.FindElements(By.TagName("script")).Should().BeEmpty();
        Browser.ScriptAlerts().Should().BeEmpty();

        Browser.Open("/repos/alice/sweep/tree/main/train.log");
        Browser.Find("#preview pre[data-preview='text']").Text.Should().StartWith("step      0 loss 1.000000");
        Browser.Find("#preview .cardhead").Text.Should().Contain("first 64.0 KiB of 96.0 KiB", "the preview is capped");

        var copy = Browser.Find("button.copy[data-copy='curl-snippet']");
        copy.Displayed.Should().BeTrue("the script shows the Copy buttons");
        copy.Click();
        Browser.WaitFor(() => copy.Text == "Copied", "the copy to be confirmed");
    }

    [Test]
    public void DarkMode_FollowsTheSystemSetting()
    {
        try
        {
            Browser.Open("/repos/alice/sweep/metrics");
            var light = Luminance(Browser.Find("body").GetCssValue("background-color"));
            Browser.Driver.ExecuteCdpCommand("Emulation.setEmulatedMedia", new() { ["features"] = new[] { new Dictionary<string, object> { ["name"] = "prefers-color-scheme", ["value"] = "dark" } } });
            Browser.Open("/repos/alice/sweep/metrics");
            var dark = Luminance(Browser.Find("body").GetCssValue("background-color"));
            light.Should().BeGreaterThan(0.8);
            dark.Should().BeLessThan(0.2);
            Luminance(Browser.Find("body").GetCssValue("color")).Should().BeGreaterThan(0.6, "light text on the dark page");
        }
        finally
        {
            Browser.Driver.ExecuteCdpCommand("Emulation.setEmulatedMedia", new() { ["features"] = Array.Empty<object>() });
        }
    }

    [Test]
    public async Task Admin_DisablesEnablesPromotesAndDemotesAUser()
    {
        var erin = await World.Server.CreateUserAsync("erin");
        Browser.SignIn("admin", World.Server.AdminPassword);
        try
        {
            Browser.Open("/admin/users");
            Click("erin", "disable");
            Browser.Find("#users tr[data-user='erin']").Text.Should().Contain("disabled");
            var signIn = () => SiteClient.SignInAsync(World.BaseUrl, "erin", erin.Password);
            await signIn.Should().ThrowAsync<InvalidOperationException>("a disabled user cannot sign in");
            Click("erin", "enable");
            (await signIn()).Dispose();

            Click("erin", "promote");
            Browser.Find("#users tr[data-user='erin']").Text.Should().Contain("server admin");
            (await World.Server.Metadata.Users.FindUserAsync("erin", default))!.IsAdmin.Should().BeTrue();
            Click("erin", "demote");
            (await World.Server.Metadata.Users.FindUserAsync("erin", default))!.IsAdmin.Should().BeFalse();
            Browser.FindAll("#users tr[data-user='admin'] button").Should().BeEmpty("an admin cannot lock themselves out");
        }
        finally
        {
            Browser.SignIn("alice", World.Alice.Password);
        }
    }

    [Test]
    public void RepositoryList_SearchesSortsAndShowsLatestMetrics()
    {
        Browser.Open("/");
        var sweep = Browser.Find("#repositories tr[data-repository='alice/sweep'] td.latestmetrics").Text;
        sweep.Should().Contain("val_loss").And.Contain(ChartTests.Short(SweepRun.Metrics(SweepRun.MainCommits, false).ValLoss));

        Browser.Find("#repository-search input[name=q]").SendKeys("swe");
        Browser.ClickToNavigate(Browser.Find("#repository-search button"));
        Browser.FindAll("#repositories tbody tr").Select(r => r.GetAttribute("data-repository")).Should().Equal("alice/sweep");

        Browser.Open("/?sort=name");
        Browser.FindAll("#repositories tbody tr").Select(r => r.GetAttribute("data-repository")).Should().BeInAscendingOrder(StringComparer.Ordinal)
            .And.Contain(["alice/hostile", "alice/resnet", "alice/sweep"]);
    }

    private static void Click(string user, string action) =>
        Browser.ClickToNavigate(Browser.Find($"#users tr[data-user='{user}'] button[data-action='{action}']"));

    private static async Task<(string? Encoding, long Wire, string Text)> GetAsync(SiteClient client, string path, string? acceptEncoding, string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (acceptEncoding is not null)
        {
            request.Headers.AcceptEncoding.ParseAdd(acceptEncoding);
        }

        using var response = await client.Http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.OK, path);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var encoding = response.Content.Headers.ContentEncoding.SingleOrDefault();
        using var input = new MemoryStream(bytes);
        using Stream decoded = encoding switch
        {
            "br" => new BrotliStream(input, CompressionMode.Decompress),
            "gzip" => new GZipStream(input, CompressionMode.Decompress),
            _ => input,
        };
        using var reader = new StreamReader(decoded);
        return (encoding, bytes.Length, await reader.ReadToEndAsync());
    }

    private static string AntiforgeryOf(string html)
    {
        var match = System.Text.RegularExpressions.Regex.Match(html, "name=\"_csrf\" value=\"([^\"]*)\"");
        return match.Success ? match.Groups[1].Value : "\u0000";
    }

    private static double Luminance(string cssColour)
    {
        var parts = System.Text.RegularExpressions.Regex.Matches(cssColour, @"\d+(\.\d+)?").Take(3)
            .Select(m => double.Parse(m.Value, System.Globalization.CultureInfo.InvariantCulture) / 255).ToList();
        return (0.2126 * parts[0]) + (0.7152 * parts[1]) + (0.0722 * parts[2]);
    }
}
