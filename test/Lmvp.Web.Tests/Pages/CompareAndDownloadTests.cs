using Lmvp.Testing;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Lmvp.Web.Tests.Support;

namespace Lmvp.Web.Tests.Pages;

[TestFixture]
internal sealed class CompareAndDownloadTests
{
    private static WebWorld World => WebSetUp.World;

    private static Support.Browser Browser => WebSetUp.Browser;

    [OneTimeSetUp]
    public void SignIn() => Browser.SignIn("alice", World.Alice.Password);

    [Test]
    public void Compare_TwoCommitsPickedInTheHistory_ShowsChangedFilesAndMetricDeltas()
    {
        var a = World.EpochAt(2);
        var b = World.EpochAt(7);
        Browser.Open("/repos/alice/resnet/history");
        Browser.Find($"tr[data-commit='{a.Commit.ToShortString()}'] input[name='from']").Click();
        Browser.Find($"tr[data-commit='{b.Commit.ToShortString()}'] input[name='to']").Click();
        Browser.ClickToNavigate(Browser.Find("#compare-selected"));
        Browser.WaitFor(() => Browser.Location.Contains("/compare?", StringComparison.Ordinal), "the comparison");

        var valLoss = Browser.Find("#metric-deltas tr[data-metric='val_loss']").Text;
        valLoss.Should().Contain(Format(a.ValLoss)).And.Contain(Format(b.ValLoss));
        valLoss.Should().Contain(Signed(b.ValLoss - a.ValLoss));

        var changes = Browser.FindAll("#file-changes tbody tr").ToDictionary(r => r.GetAttribute("data-path") ?? "", r => r);
        changes.Keys.Should().BeEquivalentTo(["ckpt/model.bin", "ckpt/state.txt"], "only the checkpoint and its state changed");
        var model = changes["ckpt/model.bin"];
        model.GetAttribute("class").Should().Be("changed");

        // Five 96 KiB stretches were rewritten between epochs 2 and 7: that many bytes differ by chunk, not the whole MiB.
        var differing = model.FindElements(OpenQA.Selenium.By.CssSelector("td.num"))[3].GetAttribute("title") ?? "";
        var bytes = long.Parse(differing.Split(' ')[0], NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
        bytes.Should().BeGreaterThanOrEqualTo(5 * 96 * 1024).And.BeLessThan(WebWorld.ModelSize);
        Browser.Find(".compare.sides").Text.Should().Contain("epoch 2").And.Contain("epoch 7");
    }

    [Test]
    public void Download_InTheBrowser_SavesTheExactBytesOfThatCommit()
    {
        var epoch = World.EpochAt(3);
        foreach (var old in Directory.GetFiles(Browser.DownloadDirectory))
        {
            File.Delete(old);
        }

        Browser.Open($"/repos/alice/resnet/commit/{epoch.Commit}");
        Browser.Find("table.files a.dl[href$='/ckpt/model.bin']").Click();

        var path = Path.Combine(Browser.DownloadDirectory, "model.bin");
        Browser.WaitFor(() => File.Exists(path) && new FileInfo(path).Length == WebWorld.ModelSize
            && !Directory.GetFiles(Browser.DownloadDirectory, "*.crdownload").Any(), "the download to finish", 30);
        SHA256.HashData(File.ReadAllBytes(path)).Should().Equal(SHA256.HashData(epoch.Model), "the file as it was at epoch 3");
    }

    [Test]
    public async Task Download_HonoursRangesAndTheFileIdETag()
    {
        var epoch = World.EpochAt(5);
        using var client = await SiteClient.SignInAsync(World.BaseUrl, "alice", World.Alice.Password);
        var url = $"repos/alice/resnet/raw/{epoch.Commit}/ckpt/model.bin";

        using var whole = await client.Http.GetAsync(url);
        whole.StatusCode.Should().Be(HttpStatusCode.OK);
        whole.Content.Headers.ContentLength.Should().Be(WebWorld.ModelSize);
        whole.Headers.AcceptRanges.Should().Contain("bytes");
        var etag = whole.Headers.ETag!;
        etag.IsWeak.Should().BeFalse();
        etag.Tag.Should().MatchRegex("^\"[0-9a-f]{64}\"$", "the ETag is the file id");
        (await whole.Content.ReadAsByteArrayAsync()).Should().Equal(epoch.Model);

        // A range in the middle, across chunk boundaries.
        using var rangeRequest = new HttpRequestMessage(HttpMethod.Get, url);
        rangeRequest.Headers.Range = new RangeHeaderValue(300_000, 499_999);
        using var partial = await client.Http.SendAsync(rangeRequest);
        partial.StatusCode.Should().Be(HttpStatusCode.PartialContent);
        partial.Content.Headers.ContentRange!.ToString().Should().Be($"bytes 300000-499999/{WebWorld.ModelSize}");
        partial.Content.Headers.ContentLength.Should().Be(200_000);
        (await partial.Content.ReadAsByteArrayAsync()).Should().Equal(epoch.Model.AsSpan(300_000, 200_000).ToArray());

        // The last bytes, as a resumed download asks for them.
        using var suffixRequest = new HttpRequestMessage(HttpMethod.Get, url);
        suffixRequest.Headers.Range = new RangeHeaderValue(WebWorld.ModelSize - 10, null);
        using var suffix = await client.Http.SendAsync(suffixRequest);
        suffix.StatusCode.Should().Be(HttpStatusCode.PartialContent);
        (await suffix.Content.ReadAsByteArrayAsync()).Should().Equal(epoch.Model.AsSpan(WebWorld.ModelSize - 10).ToArray());

        using var beyondRequest = new HttpRequestMessage(HttpMethod.Get, url);
        beyondRequest.Headers.Range = new RangeHeaderValue(WebWorld.ModelSize, WebWorld.ModelSize + 100);
        using var beyond = await client.Http.SendAsync(beyondRequest);
        beyond.StatusCode.Should().Be(HttpStatusCode.RequestedRangeNotSatisfiable);
        beyond.Content.Headers.ContentRange!.ToString().Should().Be($"bytes */{WebWorld.ModelSize}");

        using var conditional = new HttpRequestMessage(HttpMethod.Get, url);
        conditional.Headers.IfNoneMatch.Add(etag);
        using var notModified = await client.Http.SendAsync(conditional);
        notModified.StatusCode.Should().Be(HttpStatusCode.NotModified);
    }

    [Test]
    public async Task Download_OfAPrivateRepository_IsNotFoundForANonMember()
    {
        var epoch = World.EpochAt(1);
        using var bob = await SiteClient.SignInAsync(World.BaseUrl, "bob", World.Bob.Password);
        using var response = await bob.Http.GetAsync($"repos/alice/resnet/raw/{epoch.Commit}/ckpt/model.bin");
        response.StatusCode.Should().Be(HttpStatusCode.NotFound);

        using var bearer = World.Server.CreateClient(World.Alice.ReadToken);
        using var withToken = await bearer.GetAsync($"repos/alice/resnet/raw/{epoch.Commit}/ckpt/state.txt");
        withToken.StatusCode.Should().Be(HttpStatusCode.OK, "scripts may download with the API's read token");
        (await withToken.Content.ReadAsStringAsync()).Should().Be("epoch 1\n");
    }

    private static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string Signed(double delta) => (delta > 0 ? "+" : "\u2212") + Math.Abs(delta).ToString("G6", CultureInfo.InvariantCulture);
}
