using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Lmvp.Server.Auth;
using Lmvp.Server.Hosting;
using Lmvp.Server.Storage;
using Lmvp.Store;
using Lmvp.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Lmvp.Server.Tests.Server;

/// <summary>Who may do what: tokens, scopes, roles, private repositories, sessions and invitations, on a real server.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class AuthTests
{
    private static readonly string SomeId = ObjectId.Compute("x"u8).ToString();

    [Test]
    public async Task NoToken_Is401WithAJsonMessage_OnEveryProtectedEndpoint()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model", isPrivate: true);
        using var anonymous = server.CreateClient();

        foreach (var path in new[] { "api/v1/user", $"api/v1/repos/{repo}", $"api/v1/repos/{repo}/refs", $"api/v1/repos/{repo}/commits", "api/v1/user/tokens",
            "api/v1/repos/alice/no-such-repository" })
        {
            var (status, body) = await Wire.GetJsonAsync(anonymous, path);
            status.Should().Be(HttpStatusCode.Unauthorized, path);
            body.Error().Should().Contain("Authorization", path);
        }

        (await Wire.PostJsonAsync(anonymous, $"api/v1/repos/{repo}/chunks/missing", new { ids = new[] { SomeId } })).Status
            .Should().Be(HttpStatusCode.Unauthorized);
        (await Wire.UploadAsync(anonymous, $"api/v1/repos/{repo}/chunks", Wire.Frames([]))).Status.Should().Be(HttpStatusCode.Unauthorized);
        using var garbage = server.CreateClient("not-a-token");
        (await Wire.GetJsonAsync(garbage, "api/v1/user")).Status.Should().Be(HttpStatusCode.Unauthorized);
        using var basic = server.CreateClient();
        basic.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("a:b"u8));
        (await Wire.GetJsonAsync(basic, "api/v1/user")).Status.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task ReadToken_CannotPush_Is403_ButCanRead()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        var commit = client.CommitFiles("one", ("a.bin", new byte[] { 1, 2, 3 }));
        using var reader = server.CreateClient(alice.ReadToken);

        var (chunks, chunksBody) = await Wire.UploadAsync(reader, $"api/v1/repos/{repo}/chunks", Wire.Frames(client.Chunks()));
        chunks.Should().Be(HttpStatusCode.Forbidden);
        chunksBody.Error().Should().Contain("scope is read");
        (await Wire.UploadAsync(reader, $"api/v1/repos/{repo}/objects", Wire.Frames(client.Objects()))).Status.Should().Be(HttpStatusCode.Forbidden);
        (await Wire.UpdateRefAsync(reader, repo, "refs/heads/main", null, commit.Id)).Status.Should().Be(HttpStatusCode.Forbidden);
        (await Wire.PostJsonAsync(reader, "api/v1/repos", new { name = "other" })).Status.Should().Be(HttpStatusCode.Forbidden);
        (await Wire.PostJsonAsync(reader, "api/v1/user/tokens", new { name = "more", scope = "admin" })).Status.Should().Be(HttpStatusCode.Forbidden);
        (await Wire.MissingAsync(reader, repo, "chunks", client.Chunks().Select(c => c.Id))).Should().NotBeEmpty("nothing was stored");
        (await Wire.GetJsonAsync(reader, $"api/v1/repos/{repo}/refs")).Status.Should().Be(HttpStatusCode.OK);

        // A member with the read role cannot push even with a write token.
        var bob = await server.CreateUserAsync("bob");
        await server.AddMemberAsync(alice.AdminToken, repo, "bob", "read");
        using var bobWriter = server.CreateClient(bob.WriteToken);
        var (role, roleBody) = await Wire.UploadAsync(bobWriter, $"api/v1/repos/{repo}/chunks", Wire.Frames(client.Chunks()));
        role.Should().Be(HttpStatusCode.Forbidden);
        roleBody.Error().Should().Contain("role");
        (await Wire.GetJsonAsync(bobWriter, $"api/v1/repos/{repo}/refs")).Status.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task PrivateRepository_Is404ToNonMembers_AndUserATokenNeverReachesUserBRepository()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var bob = await server.CreateUserAsync("bob");
        var repo = await server.CreateRepositoryAsync(bob.WriteToken, "private-model", isPrivate: true);
        using var client = ClientRepo.Create();
        var commit = client.CommitFiles("one", ("a.bin", new byte[] { 1, 2, 3 }));
        using var bobHttp = server.CreateClient(bob.WriteToken);
        (await Wire.PushAsync(bobHttp, repo, client, commit.Id, null)).Status.Should().Be(HttpStatusCode.OK);

        foreach (var token in new[] { alice.ReadToken, alice.WriteToken, alice.AdminToken })
        {
            using var http = server.CreateClient(token);
            var probes = new List<(string What, HttpStatusCode Status, string Error)>();
            async Task Probe(string what, Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body)> call)
            {
                var (status, body) = await call;
                probes.Add((what, status, body.Error()));
            }

            await Probe("repo", Wire.GetJsonAsync(http, $"api/v1/repos/{repo}"));
            await Probe("refs", Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/refs"));
            await Probe("members", Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/members"));
            await Probe("objects/missing", Wire.PostJsonAsync(http, $"api/v1/repos/{repo}/objects/missing", new { ids = new[] { commit.Id.ToString() } }));
            await Probe("chunks/missing", Wire.PostJsonAsync(http, $"api/v1/repos/{repo}/chunks/missing", new { ids = new[] { SomeId } }));
            await Probe("closure", Wire.PostJsonAsync(http, $"api/v1/repos/{repo}/objects/closure", new { want = new[] { commit.Id.ToString() } }));
            await Probe("download", Wire.PostJsonAsync(http, $"api/v1/repos/{repo}/chunks/download", new { ids = new[] { client.Chunks()[0].Id.ToString() } }));
            await Probe("chunks", Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(client.Chunks())));
            await Probe("objects", Wire.UploadAsync(http, $"api/v1/repos/{repo}/objects", Wire.Frames(client.Objects())));
            await Probe("update", Wire.UpdateRefAsync(http, repo, "refs/heads/main", commit.Id, commit.Id, force: true));
            if (token == alice.AdminToken)
            {
                await Probe("invite", Wire.PostJsonAsync(http, "api/v1/invitations", new { repository = repo, role = "read" }));
            }

            probes.Should().OnlyContain(p => p.Status == HttpStatusCode.NotFound && p.Error.Contains("not found"),
                "a private repository is invisible: the same 404 as one that does not exist");

            var (list, listBody) = await Wire.GetJsonAsync(http, "api/v1/repos");
            list.Should().Be(HttpStatusCode.OK);
            listBody.ToString().Should().NotContain("private-model");
        }

        (await Wire.GetJsonAsync(server.CreateClient(alice.WriteToken), "api/v1/repos/bob/does-not-exist")).Body.Error()
            .Should().Be("repository bob/does-not-exist not found");

        // Made public, it is readable by alice but still not writable.
        using var bobAdmin = server.CreateClient(bob.AdminToken);
        using (var patch = await bobAdmin.PatchAsync($"api/v1/repos/{repo}", new StringContent("{\"private\": false}", Encoding.UTF8, "application/json")))
        {
            patch.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        using var aliceHttp = server.CreateClient(alice.WriteToken);
        (await Wire.GetJsonAsync(aliceHttp, $"api/v1/repos/{repo}/refs")).Status.Should().Be(HttpStatusCode.OK);
        (await Wire.UpdateRefAsync(aliceHttp, repo, "refs/heads/main", commit.Id, commit.Id)).Status.Should().Be(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task Members_AddedGainAccess_RemovedLoseIt()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var bob = await server.CreateUserAsync("bob");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var bobHttp = server.CreateClient(bob.WriteToken);
        (await Wire.GetJsonAsync(bobHttp, $"api/v1/repos/{repo}/refs")).Status.Should().Be(HttpStatusCode.NotFound);

        await server.AddMemberAsync(alice.AdminToken, repo, "bob", "write");
        (await Wire.GetJsonAsync(bobHttp, $"api/v1/repos/{repo}/refs")).Status.Should().Be(HttpStatusCode.OK);
        var (members, membersBody) = await Wire.GetJsonAsync(server.CreateClient(alice.AdminToken), $"api/v1/repos/{repo}/members");
        members.Should().Be(HttpStatusCode.OK);
        membersBody.ToString().Should().Contain("\"bob\"").And.Contain("\"write\"");
        (await Wire.GetJsonAsync(bobHttp, $"api/v1/repos/{repo}/members")).Status.Should().Be(HttpStatusCode.Forbidden, "managing members needs admin");

        // A write token cannot manage members even for the owner: that needs the admin scope.
        using var aliceWrite = server.CreateClient(alice.WriteToken);
        using (var put = await aliceWrite.PutAsync($"api/v1/repos/{repo}/members/bob", new StringContent("{\"role\":\"admin\"}", Encoding.UTF8, "application/json")))
        {
            put.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        }

        using var aliceAdmin = server.CreateClient(alice.AdminToken);
        using (var delete = await aliceAdmin.DeleteAsync($"api/v1/repos/{repo}/members/bob"))
        {
            delete.StatusCode.Should().Be(HttpStatusCode.NoContent);
        }

        (await Wire.GetJsonAsync(bobHttp, $"api/v1/repos/{repo}/refs")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task ExpiredAndRevokedTokens_Fail401()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var expired = await server.CreateTokenAsync("alice", "write", DateTimeOffset.UtcNow.AddMinutes(-1));
        using var expiredHttp = server.CreateClient(expired);
        var (status, body) = await Wire.GetJsonAsync(expiredHttp, "api/v1/user");
        status.Should().Be(HttpStatusCode.Unauthorized);
        body.Error().Should().Contain("expired");

        using var admin = server.CreateClient(alice.AdminToken);
        var (created, createdBody) = await Wire.PostJsonAsync(admin, "api/v1/user/tokens", new { name = "laptop", scope = "write", expiresDays = 30 });
        created.Should().Be(HttpStatusCode.Created);
        var token = createdBody.GetProperty("token").GetString()!;
        token.Should().StartWith("lmvp_pat_");
        using var tokenHttp = server.CreateClient(token);
        (await Wire.GetJsonAsync(tokenHttp, "api/v1/user")).Status.Should().Be(HttpStatusCode.OK);
        var (listed, listBody) = await Wire.GetJsonAsync(admin, "api/v1/user/tokens");
        listed.Should().Be(HttpStatusCode.OK);
        listBody.ToString().Should().Contain("laptop").And.NotContain(token);

        using (var revoke = await admin.DeleteAsync($"api/v1/user/tokens/{createdBody.GetProperty("id").GetInt64()}"))
        {
            revoke.StatusCode.Should().Be(HttpStatusCode.NoContent);
        }

        var (revoked, revokedBody) = await Wire.GetJsonAsync(tokenHttp, "api/v1/user");
        revoked.Should().Be(HttpStatusCode.Unauthorized);
        revokedBody.Error().Should().Contain("revoked");

        // One user cannot revoke another's token.
        var bob = await server.CreateUserAsync("bob");
        using var bobAdmin = server.CreateClient(bob.AdminToken);
        var (aliceTokens, aliceTokensBody) = await Wire.GetJsonAsync(admin, "api/v1/user/tokens");
        aliceTokens.Should().Be(HttpStatusCode.OK);
        var aliceTokenId = aliceTokensBody.EnumerateArray().First().GetProperty("id").GetInt64();
        using (var steal = await bobAdmin.DeleteAsync($"api/v1/user/tokens/{aliceTokenId}"))
        {
            steal.StatusCode.Should().Be(HttpStatusCode.NotFound);
        }
    }

    [Test]
    public async Task DisabledUser_TokensSessionsAndLoginFail401_UntilEnabledAgain()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        using var anonymous = server.CreateClient();
        var (_, login) = await Wire.PostJsonAsync(anonymous, "api/v1/auth/login", new { username = "alice", password = alice.Password });
        using var session = server.CreateClient(login.GetProperty("accessToken").GetString());
        using var token = server.CreateClient(alice.WriteToken);
        using var root = server.CreateClient(server.AdminToken);

        using (var disable = await root.PatchAsync("api/v1/users/alice", new StringContent("{\"disabled\": true}", Encoding.UTF8, "application/json")))
        {
            disable.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        (await Wire.GetJsonAsync(token, "api/v1/user")).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await Wire.GetJsonAsync(session, "api/v1/user")).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await Wire.PostJsonAsync(anonymous, "api/v1/auth/login", new { username = "alice", password = alice.Password })).Status
            .Should().Be(HttpStatusCode.Unauthorized);
        using (var byAlice = await server.CreateClient(alice.AdminToken).PatchAsync("api/v1/users/alice",
            new StringContent("{\"disabled\": false}", Encoding.UTF8, "application/json")))
        {
            byAlice.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        using (var enable = await root.PatchAsync("api/v1/users/alice", new StringContent("{\"disabled\": false}", Encoding.UTF8, "application/json")))
        {
            enable.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        (await Wire.GetJsonAsync(token, "api/v1/user")).Status.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task Secrets_AreStoredOnlyAsHashes_NeverRaw()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        using var anonymous = server.CreateClient();
        var (_, login) = await Wire.PostJsonAsync(anonymous, "api/v1/auth/login", new { username = "alice", password = alice.Password });
        var refresh = login.GetProperty("refreshToken").GetString()!;
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        var (_, invitation) = await Wire.PostJsonAsync(server.CreateClient(alice.AdminToken), "api/v1/invitations", new { repository = repo });
        var code = invitation.GetProperty("code").GetString()!;
        await server.StopAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var everything = Directory.EnumerateFiles(server.DataDirectory, "*", SearchOption.AllDirectories).Select(File.ReadAllBytes).ToList();
        foreach (var secret in new[] { alice.ReadToken, alice.WriteToken, alice.AdminToken, server.AdminToken, refresh, code, alice.Password })
        {
            var raw = Encoding.UTF8.GetBytes(secret);
            everything.Any(bytes => Contains(bytes, raw)).Should().BeFalse("no file of the data directory holds a secret in the clear");
        }

        var hash = Secrets.Hash(alice.WriteToken);
        everything.Any(bytes => Contains(bytes, hash)).Should().BeTrue("the token's SHA-256 is what is kept");
    }

    private static bool Contains(byte[] haystack, byte[] needle) => haystack.AsSpan().IndexOf(needle) >= 0;

    [Test]
    public async Task SessionFlow_Login_Refresh_Rotation_Logout()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        using var anonymous = server.CreateClient();
        (await Wire.PostJsonAsync(anonymous, "api/v1/auth/login", new { username = "alice", password = "wrong-password" })).Status
            .Should().Be(HttpStatusCode.Unauthorized);
        (await Wire.PostJsonAsync(anonymous, "api/v1/auth/login", new { username = "nobody", password = "wrong-password" })).Status
            .Should().Be(HttpStatusCode.Unauthorized);

        var (status, login) = await Wire.PostJsonAsync(anonymous, "api/v1/auth/login", new { username = "alice", password = alice.Password });
        status.Should().Be(HttpStatusCode.OK);
        login.GetProperty("expiresIn").GetInt32().Should().Be(1200);
        var access = login.GetProperty("accessToken").GetString()!;
        var refresh = login.GetProperty("refreshToken").GetString()!;
        using (var http = server.CreateClient(access))
        {
            var (me, meBody) = await Wire.GetJsonAsync(http, "api/v1/user");
            me.Should().Be(HttpStatusCode.OK);
            meBody.GetProperty("username").GetString().Should().Be("alice");
            meBody.GetProperty("authMethod").GetString().Should().Be("session");
        }

        var (refreshed, next) = await Wire.PostJsonAsync(anonymous, "api/v1/auth/refresh", new { refreshToken = refresh });
        refreshed.Should().Be(HttpStatusCode.OK);
        var access2 = next.GetProperty("accessToken").GetString()!;
        var refresh2 = next.GetProperty("refreshToken").GetString()!;
        refresh2.Should().NotBe(refresh);
        using (var http = server.CreateClient(access2))
        {
            (await Wire.GetJsonAsync(http, "api/v1/user")).Status.Should().Be(HttpStatusCode.OK);
        }

        var (logout, _) = await Wire.PostJsonAsync(anonymous, "api/v1/auth/logout", new { refreshToken = refresh2 });
        logout.Should().Be(HttpStatusCode.NoContent);
        using (var http = server.CreateClient(access2))
        {
            var (after, afterBody) = await Wire.GetJsonAsync(http, "api/v1/user");
            after.Should().Be(HttpStatusCode.Unauthorized);
            afterBody.Error().Should().Contain("session");
        }

        (await Wire.PostJsonAsync(anonymous, "api/v1/auth/refresh", new { refreshToken = refresh2 })).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await Wire.PostJsonAsync(anonymous, "api/v1/auth/refresh", new { refreshToken = "lmvp_rt_forged" })).Status.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task SpentRefreshToken_IsRejected_AndEndsItsSession()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        using var anonymous = server.CreateClient();
        var (_, login) = await Wire.PostJsonAsync(anonymous, "api/v1/auth/login", new { username = "alice", password = alice.Password });
        var refresh = login.GetProperty("refreshToken").GetString()!;
        var (_, next) = await Wire.PostJsonAsync(anonymous, "api/v1/auth/refresh", new { refreshToken = refresh });
        var access2 = next.GetProperty("accessToken").GetString()!;

        var (reuse, reuseBody) = await Wire.PostJsonAsync(anonymous, "api/v1/auth/refresh", new { refreshToken = refresh });
        reuse.Should().Be(HttpStatusCode.Unauthorized);
        reuseBody.Error().Should().Contain("already used");
        using var http = server.CreateClient(access2);
        (await Wire.GetJsonAsync(http, "api/v1/user")).Status.Should().Be(HttpStatusCode.Unauthorized, "a replayed refresh token ends the whole session");
        (await Wire.PostJsonAsync(anonymous, "api/v1/auth/refresh", new { refreshToken = next.GetProperty("refreshToken").GetString() })).Status
            .Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task SessionAccessToken_ExpiredOrSignedWithAnotherKey_Fails401()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        using var anonymous = server.CreateClient();
        var (_, login) = await Wire.PostJsonAsync(anonymous, "api/v1/auth/login", new { username = "alice", password = alice.Password });
        var sessionId = (await server.Metadata.Sessions.FindSessionByRefreshAsync(Secrets.Hash(login.GetProperty("refreshToken").GetString()!), default))!.Id;
        var user = (await server.Metadata.Users.FindUserAsync("alice", default))!;

        // Signed with the server's own key, for a live session, but issued 21 minutes ago.
        var serverKey = new SessionTokens(SessionTokens.LoadOrCreateKey(server.DataDirectory));
        var old = serverKey.Issue(user, sessionId, DateTimeOffset.UtcNow.AddMinutes(-21));
        using (var http = server.CreateClient(old))
        {
            var (status, body) = await Wire.GetJsonAsync(http, "api/v1/user");
            status.Should().Be(HttpStatusCode.Unauthorized);
            body.Error().Should().Contain("expired");
        }

        var fresh = serverKey.Issue(user, sessionId, DateTimeOffset.UtcNow);
        using (var http = server.CreateClient(fresh))
        {
            (await Wire.GetJsonAsync(http, "api/v1/user")).Status.Should().Be(HttpStatusCode.OK, "the same token, issued now, is valid");
        }

        var otherKey = new SessionTokens(System.Security.Cryptography.RandomNumberGenerator.GetBytes(64));
        using (var http = server.CreateClient(otherKey.Issue(user, sessionId, DateTimeOffset.UtcNow)))
        {
            (await Wire.GetJsonAsync(http, "api/v1/user")).Status.Should().Be(HttpStatusCode.Unauthorized);
        }

        var keyFile = new FileInfo(Path.Combine(server.DataDirectory, SessionTokens.KeyFileName));
        if (!OperatingSystem.IsWindows())
        {
            keyFile.UnixFileMode.Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Test]
    public async Task Invitation_RegistersAUserIntoTheRepositoryWithTheRole_Once()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var aliceAdmin = server.CreateClient(alice.AdminToken);
        using var anonymous = server.CreateClient();

        var (created, invitation) = await Wire.PostJsonAsync(aliceAdmin, "api/v1/invitations", new { repository = repo, role = "write" });
        created.Should().Be(HttpStatusCode.Created, invitation.ToString());
        var code = invitation.GetProperty("code").GetString()!;

        (await Wire.PostJsonAsync(anonymous, "api/v1/auth/register", new { code, username = "carol", password = "short" })).Status
            .Should().Be(HttpStatusCode.BadRequest);
        (await Wire.PostJsonAsync(anonymous, "api/v1/auth/register", new { code, username = "../carol", password = "long enough password" })).Status
            .Should().Be(HttpStatusCode.BadRequest);
        (await Wire.PostJsonAsync(anonymous, "api/v1/auth/register", new { code, username = "alice", password = "long enough password" })).Status
            .Should().Be(HttpStatusCode.Conflict);
        var (registered, user) = await Wire.PostJsonAsync(anonymous, "api/v1/auth/register", new { code, username = "carol", password = "long enough password" });
        registered.Should().Be(HttpStatusCode.Created, user.ToString());
        (await Wire.PostJsonAsync(anonymous, "api/v1/auth/register", new { code, username = "dave", password = "long enough password" })).Status
            .Should().Be(HttpStatusCode.Unauthorized, "an invitation is spent once");

        var (_, login) = await Wire.PostJsonAsync(anonymous, "api/v1/auth/login", new { username = "carol", password = "long enough password" });
        using var carol = server.CreateClient(login.GetProperty("accessToken").GetString());
        var (repoStatus, repoBody) = await Wire.GetJsonAsync(carol, $"api/v1/repos/{repo}");
        repoStatus.Should().Be(HttpStatusCode.OK);
        repoBody.GetProperty("role").GetString().Should().Be("write");

        // Carol writes but does not administer: she may not invite to alice's repository, nor to the server.
        (await Wire.PostJsonAsync(carol, "api/v1/invitations", new { repository = repo, role = "read" })).Status.Should().Be(HttpStatusCode.Forbidden);
        (await Wire.PostJsonAsync(carol, "api/v1/invitations", new { })).Status.Should().Be(HttpStatusCode.Forbidden);
        (await Wire.PostJsonAsync(aliceAdmin, "api/v1/invitations", new { repository = repo, admin = true })).Status.Should().Be(HttpStatusCode.Forbidden);

        // The server admin may invite anyone to the server.
        using var root = server.CreateClient(server.AdminToken);
        var (rootInvite, rootInvitation) = await Wire.PostJsonAsync(root, "api/v1/invitations", new { admin = true });
        rootInvite.Should().Be(HttpStatusCode.Created);
        var (admin, adminBody) = await Wire.PostJsonAsync(anonymous, "api/v1/auth/register",
            new { code = rootInvitation.GetProperty("code").GetString(), username = "erin", password = "long enough password" });
        admin.Should().Be(HttpStatusCode.Created);
        adminBody.GetProperty("isAdmin").GetBoolean().Should().BeTrue();
    }

    [Test]
    public async Task FirstStart_CreatesAnAdminWithAWorkingToken_AndASecondServerCannotShareTheDirectory()
    {
        await using var server = await TestServer.StartAsync();
        server.AdminToken.Should().StartWith("lmvp_pat_");
        using (var http = server.CreateClient(server.AdminToken))
        {
            var (status, body) = await Wire.GetJsonAsync(http, "api/v1/user");
            status.Should().Be(HttpStatusCode.OK);
            body.GetProperty("username").GetString().Should().Be("admin");
            body.GetProperty("isAdmin").GetBoolean().Should().BeTrue();
        }

        var (login, _) = await Wire.PostJsonAsync(server.CreateClient(), "api/v1/auth/login", new { username = "admin", password = server.AdminPassword });
        login.Should().Be(HttpStatusCode.OK);

        var second = async () => await ServerHost.StartAsync(new ServerOptions
        {
            DataDirectory = server.DataDirectory,
            Urls = ["http://127.0.0.1:0"],
            Out = TextWriter.Null,
            MinimumLogLevel = Microsoft.Extensions.Logging.LogLevel.Warning,
        });
        (await second.Should().ThrowAsync<InvalidOperationException>()).WithMessage("*in use by another lmvp-server*");

        // A restart keeps users and tokens and does not bootstrap again.
        await server.RestartAsync();
        server.Services.GetRequiredService<MetadataStores>().Should().NotBeNull();
        using var again = server.CreateClient(server.AdminToken);
        (await Wire.GetJsonAsync(again, "api/v1/user")).Status.Should().Be(HttpStatusCode.OK);
        (await server.Metadata.Users.ListUsersAsync(default)).Should().ContainSingle();
    }
}
