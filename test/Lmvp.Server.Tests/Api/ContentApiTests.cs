using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Lmvp.Server.Tests.Server;
using Lmvp.Store;
using Lmvp.Store.Sync;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.Api;

/// <summary>History, files and tags as JSON and bytes, with revisions by name, against a real server holding what the CLI pushed.</summary>
public sealed class ContentApiTests
{
    private static async Task<(TestServer Server, TestUser Alice, string Repo, ClientRepo Client, List<Commit> Commits)> PushedAsync(bool isPrivate,
        int commits = 3)
    {
        var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model", isPrivate);
        var client = ClientRepo.Create();
        var made = new List<Commit>();
        for (var i = 0; i < commits; i++)
        {
            made.Add(client.CommitFiles($"epoch {i}\n\nbody {i}", ("weights.bin", TestData.Random(300_000 + i, i)), ("cfg/config.json", "{\"epoch\":"u8.ToArray().Concat([(byte)('0' + (i % 10)), (byte)'}']).ToArray())));
        }

        client.Repository.AddRemote("origin", $"{server.BaseUrl}/{repo}");
        await client.Repository.PushAsync("origin", "main", options: new SyncOptions { Token = alice.WriteToken });
        return (server, alice, repo, client, made);
    }

    [Test]
    public async Task Revisions_ByBranchTagShortIdAndAncestry_AllNameTheSameCommit()
    {
        var (server, alice, repo, client, commits) = await PushedAsync(isPrivate: true);
        await using var _ = server;
        using var __ = client;
        using var http = server.CreateClient(alice.WriteToken);
        var (tagged, tagBody) = await ContentClient.PutJsonAsync(http, $"api/v1/repos/{repo}/tags/best-val", new { target = "HEAD~1" });
        tagged.Should().Be(HttpStatusCode.Created, tagBody.ToString());
        var middle = commits[1].Id.ToString();
        foreach (var rev in new[] { "best-val", "main~1", "HEAD^", middle, middle[..8], "refs/tags/best-val" })
        {
            var (status, body) = await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/commits/{rev}");
            status.Should().Be(HttpStatusCode.OK, rev + ": " + body);
            body.GetProperty("id").GetString().Should().Be(middle, rev);
            body.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Should().Equal("best-val");
        }

        var (missing, missingBody) = await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/commits/no-such-branch");
        missing.Should().Be(HttpStatusCode.NotFound);
        missingBody.Error().Should().Contain("no-such-branch");
        (await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/commits/HEAD~9")).Body.Error().Should().Contain("past the first commit");
    }

    [Test]
    public async Task Commits_ArePagedByCursor_AndTogetherAreTheWholeHistoryWithMetricsAndRefs()
    {
        var (server, alice, repo, client, commits) = await PushedAsync(isPrivate: false, commits: 7);
        await using var _ = server;
        using var __ = client;
        using var http = server.CreateClient(alice.ReadToken);
        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var (status, body) = await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/commits?limit=3" + (cursor is null ? "" : "&cursor=" + cursor));
            status.Should().Be(HttpStatusCode.OK, body.ToString());
            seen.AddRange(body.GetProperty("commits").EnumerateArray().Select(c => c.GetProperty("id").GetString()!));
            cursor = body.GetProperty("nextCursor").GetString();
            pages++;

            // A commit pushed meanwhile does not shift later pages: the cursor pins the first page's head.
            if (pages == 1)
            {
                client.CommitFiles("later", ("extra.txt", "x"u8.ToArray()));
                await client.Repository.PushAsync("origin", "main", options: new SyncOptions { Token = alice.WriteToken });
            }
        }
        while (cursor is not null);

        pages.Should().Be(3);
        seen.Should().Equal(commits.AsEnumerable().Reverse().Select(c => c.Id.ToString()));
        var (first, firstBody) = await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/commits?limit=1");
        var top = firstBody.GetProperty("commits")[0];
        top.GetProperty("subject").GetString().Should().Be("later");
        top.GetProperty("branches").EnumerateArray().Select(b => b.GetString()).Should().Equal("main");
        top.GetProperty("author").GetString().Should().Be("Test <test@example.com>");
        (await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/commits?cursor=garbage")).Status.Should().Be(HttpStatusCode.BadRequest);
        (await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/commits?limit=0")).Status.Should().Be(HttpStatusCode.BadRequest);
        first.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task MetricSeries_AreOldestFirst_WithGapsWhereACommitLacksAMetric()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        File.WriteAllText(Path.Combine(client.Directory, "a.txt"), "1");
        client.Repository.Commit(new CommitOptions { Message = "one", Metrics = new Dictionary<string, double> { ["loss"] = 0.9, ["acc"] = 0.1 }, RecordProvenance = false });
        File.WriteAllText(Path.Combine(client.Directory, "a.txt"), "2");
        client.Repository.Commit(new CommitOptions { Message = "two", Metrics = new Dictionary<string, double> { ["loss"] = 0.5 }, RecordProvenance = false });
        client.Repository.AddRemote("origin", $"{server.BaseUrl}/{repo}");
        await client.Repository.PushAsync("origin", "main", options: new SyncOptions { Token = alice.WriteToken });
        using var http = server.CreateClient(alice.ReadToken);
        var (status, body) = await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/metrics?names=loss,acc,missing");
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        var series = body.GetProperty("series");
        series.GetProperty("loss").EnumerateArray().Select(v => v.GetDouble()).Should().Equal(0.9, 0.5);
        series.GetProperty("acc").EnumerateArray().Select(v => v.ValueKind == JsonValueKind.Null ? (double?)null : v.GetDouble()).Should().Equal(0.1, null);
        series.GetProperty("missing").EnumerateArray().Should().OnlyContain(v => v.ValueKind == JsonValueKind.Null);
        body.GetProperty("commits").GetArrayLength().Should().Be(2);
    }

    [Test]
    public async Task Tree_ListsADirectoryOrEverythingBelowIt_AtAnyRevision_AndBranchNamesMayHoldSlashes()
    {
        var (server, alice, repo, client, commits) = await PushedAsync(isPrivate: true);
        await using var _ = server;
        using var __ = client;
        client.Repository.CreateBranch("feature/x");
        await client.Repository.PushAsync("origin", "feature/x", options: new SyncOptions { Token = alice.WriteToken });
        using var http = server.CreateClient(alice.ReadToken);
        var (status, root) = await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/tree/main");
        status.Should().Be(HttpStatusCode.OK, root.ToString());
        root.GetProperty("entries").EnumerateArray().Select(e => (e.GetProperty("path").GetString(), e.GetProperty("type").GetString()))
            .Should().Equal(("cfg", "directory"), ("weights.bin", "file"));
        foreach (var url in new[] { "tree/feature/x/cfg?recursive=true", "tree/feature%2Fx/cfg", $"tree/{commits[^1].Id.ToString()[..10]}/cfg" })
        {
            var (s, cfg) = await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/{url}");
            s.Should().Be(HttpStatusCode.OK, url + ": " + cfg);
            var entry = cfg.GetProperty("entries").EnumerateArray().Single();
            entry.GetProperty("path").GetString().Should().Be("cfg/config.json");
            entry.GetProperty("size").GetInt64().Should().Be(11);
        }

        (await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/tree/main/nope")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Resolve_StreamsVerifiedBytes_WithRangeETagAndAReprDigestHashlibCanCheck()
    {
        var (server, alice, repo, client, commits) = await PushedAsync(isPrivate: true);
        await using var _ = server;
        using var __ = client;
        using var http = server.CreateClient(alice.ReadToken);
        var expected = File.ReadAllBytes(Path.Combine(client.Directory, "weights.bin"));
        var (status, bytes, response) = await ContentClient.GetBytesAsync(http, $"api/v1/repos/{repo}/resolve/main/weights.bin");
        status.Should().Be(HttpStatusCode.OK);
        bytes.Should().Equal(expected);
        response.Headers.GetValues("Repr-Digest").Single().Should().Be("sha-256=:" + Convert.ToBase64String(SHA256.HashData(expected)) + ":");
        var (_, tree) = await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/tree/main/weights.bin");
        response.Headers.ETag!.Tag.Should().Be("\"" + tree.GetProperty("entries")[0].GetProperty("id").GetString() + "\"", "the ETag is the file id");
        response.Headers.CacheControl!.NoCache.Should().BeTrue("a branch can move, so its bytes are revalidated");

        var (partial, slice, partialResponse) = await ContentClient.GetBytesAsync(http, $"api/v1/repos/{repo}/resolve/main/weights.bin", new RangeHeaderValue(1000, 70_999));
        partial.Should().Be(HttpStatusCode.PartialContent);
        slice.Should().Equal(expected[1000..71_000]);
        partialResponse.Content.Headers.ContentRange!.Length.Should().Be(expected.Length);
        (await ContentClient.GetBytesAsync(http, $"api/v1/repos/{repo}/resolve/main/weights.bin", new RangeHeaderValue(expected.Length + 10, null))).Status
            .Should().Be(HttpStatusCode.RequestedRangeNotSatisfiable);

        var pinned = (await ContentClient.GetBytesAsync(http, $"api/v1/repos/{repo}/resolve/{commits[0].Id}/weights.bin")).Response;
        pinned.Headers.CacheControl!.ToString().Should().Contain("immutable", "a full commit id always names the same bytes");
        (await ContentClient.GetBytesAsync(http, $"api/v1/repos/{repo}/resolve/main/cfg")).Status.Should().Be(HttpStatusCode.BadRequest);
        (await ContentClient.GetBytesAsync(http, $"api/v1/repos/{repo}/resolve/main/nope.bin")).Status.Should().Be(HttpStatusCode.NotFound);
        var (digestStatus, digests) = await Wire.PostJsonAsync(http, $"api/v1/repos/{repo}/digests", new { revision = "main", paths = new[] { "cfg/config.json" } });
        digestStatus.Should().Be(HttpStatusCode.OK, digests.ToString());
        digests.GetProperty("files")[0].GetProperty("sha256").GetString().Should()
            .Be(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(client.Directory, "cfg", "config.json")))));
    }

    [Test]
    public async Task PublicRepositories_AreReadableWithoutAnAccount_PrivateOnesAndWritesAsk_ForOne_AndRequireSignInTurnsItOff()
    {
        var (server, alice, repo, client, _) = await PushedAsync(isPrivate: false, commits: 1);
        await using var s = server;
        using var c = client;
        var secret = await server.CreateRepositoryAsync(alice.WriteToken, "secret", isPrivate: true);
        using var anonymous = server.CreateClient();
        foreach (var path in new[] { "commits", "commits/main", "tree/main", "resolve/main/weights.bin", "refs", "branches", "tags", "metrics" })
        {
            (await anonymous.GetAsync($"api/v1/repos/{repo}/{path}")).StatusCode.Should().Be(HttpStatusCode.OK, path);
        }

        var (list, listBody) = await Wire.GetJsonAsync(anonymous, "api/v1/repos");
        list.Should().Be(HttpStatusCode.OK);
        listBody.EnumerateArray().Select(r => r.GetProperty("fullName").GetString()).Should().Equal(repo);
        foreach (var path in new[] { $"api/v1/repos/{secret}/commits", $"api/v1/repos/{secret}/resolve/main/x", "api/v1/repos/alice/nothing/commits" })
        {
            var (status, body) = await Wire.GetJsonAsync(anonymous, path);
            status.Should().Be(HttpStatusCode.Unauthorized, path);
            body.Error().Should().Contain("Authorization");
        }

        (await Wire.PostJsonAsync(anonymous, $"api/v1/repos/{repo}/uploads", new { size = 1 })).Status.Should().Be(HttpStatusCode.Unauthorized);
        using var badToken = server.CreateClient("lmvp_pat_not-a-real-one");
        (await Wire.GetJsonAsync(badToken, $"api/v1/repos/{repo}/commits")).Status.Should().Be(HttpStatusCode.Unauthorized, "a bad token is never read as no token");

        // The web download: a script gets JSON, a browser the sign-in page.
        using var script = await anonymous.GetAsync($"repos/{secret}/raw/main/x");
        script.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        script.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        using var noRedirect = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(server.BaseUrl + "/") };
        using var browser = new HttpRequestMessage(HttpMethod.Get, $"repos/{secret}/raw/main/x");
        browser.Headers.Accept.ParseAdd("text/html");
        (await noRedirect.SendAsync(browser)).StatusCode.Should().Be(HttpStatusCode.Redirect);
        foreach (var page in new[] { $"repos/{repo}/raw/main/weights.bin", $"repos/{repo}/tree/main/cfg", $"repos/{repo}/commit/HEAD", $"repos/{repo}/history" })
        {
            (await anonymous.GetAsync(page)).StatusCode.Should().Be(HttpStatusCode.OK, "a public repository's pages need no account: " + page);
        }

        await using var strict = await TestServer.StartAsync(null, new TestServerOptions(RequireSignIn: true));
        var bob = await strict.CreateUserAsync("bob");
        var open = await strict.CreateRepositoryAsync(bob.WriteToken, "open", isPrivate: false);
        using var strictAnonymous = strict.CreateClient();
        (await Wire.GetJsonAsync(strictAnonymous, $"api/v1/repos/{open}/commits")).Status.Should().Be(HttpStatusCode.Unauthorized);
        (await Wire.GetJsonAsync(strictAnonymous, "api/v1/repos")).Status.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Test]
    public async Task Tags_AreMadeMovedWithForceAndDeleted_ByWriters_AndOnlyByThem()
    {
        var (server, alice, repo, client, commits) = await PushedAsync(isPrivate: true);
        await using var _ = server;
        using var __ = client;
        using var writer = server.CreateClient(alice.WriteToken);
        using var reader = server.CreateClient(alice.ReadToken);
        var path = $"api/v1/repos/{repo}/tags/champion";
        (await ContentClient.PutJsonAsync(reader, path, new { target = "main" })).Status.Should().Be(HttpStatusCode.Forbidden);
        (await ContentClient.PutJsonAsync(writer, path, new { target = "main~2" })).Status.Should().Be(HttpStatusCode.Created);
        var (again, againBody) = await ContentClient.PutJsonAsync(writer, path, new { target = "main" });
        again.Should().Be(HttpStatusCode.Conflict);
        againBody.Error().Should().Contain("force");
        var (forced, forcedBody) = await ContentClient.PutJsonAsync(writer, path, new { target = "main", force = true });
        forced.Should().Be(HttpStatusCode.OK, forcedBody.ToString());
        (await Wire.GetJsonAsync(reader, $"api/v1/repos/{repo}/tags")).Body.EnumerateArray()
            .Select(t => (t.GetProperty("name").GetString(), t.GetProperty("commit").GetString())).Should().Equal(("champion", commits[^1].Id.ToString()));
        (await ContentClient.PutJsonAsync(writer, $"api/v1/repos/{repo}/tags/bad..name", new { target = "main" })).Status.Should().Be(HttpStatusCode.BadRequest);
        (await reader.DeleteAsync(path)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await writer.DeleteAsync(path)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await writer.DeleteAsync(path)).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }
}
