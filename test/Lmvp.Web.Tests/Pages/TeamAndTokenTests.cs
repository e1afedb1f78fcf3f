using System.Net;
using System.Net.Http.Headers;
using Lmvp.Testing;
using Lmvp.Web.Tests.Support;

namespace Lmvp.Web.Tests.Pages;

[TestFixture]
internal sealed class TeamAndTokenTests
{
    private static WebWorld World => WebSetUp.World;

    private static Support.Browser Browser => WebSetUp.Browser;

    [Test]
    public void AddMember_GivesThatUserAccess_AndRemovingTakesItAway()
    {
        Browser.SignIn("bob", World.Bob.Password);
        Browser.Open("/repos/alice/resnet");
        Browser.Find("h1").Text.Should().Be("Not found", "a private repository is invisible to non-members");
        Browser.Open("/");
        Browser.BodyText.Should().NotContain("resnet");

        Browser.SignIn("alice", World.Alice.Password);
        Browser.Open("/repos/alice/resnet/members");
        Browser.Find("#member-username").SendKeys("bob");
        Browser.Select("#member-role", "read");
        Browser.ClickToNavigate(Browser.Find("#add-member-submit"));
        Browser.WaitFor(() => Browser.FindAll("#members tr[data-user='bob']").Count == 1, "bob in the member list");

        Browser.SignIn("bob", World.Bob.Password);
        Browser.Open("/");
        Browser.Find("table.repos").Text.Should().Contain("resnet");
        Browser.Open("/repos/alice/resnet/history");
        Browser.FindAll("#history tbody tr").Should().HaveCount(WebWorld.Epochs);
        Browser.FindAll(".tabs a").Select(a => a.Text).Should().NotContain("Members", "a reader does not manage the team");
        Browser.Open("/repos/alice/resnet/members");
        Browser.Find("h1").Text.Should().Be("Not allowed");

        Browser.SignIn("alice", World.Alice.Password);
        Browser.Open("/repos/alice/resnet/members");
        Browser.ClickToNavigate(Browser.Find("#members tr[data-user='bob'] button.danger"));
        Browser.WaitFor(() => Browser.FindAll("#members tr[data-user='bob']").Count == 0, "bob to leave the member list");

        Browser.SignIn("bob", World.Bob.Password);
        Browser.Open("/repos/alice/resnet");
        Browser.Find("h1").Text.Should().Be("Not found");
    }

    [Test]
    public void Invitation_LinkCreatesAnAccountWithAccessToTheRepository()
    {
        Browser.SignIn("alice", World.Alice.Password);
        Browser.Open("/repos/alice/resnet/members");
        Browser.Select("#invite-role", "write");
        Browser.ClickToNavigate(Browser.Find("#invite-submit"));
        var link = Browser.Find("#invitation-link").GetAttribute("value");
        link.Should().StartWith(World.BaseUrl + "/register?code=lmvp_inv_");

        Browser.SignOutByForgetting();
        Browser.Driver.Navigate().GoToUrl(link);
        Browser.Find("#username").SendKeys("carol");
        Browser.Find("#password").SendKeys("carol-password-1");
        Browser.ClickToNavigate(Browser.Find("button[type=submit].primary"));
        Browser.WaitFor(() => Browser.Location == "/", "the repository list of the new account");

        Browser.Find(".me .who").Text.Should().Be("carol");
        Browser.Find("table.repos").Text.Should().Contain("resnet").And.Contain("write");

        // The code works once.
        Browser.SignOutByForgetting();
        Browser.Driver.Navigate().GoToUrl(link);
        Browser.Find("#username").SendKeys("dave");
        Browser.Find("#password").SendKeys("dave-password-1");
        Browser.ClickToNavigate(Browser.Find("button[type=submit].primary"));
        Browser.Find(".error").Text.Should().Contain("not valid");
    }

    [Test]
    public async Task Token_CreatedInTheBrowser_WorksUntilRevokedThere()
    {
        Browser.SignIn("alice", World.Alice.Password);
        Browser.Open("/settings/tokens");
        Browser.Find("#token-name").SendKeys("laptop");
        Browser.Select("#token-scope", "read");
        Browser.ClickToNavigate(Browser.Find("#create-token-submit"));
        var token = Browser.Find("#token-value").GetAttribute("value");
        token.Should().StartWith("lmvp_pat_");

        using var http = World.Server.CreateClient(token);
        using (var before = await http.GetAsync("api/v1/repos/alice/resnet/refs"))
        {
            before.StatusCode.Should().Be(HttpStatusCode.OK, "a fresh read token can read alice's repository");
        }

        Browser.Open("/settings/tokens");
        Browser.ClickToNavigate(Browser.Find("#tokens tr[data-token='laptop'] button.danger"));
        Browser.WaitFor(() => Browser.Find("#tokens tr[data-token='laptop']").GetAttribute("class") == "revoked", "the token to show as revoked");

        using var after = await http.GetAsync("api/v1/repos/alice/resnet/refs");
        after.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "a revoked token fails at once");
        Browser.BodyText.Should().NotContain(token, "the value is shown only once");
    }

    [Test]
    public async Task NewRepository_CreatedInTheBrowser_TakesAPushFromTheUrlItShows()
    {
        Browser.SignIn("bob", World.Bob.Password);
        Browser.Open("/");
        Browser.Find("#repository-name").SendKeys("bob-model");
        Browser.ClickToNavigate(Browser.Find("#new-repository button[type=submit]"));

        Browser.Location.Should().Be("/repos/bob/bob-model");
        Browser.Find("section.empty").Text.Should().Contain("This repository is empty");
        var remote = Browser.Find("section.empty pre").Text.Split('\n')[0].Split(' ')[^1];
        remote.Should().Be(World.BaseUrl + "/bob/bob-model");

        using (var dir = new TempDirectory("web-new-repo"))
        {
            await LmvpCli.RunOkAsync(dir.Path, null, "init");
            File.WriteAllText(dir.Combine("weights.bin"), "tiny");
            await LmvpCli.RunOkAsync(dir.Path, null, "commit", "-m", "first weights", "--metric", "loss=0.5");
            await LmvpCli.RunOkAsync(dir.Path, null, "remote", "add", "origin", remote);
            await LmvpCli.RunOkAsync(dir.Path, World.Bob.WriteToken, "push", "origin", "main");
        }

        Browser.Open("/repos/bob/bob-model");
        Browser.Find(".commitcard .subject").Text.Should().Be("first weights");
        Browser.Find("span.badge.private").Should().NotBeNull("new repositories are private unless unticked");
    }

    [Test]
    public void AdminUsers_ListsEveryUserForTheServerAdminOnly()
    {
        Browser.SignIn("admin", World.Server.AdminPassword);
        Browser.Open("/admin/users");
        Browser.FindAll("#users tbody tr").Select(r => r.GetAttribute("data-user")).Should().Contain(["admin", "alice", "bob"]);

        Browser.SignIn("bob", World.Bob.Password);
        Browser.Open("/admin/users");
        Browser.Find("h1").Text.Should().Be("Not allowed");
    }
}
