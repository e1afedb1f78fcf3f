using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Lmvp.Server.Tests.Api;
using Lmvp.Server.Tests.Support;
using Lmvp.Store;
using Lmvp.Testing;
using Lmvp.Testing.ScaleOut;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace Lmvp.Server.Tests.EndToEnd;

/// <summary>Two servers on one PostgreSQL database and one bucket, with no load balancer: a client may talk to either, and both
/// give the same answers.</summary>
[TestFixture]
[NonParallelizable]
public sealed class TwoServerTests
{
    private SharedStorage _shared = null!;
    private TestServer _a = null!;
    private TestServer _b = null!;
    private TestUser _alice = null!;
    private TestUser _bob = null!;

    [OneTimeSetUp]
    public async Task StartServersAsync()
    {
        _shared = await Backend.NewSharedAsync("two");
        _a = await TestServer.StartSharedAsync(_shared);
        _b = await TestServer.StartSharedAsync(_shared);
        _alice = await _a.CreateUserAsync("alice");
        _bob = await _b.CreateUserAsync("bob");
    }

    [OneTimeTearDown]
    public async Task StopServersAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    private async Task<string> NewRepositoryAsync()
    {
        var fullName = await _a.CreateRepositoryAsync(_alice.WriteToken, "model-" + Guid.NewGuid().ToString("N")[..8]);
        await _b.AddMemberAsync(_alice.AdminToken, fullName, "bob", "write");
        return fullName;
    }

    [Test]
    public async Task ClientsAlternatingBetweenServers_SeeOneRepository_AndBothGiveTheSameAnswers()
    {
        var repo = await NewRepositoryAsync();
        using var alice = new ClientMachine(_alice.WriteToken);
        using var bob = new ClientMachine(_bob.WriteToken);
        alice.Write("work/model.bin", TestData.Random(3 * TestData.MiB, 1));
        await alice.LmvpOkAsync("work", "init");
        await alice.LmvpOkAsync("work", "commit", "-m", "epoch 1", "--author", "A <a@example.com>");
        await alice.LmvpOkAsync("work", "remote", "add", "origin", $"{_a.BaseUrl}/{repo}");
        await alice.LmvpOkAsync("work", "push");

        await bob.LmvpOkAsync("", "clone", $"{_b.BaseUrl}/{repo}", "copy");
        bob.Fingerprint("copy").Should().Equal(alice.Fingerprint("work"));
        bob.Write("copy/notes.txt", "from bob"u8.ToArray());
        await bob.LmvpOkAsync("copy", "commit", "-m", "epoch 2", "--author", "B <b@example.com>");
        await bob.LmvpOkAsync("copy", "push");
        await alice.LmvpOkAsync("work", "pull");
        alice.Fingerprint("work").Should().Equal(bob.Fingerprint("copy"));

        foreach (var path in new[] { $"api/v1/repos/{repo}/refs", $"api/v1/repos/{repo}", "api/v1/repos" })
        {
            using var onA = _a.CreateClient(_alice.ReadToken);
            using var onB = _b.CreateClient(_alice.ReadToken);
            (await onB.GetStringAsync(path)).Should().Be(await onA.GetStringAsync(path), "{0} answers the same on both servers", path);
        }
    }

    [Test]
    public async Task ASessionStartedOnOneServer_WorksAndRefreshesOnTheOther_AndCookieKeysAreShared()
    {
        using var a = _a.CreateClient();
        using var b = _b.CreateClient();
        var login = await a.PostAsJsonAsync("api/v1/auth/login", new { username = "alice", password = _alice.Password });
        login.StatusCode.Should().Be(HttpStatusCode.OK);
        var tokens = JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement;

        using var onB = _b.CreateClient(tokens.GetProperty("accessToken").GetString());
        (await onB.GetStringAsync("api/v1/user")).Should().Contain("\"alice\"", "server B checks a token server A signed");
        var refresh = await b.PostAsJsonAsync("api/v1/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() });
        refresh.StatusCode.Should().Be(HttpStatusCode.OK);
        var again = await a.PostAsJsonAsync("api/v1/auth/refresh", new { refreshToken = tokens.GetProperty("refreshToken").GetString() });
        again.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "a refresh token spent on B is spent on A too");

        // Cookies and antiforgery tokens are Data Protection payloads: one server's must open on the other.
        var payload = _a.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Lmvp.Web.SessionCookie.v1").Protect("1:session");
        _b.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Lmvp.Web.SessionCookie.v1").Unprotect(payload).Should().Be("1:session");
    }

    [Test]
    public async Task AnUploadsPartsSentToEitherServer_AreOneUpload_FinishedAndCommittedOnEither_AndReadBackThroughBoth()
    {
        var repo = await NewRepositoryAsync();
        using var onA = _a.CreateClient(_alice.WriteToken);
        using var onB = _b.CreateClient(_alice.WriteToken);
        var content = TestData.Random((3 * TestData.MiB) + 777, 21);
        var id = await ContentClient.StartAsync(onA, repo, content.Length);
        var servers = new[] { onA, onB };
        for (var (offset, part) = (0, 0); offset < content.Length; offset += TestData.MiB, part++)
        {
            var (status, body, next) = await ContentClient.PatchAsync(servers[part % 2], repo, id, offset,
                content.AsMemory(offset, Math.Min(TestData.MiB, content.Length - offset)));
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            next.Should().Be(Math.Min(offset + TestData.MiB, content.Length));
        }

        // A part resent to the other server after the first took it is refused with the shared offset.
        var (stale, _, resumeAt) = await ContentClient.PatchAsync(onA, repo, id, 0, content.AsMemory(0, 10));
        stale.Should().Be(HttpStatusCode.Conflict);
        resumeAt.Should().Be(content.Length);

        var (finished, answer) = await ContentClient.FinishAsync(onB, repo, id, ContentClient.Sha256(content));
        finished.Should().Be(HttpStatusCode.OK, answer.ToString());
        var (made, commit) = await ContentClient.CommitAsync(onA, repo, new { branch = "main", message = "two servers", files = new[] { new { path = "model.pt", upload = id } } });
        made.Should().Be(HttpStatusCode.Created, commit.ToString());

        foreach (var http in servers)
        {
            var (status, bytes, response) = await ContentClient.GetBytesAsync(http, $"api/v1/repos/{repo}/resolve/main/model.pt");
            status.Should().Be(HttpStatusCode.OK);
            bytes.Should().Equal(content);
            response.Headers.GetValues("Repr-Digest").Single().Should().Be($"sha-256=:{Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(content))}:");
        }

        await foreach (var blob in _a.Services.GetRequiredService<Lmvp.Server.Storage.IBlobStore>().ListAsync("uploads/" + id, default))
        {
            Assert.Fail($"upload part {blob.Name} was left in the bucket after the upload finished");
        }
    }

    [Test]
    public async Task TwoPushesToOneBranch_ThroughDifferentServers_ExactlyOneWins()
    {
        var repo = await NewRepositoryAsync();
        using var alice = new ClientMachine(_alice.WriteToken);
        using var bob = new ClientMachine(_bob.WriteToken);
        alice.Write("work/base.bin", TestData.Random(200_000, 30));
        await alice.LmvpOkAsync("work", "init");
        await alice.LmvpOkAsync("work", "commit", "-m", "base", "--author", "A <a@example.com>");
        await alice.LmvpOkAsync("work", "remote", "add", "origin", $"{_a.BaseUrl}/{repo}");
        await alice.LmvpOkAsync("work", "push");
        await bob.LmvpOkAsync("", "clone", $"{_b.BaseUrl}/{repo}", "work");
        alice.Write("work/a.bin", TestData.Random(2 * TestData.MiB, 31));
        bob.Write("work/b.bin", TestData.Random(2 * TestData.MiB, 32));
        await alice.LmvpOkAsync("work", "commit", "-m", "a", "--author", "A <a@example.com>");
        await bob.LmvpOkAsync("work", "commit", "-m", "b", "--author", "B <b@example.com>");

        using var ra = Repository.Open(alice.PathOf("work"));
        using var rb = Repository.Open(bob.PathOf("work"));
        var commits = new[] { ra.Head!.Value, rb.Head!.Value };
        var pushes = new[] { Task.Run(() => ra.PushAsync(options: alice.Options())), Task.Run(() => rb.PushAsync(options: bob.Options())) };
        try
        {
            await Task.WhenAll(pushes);
        }
        catch (RefConflictException)
        {
        }

        pushes.Count(p => p.IsCompletedSuccessfully).Should().Be(1);
        pushes.Single(p => p.IsFaulted).Exception!.InnerException.Should().BeOfType<RefConflictException>();
        var winner = commits[Array.FindIndex(pushes, p => p.IsCompletedSuccessfully)];
        using var http = _b.CreateClient(_alice.ReadToken);
        JsonDocument.Parse(await http.GetStringAsync($"api/v1/repos/{repo}/refs")).RootElement.GetProperty("refs").GetProperty("refs/heads/main").GetString()
            .Should().Be(winner.ToString());
    }

    [Test]
    public async Task AServerKilledMidPush_TheRunAgainCompletesThroughTheOther_AndACloneIsByteIdentical()
    {
        const int size = 24 * TestData.MiB;
        var repo = await NewRepositoryAsync();
        await using var doomed = await ServerChild.StartAsync(_shared.Arguments, _shared.Environment);
        await using var relay = new TcpRelay(doomed.Port);
        using var alice = new ClientMachine(_alice.WriteToken);
        alice.Write("work/model.bin", TestData.Random(size, 11));
        await alice.LmvpOkAsync("work", "init");
        await alice.LmvpOkAsync("work", "commit", "-m", "big", "--author", "A <a@example.com>");
        await alice.LmvpOkAsync("work", "remote", "add", "origin", $"http://127.0.0.1:{relay.Port}/{repo}");
        using (var repository = Repository.Open(alice.PathOf("work")))
        {
            repository.SetConfig(Lmvp.Store.Sync.SyncOptions.RequestBytesConfigKey, (2 * TestData.MiB).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        // Half the model through the relay, then SIGKILL the server it talks to.
        relay.HoldWhen(upstream: true, size / 2, doomed.Kill);
        var killed = await alice.LmvpAsync("work", "push");
        relay.CutHeld();
        killed.ExitCode.Should().NotBe(0, "its server died mid-push: {0}", killed);
        doomed.HasExited.Should().BeTrue();
        using (var http = _a.CreateClient(_alice.ReadToken))
        {
            JsonDocument.Parse(await http.GetStringAsync($"api/v1/repos/{repo}/refs")).RootElement.GetProperty("refs").EnumerateObject().Should().BeEmpty();
        }

        await alice.LmvpOkAsync("work", "remote", "set-url", "origin", $"{_b.BaseUrl}/{repo}");
        var resumed = JsonDocument.Parse((await alice.LmvpOkAsync("work", "push", "--json")).Out).RootElement.GetProperty("transfer");
        resumed.GetProperty("chunkBytesSent").GetInt64().Should().BeLessThan(size, "what the killed server had stored is in the shared storage");

        using var bob = new ClientMachine(_bob.WriteToken);
        await bob.LmvpOkAsync("", "clone", $"{_a.BaseUrl}/{repo}", "copy");
        bob.Fingerprint("copy").Should().Equal(alice.Fingerprint("work"));
    }
}
