using Lmvp.Testing;
using System.Net;
using Lmvp.Web.Tests.Support;

namespace Lmvp.Web.Tests.Pages;

[TestFixture]
internal sealed class SignInTests
{
    private static WebWorld World => WebSetUp.World;

    private static Support.Browser Browser => WebSetUp.Browser;

    [Test]
    public void SignIn_WithPassword_ShowsOwnRepositoriesWithAnHttpOnlySameSiteCookie()
    {
        Browser.SignOutByForgetting();
        Browser.Open("/");
        Browser.Location.Should().StartWith("/signin", "a visitor who is not signed in is sent to the sign-in page");

        Browser.SignIn("alice", World.Alice.Password);

        Browser.Location.Should().Be("/");
        var rows = Browser.FindAll("table.repos tbody tr").Select(r => r.Text).ToList();
        rows.Should().Contain(r => r.Contains("resnet", StringComparison.Ordinal) && r.Contains("Private", StringComparison.OrdinalIgnoreCase));
        Browser.Find(".me .who").Text.Should().Be("alice");
        var cookie = Browser.Driver.Manage().Cookies.GetCookieNamed("lmvp_session");
        cookie.Should().NotBeNull();
        cookie.IsHttpOnly.Should().BeTrue("scripts must not read the session cookie");
        cookie.SameSite.Should().Be("Lax");
    }

    [Test]
    public void SignIn_WrongPassword_SaysSoAndStaysSignedOut()
    {
        Browser.SignOutByForgetting();
        Browser.Open("/signin");
        Browser.Find("#username").SendKeys("alice");
        Browser.Find("#password").SendKeys("not-her-password");
        Browser.ClickToNavigate(Browser.Find("#signin"));

        Browser.Find(".error").Text.Should().Contain("Wrong user name or password");
        Browser.Driver.Manage().Cookies.GetCookieNamed("lmvp_session").Should().BeNull();
    }

    [Test]
    public void SignOut_EndsTheSessionOnTheServer_SoACopiedCookieStopsWorking()
    {
        Browser.SignIn("alice", World.Alice.Password);
        var copied = Browser.Driver.Manage().Cookies.GetCookieNamed("lmvp_session")!.Value;

        Browser.ClickToNavigate(Browser.Find(".me button[type=submit]"));
        Browser.WaitFor(() => Browser.Location.StartsWith("/signin", StringComparison.Ordinal), "the sign-in page after signing out");

        using var handler = new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(World.BaseUrl) };
        using var request = new HttpRequestMessage(HttpMethod.Get, "/repos/alice/resnet");
        request.Headers.Add("Cookie", "lmvp_session=" + copied);
        using var response = http.Send(request);
        response.StatusCode.Should().Be(HttpStatusCode.Redirect);
        response.Headers.Location!.OriginalString.Should().StartWith("/signin");
    }

    [Test]
    public async Task PostWithoutAntiforgeryToken_IsRefusedAndChangesNothing()
    {
        using var client = await SiteClient.SignInAsync(World.BaseUrl, "bob", World.Bob.Password);
        var before = await World.Server.Metadata.Tokens.ListTokensAsync((await World.Server.Metadata.Users.FindUserAsync("bob", default))!.Id, default);

        using var forged = await client.PostFormAsync("settings/tokens", new() { ["name"] = "forged", ["scope"] = "admin", ["days"] = "30" });

        forged.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await forged.Content.ReadAsStringAsync()).Should().Contain("Form expired");
        var after = await World.Server.Metadata.Tokens.ListTokensAsync((await World.Server.Metadata.Users.FindUserAsync("bob", default))!.Id, default);
        after.Should().HaveSameCount(before, "a cross-site post must not create a token");
    }

    [Test]
    public async Task Pages_SendAContentSecurityPolicyThatAllowsOnlyTheServersOwnScriptFile()
    {
        using var client = await SiteClient.SignInAsync(World.BaseUrl, "alice", World.Alice.Password);
        using var response = await client.Http.GetAsync("repos/alice/resnet");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        csp.Should().Contain("default-src 'none'").And.Contain("style-src 'self'").And.Contain("script-src 'self';")
            .And.NotContain("unsafe-inline").And.NotContain("unsafe-eval").And.NotContain("connect-src");
        response.Headers.GetValues("X-Content-Type-Options").Should().Contain("nosniff");
        var body = await response.Content.ReadAsStringAsync();
        System.Text.RegularExpressions.Regex.Matches(body, "<script[^>]*>").Select(m => m.Value).Should()
            .OnlyContain(tag => tag.Contains("src=\"/static/lmvp.js?v=", StringComparison.Ordinal), "the only script is the server's own file, never inline");
    }
}
