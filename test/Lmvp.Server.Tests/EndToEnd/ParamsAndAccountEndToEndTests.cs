using System.Text.Json;
using Lmvp.Store;
using Lmvp.Store.Sync;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.EndToEnd;

/// <summary>Params and non-finite metrics through push, clone and the web history; whoami, logout and the auth messages,
/// against a real lmvp-server on a loopback port.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ParamsAndAccountEndToEndTests : ServerWithAliceFixture
{
    private async Task<(string Name, string Url)> NewRepositoryAsync(bool isPrivate = true)
    {
        var name = "run-" + Guid.NewGuid().ToString("N")[..10];
        var fullName = await Server.CreateRepositoryAsync(Alice.WriteToken, name, isPrivate);
        return (name, $"{Server.BaseUrl}/{fullName}");
    }

    [Test]
    public async Task PushAndClone_CarryNaNMetricsAndParams_WithTheSameCommitIds()
    {
        var (name, url) = await NewRepositoryAsync();
        using var alice = new ClientMachine(Alice.WriteToken);
        alice.Write("work/model.bin", TestData.Random(200_000, 7));
        await alice.LmvpOkAsync("work", "init");
        await alice.LmvpOkAsync("work", "commit", "-m", "diverged", "--metric", "loss=nan", "--metric", "grad_norm=inf", "--param", "lr=10", "--param", "optimizer=sgd");
        await alice.LmvpOkAsync("work", "remote", "add", "origin", url);
        await alice.LmvpOkAsync("work", "push");

        using var bob = new ClientMachine(Alice.ReadToken);
        await bob.LmvpOkAsync("", "clone", url, "copy");

        using var mine = Repository.Open(alice.PathOf("work"));
        using var theirs = Repository.Open(bob.PathOf("copy"));
        theirs.Head.Should().Be(mine.Head);
        var commit = theirs.GetCommit(theirs.Head!.Value);
        double.IsNaN(commit.Metrics.Single(m => m.Key == "loss").Value).Should().BeTrue();
        commit.Params.Should().Equal(new KeyValuePair<string, ParamValue>("lr", 10), new KeyValuePair<string, ParamValue>("optimizer", "sgd"));
        (await bob.LmvpOkAsync("copy", "log", "--oneline")).Out.Should().Contain("diverged  grad_norm=inf loss=NaN");
    }

    [Test]
    public async Task BadToken_FromLmvpToken_SaysLmvpTokenIsWhatIsWrong_AndFromLogin_SaysLoginAgain()
    {
        var (_, url) = await NewRepositoryAsync();
        using var machine = new ClientMachine("lmvp_pat_not-a-real-token");
        machine.Write("work/a.bin", TestData.Random(1000, 1));
        await machine.LmvpOkAsync("work", "init");
        await machine.LmvpOkAsync("work", "commit", "-m", "one");
        await machine.LmvpOkAsync("work", "remote", "add", "origin", url);

        var fromEnvironment = await machine.LmvpAsync("work", "push");
        fromEnvironment.ExitCode.Should().Be(1);
        fromEnvironment.Error.Should().StartWith($"error: authentication failed for {Server.BaseUrl}: the token in LMVP_TOKEN was rejected (unknown, expired or revoked); "
            + "set a valid one, or unset LMVP_TOKEN to use the token saved by 'lmvp login'");

        machine.Environment.Remove(CredentialStore.TokenVariable);
        new CredentialStore(machine.ConfigDirectory).SaveToken(Server.BaseUrl, "lmvp_pat_revoked-or-unknown");
        var saved = await machine.LmvpAsync("work", "push");
        saved.Error.Should().StartWith($"error: authentication failed for {Server.BaseUrl}: the token saved for it was rejected (unknown, expired or revoked); "
            + $"run 'lmvp login {Server.BaseUrl}' again");
    }

    [Test]
    public async Task WhoAmI_NamesTheUserAndWhereTheTokenCameFrom_AndLogoutForgetsIt()
    {
        var (_, url) = await NewRepositoryAsync();
        using var machine = new ClientMachine();
        var login = await machine.RunProcessAsync("", Alice.WriteToken + "\n", "login", Server.BaseUrl, "--token-stdin");
        login.ExitCode.Should().Be(0, login.ToString());

        (await machine.LmvpOkAsync("", "whoami")).Out.Should().Be($"alice on {Server.BaseUrl} (token from lmvp login, scope write)\n");
        machine.Write("work/a.txt", "a"u8.ToArray());
        await machine.LmvpOkAsync("work", "init");
        await machine.LmvpOkAsync("work", "remote", "add", "origin", url);
        var json = JsonDocument.Parse((await machine.LmvpOkAsync("work", "whoami", "--json")).Out).RootElement;
        json.GetProperty("username").GetString().Should().Be("alice");
        json.GetProperty("server").GetString().Should().Be(Server.BaseUrl, "inside a repository, origin's server is asked");

        machine.Environment[CredentialStore.TokenVariable] = Alice.ReadToken;
        (await machine.LmvpOkAsync("", "whoami", Server.BaseUrl)).Out.Should().Be($"alice on {Server.BaseUrl} (token from LMVP_TOKEN, scope read)\n");
        machine.Environment[CredentialStore.TokenVariable] = "lmvp_pat_nope";
        var rejected = await machine.LmvpAsync("", "whoami", Server.BaseUrl);
        rejected.ExitCode.Should().Be(1);
        rejected.ErrorLines.Should().ContainSingle().Which.Should().StartWith($"error: {Server.BaseUrl} rejected the token in LMVP_TOKEN");
        machine.Environment.Remove(CredentialStore.TokenVariable);

        var logout = await machine.LmvpOkAsync("", "logout");
        logout.Out.Should().StartWith($"Logged out of {Server.BaseUrl}");
        new CredentialStore(machine.ConfigDirectory).ListServers().Should().BeEmpty();
        var after = await machine.LmvpAsync("", "whoami", Server.BaseUrl);
        after.ExitCode.Should().Be(1);
        after.ErrorLines.Should().Equal($"error: not logged in to {Server.BaseUrl}: run 'lmvp login {Server.BaseUrl}' (or set LMVP_TOKEN)");
        (await machine.LmvpAsync("", "logout", Server.BaseUrl)).ErrorLines.Should().Equal($"error: No token is saved for {Server.BaseUrl} (see 'lmvp whoami').");
    }

    [Test]
    public async Task DamagedCredentialsFile_IsNamedWithLineAndColumn_NotParserText()
    {
        using var machine = new ClientMachine();
        Directory.CreateDirectory(machine.ConfigDirectory);
        File.WriteAllText(Path.Combine(machine.ConfigDirectory, "credentials.json"), "{\"servers\": {\n  \"http://x\": {\"token\": }}}");

        var result = await machine.LmvpAsync("", "logout", "http://127.0.0.1:9");

        result.ExitCode.Should().Be(1);
        result.ErrorLines.Should().Equal(
            $"error: {Path.Combine(machine.ConfigDirectory, "credentials.json")} is not valid JSON at line 2, column 25; fix or delete it and run 'lmvp login' again.");
    }
}
