using System.Net;
using System.Net.Sockets;
using System.Text;
using Lmvp.Server.Tests.Server;
using Lmvp.Store;
using Lmvp.Store.Sync;
using Lmvp.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Lmvp.Server.Tests.Api;

/// <summary>Publishing without the chunk protocol: resumable uploads chunked on the server with the CLI's chunker, then one
/// commit by compare-and-swap on a branch.</summary>
public sealed class UploadApiTests
{
    [Test]
    public async Task UploadedInParts_AndCommitted_TheCliClonesItByteIdentical_WithMessageMetricsAndTag()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var http = server.CreateClient(alice.WriteToken);
        var content = TestData.Random(3 * TestData.MiB + 12345, 7);
        var id = await ContentClient.StartAsync(http, repo, content.Length);
        var (first, _, offset) = await ContentClient.PatchAsync(http, repo, id, 0, content.AsMemory(0, TestData.MiB));
        first.Should().Be(HttpStatusCode.OK);
        offset.Should().Be(TestData.MiB);

        // A client that lost track resends part one: refused with where to resume, and nothing doubles.
        var (again, againBody, resumeAt) = await ContentClient.PatchAsync(http, repo, id, 0, content.AsMemory(0, TestData.MiB));
        again.Should().Be(HttpStatusCode.Conflict);
        againBody.Error().Should().Contain($"resume at {TestData.MiB}");
        resumeAt.Should().Be(TestData.MiB);
        (await ContentClient.FinishAsync(http, repo, id, ContentClient.Sha256(content))).Status.Should().Be(HttpStatusCode.BadRequest, "not all bytes arrived");
        (await ContentClient.PatchAsync(http, repo, id, TestData.MiB, content.AsMemory(TestData.MiB))).Status.Should().Be(HttpStatusCode.OK);
        var (status, finished) = await ContentClient.FinishAsync(http, repo, id, ContentClient.Sha256(content));
        status.Should().Be(HttpStatusCode.OK, finished.ToString());
        finished.GetProperty("newBytes").GetInt64().Should().Be(content.Length);

        var (made, commit) = await ContentClient.CommitAsync(http, repo, new
        {
            branch = "main", message = "from a notebook", metrics = new Dictionary<string, double> { ["loss"] = 0.25 }, tag = "best-val",
            files = new[] { new { path = "models/model.pt", upload = id } },
        });
        made.Should().Be(HttpStatusCode.Created, commit.ToString());
        commit.GetProperty("author").GetString().Should().Be("alice");
        commit.GetProperty("tags").EnumerateArray().Select(t => t.GetString()).Should().Equal("best-val");

        using var clone = new TempDirectory("upload-clone");
        var cloned = await Repository.CloneAsync($"{server.BaseUrl}/{repo}", clone.Path, options: new SyncOptions { Token = alice.ReadToken });
        File.ReadAllBytes(Path.Combine(clone.Path, "models", "model.pt")).Should().Equal(content);
        using var local = Repository.Open(clone.Path);
        var head = local.Log().First();
        head.Message.Should().Be("from a notebook");
        head.Metrics.Should().Equal([new KeyValuePair<string, double>("loss", 0.25)]);
        cloned.Branch.Should().Be("main");
        local.Fsck().IsOk.Should().BeTrue();
        await foreach (var blob in server.Services.GetRequiredService<Lmvp.Server.Storage.IBlobStore>().ListAsync("uploads/", default))
        {
            Assert.Fail($"upload part {blob.Name} was left after the upload finished");
        }
    }

    [Test]
    public async Task APartCutOffMidBody_KeepsNothingOfIt_AndTheUploadResumesAtTheLastWholePart()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var http = server.CreateClient(alice.WriteToken);
        var content = TestData.Random(2 * TestData.MiB, 11);
        var id = await ContentClient.StartAsync(http, repo, content.Length);
        (await ContentClient.PatchAsync(http, repo, id, 0, content.AsMemory(0, TestData.MiB))).Status.Should().Be(HttpStatusCode.OK);

        // The second part announces 1 MiB and the connection drops after half of it.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", server.Port);
            var stream = tcp.GetStream();
            var head = $"PATCH /api/v1/repos/{repo}/uploads/{id} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {alice.WriteToken}\r\n"
                + $"Upload-Offset: {TestData.MiB}\r\nContent-Type: application/octet-stream\r\nContent-Length: {TestData.MiB}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(content.AsMemory(TestData.MiB, TestData.MiB / 2));
            await stream.FlushAsync();
        }

        // Poll until the server has given up on the cut request: a part can be sent at the old offset again.
        (HttpStatusCode Status, System.Text.Json.JsonElement Body, long? Offset) resent = default;
        await Poll.UntilAsync(async () =>
        {
            resent = await ContentClient.PatchAsync(http, repo, id, TestData.MiB, content.AsMemory(TestData.MiB));
            return resent.Status == HttpStatusCode.OK;
        }, "the part resent after the cut to be accepted at offset 1 MiB");
        resent.Offset.Should().Be(2 * TestData.MiB);
        var (status, body) = await ContentClient.FinishAsync(http, repo, id, ContentClient.Sha256(content));
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        (await ContentClient.CommitAsync(http, repo, new { branch = "main", message = "m", files = new[] { new { path = "w.bin", upload = id } } })).Status
            .Should().Be(HttpStatusCode.Created);
        var (_, bytes, _) = await ContentClient.GetBytesAsync(http, $"api/v1/repos/{repo}/resolve/main/w.bin");
        bytes.Should().Equal(content);
    }

    [Test]
    public async Task AWrongSha256_OrTooManyBytes_KeepsNothing()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var http = server.CreateClient(alice.WriteToken);
        var content = TestData.Random(500_000, 3);
        var id = await ContentClient.StartAsync(http, repo, content.Length);
        (await ContentClient.PatchAsync(http, repo, id, 0, content)).Status.Should().Be(HttpStatusCode.OK);
        var (status, body) = await ContentClient.FinishAsync(http, repo, id, ContentClient.Sha256(TestData.Random(500_000, 4)));
        status.Should().Be(HttpStatusCode.UnprocessableEntity);
        body.Error().Should().Contain("nothing was kept");
        (await server.Metadata.Chunks.ListPacksAsync(1, default)).Should().BeEmpty("no chunk of a refused file is kept");
        (await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/uploads/{id}")).Status.Should().Be(HttpStatusCode.NotFound);

        var small = await ContentClient.StartAsync(http, repo, 10);
        var (tooMany, tooManyBody, _) = await ContentClient.PatchAsync(http, repo, small, 0, content.AsMemory(0, 11));
        tooMany.Should().Be(HttpStatusCode.BadRequest);
        tooManyBody.Error().Should().Contain("past the 10 bytes");
        (await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/uploads/{small}")).Body.GetProperty("offset").GetInt64().Should().Be(0);
        (await ContentClient.FinishAsync(http, repo, small, "xyz")).Status.Should().Be(HttpStatusCode.BadRequest);

        var bob = await server.CreateUserAsync("bob");
        await server.AddMemberAsync(alice.AdminToken, repo, "bob", "write");
        using var bobHttp = server.CreateClient(bob.WriteToken);
        (await Wire.GetJsonAsync(bobHttp, $"api/v1/repos/{repo}/uploads/{small}")).Status.Should().Be(HttpStatusCode.NotFound, "uploads are their owner's");
        using var reader = server.CreateClient(alice.ReadToken);
        (await Wire.PostJsonAsync(reader, $"api/v1/repos/{repo}/uploads", new { size = 1 })).Status.Should().Be(HttpStatusCode.Forbidden);
    }

    [Test]
    public async Task APartTheServerLost_IsACleanRefusalAtFinish_NotAServerError()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var http = server.CreateClient(alice.WriteToken);
        var content = TestData.Random(300_000, 5);
        var id = await ContentClient.StartAsync(http, repo, content.Length);
        (await ContentClient.PatchAsync(http, repo, id, 0, content)).Status.Should().Be(HttpStatusCode.OK);
        foreach (var part in Directory.GetFiles(Path.Combine(server.DataDirectory, "uploads", id)))
        {
            File.Delete(part); // what a machine crash can do to a part kept without flushing it
        }

        var (status, body) = await ContentClient.FinishAsync(http, repo, id, ContentClient.Sha256(content));
        status.Should().Be(HttpStatusCode.UnprocessableEntity, body.ToString());
        body.Error().Should().Contain("upload the file again");
        (await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/uploads/{id}")).Status.Should().Be(HttpStatusCode.NotFound);
    }

    [Test]
    public async Task ConcurrentCommitsOnOneBranch_ExactlyOneWins_AndAStaleParentChangesNothing()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var http = server.CreateClient(alice.WriteToken);
        var baseUpload = await ContentClient.UploadAsync(http, repo, "base"u8.ToArray());
        var (_, root) = await ContentClient.CommitAsync(http, repo, new { branch = "main", message = "base", files = new[] { new { path = "a.txt", upload = baseUpload } } });
        var parent = root.GetProperty("id").GetString();

        var uploads = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            uploads.Add(await ContentClient.UploadAsync(http, repo, Encoding.UTF8.GetBytes($"version {i}")));
        }

        var results = await Task.WhenAll(uploads.Select((u, i) =>
            ContentClient.CommitAsync(http, repo, new { branch = "main", message = $"writer {i}", parent, files = new[] { new { path = "a.txt", upload = u } } })));
        results.Count(r => r.Status == HttpStatusCode.Created).Should().Be(1);
        results.Where(r => r.Status != HttpStatusCode.Created).Should().OnlyContain(r => r.Status == HttpStatusCode.Conflict);
        var winner = results.Single(r => r.Status == HttpStatusCode.Created).Body.GetProperty("id").GetString();
        (await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/commits/main")).Body.GetProperty("id").GetString().Should().Be(winner);

        var (stale, staleBody) = await ContentClient.CommitAsync(http, repo, new { branch = "main", message = "late", parent, delete = new[] { "a.txt" } });
        stale.Should().Be(HttpStatusCode.Conflict);
        staleBody.Error().Should().Contain("someone committed first");
        (await ContentClient.CommitAsync(http, repo, new { branch = "main", message = "x", delete = new[] { "nope.txt" } })).Body.Error().Should().Contain("nope.txt");
        (await ContentClient.CommitAsync(http, repo, new { branch = "main", message = "x", files = new[] { new { path = "../up", upload = uploads[0] } } })).Status
            .Should().Be(HttpStatusCode.BadRequest);
        (await ContentClient.CommitAsync(http, repo, new { branch = "main", message = "x", files = new[] { new { path = "a.txt", upload = "0123" } } })).Status
            .Should().Be(HttpStatusCode.BadRequest);
        (await Wire.GetJsonAsync(http, $"api/v1/repos/{repo}/commits/main")).Body.GetProperty("id").GetString().Should().Be(winner);
    }

    [Test]
    public async Task AFileUploadedOverHttp_AndTheSameFileCommittedByTheCli_ShareChunks_SoThePushSendsOnlyWhatChanged()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var http = server.CreateClient(alice.WriteToken);
        var original = TestData.Random(4 * TestData.MiB, 21);
        var upload = await ContentClient.UploadAsync(http, repo, original, partBytes: 700_000);
        (await ContentClient.CommitAsync(http, repo, new { branch = "main", message = "api", files = new[] { new { path = "w.bin", upload } } })).Status
            .Should().Be(HttpStatusCode.Created);

        using var client = ClientRepo.Create();
        client.Repository.AddRemote("origin", $"{server.BaseUrl}/{repo}");
        var same = client.CommitFiles("same bytes", ("w.bin", original));
        client.Repository.CreateBranch("same");
        var unchanged = await client.Repository.PushAsync("origin", "same", options: new SyncOptions { Token = alice.WriteToken });
        unchanged.Transfer.ChunksSent.Should().Be(0, "the server chunked the upload exactly as the CLI chunks the file");

        var edited = (byte[])original.Clone();
        TestData.Random(edited.Length / 20, 22).CopyTo(edited, edited.Length / 2); // 5% rewritten in the middle
        client.CommitFiles("5% rewritten", ("w.bin", edited));
        client.Repository.CreateBranch("cli");
        var pushed = await client.Repository.PushAsync("origin", "cli", options: new SyncOptions { Token = alice.WriteToken });
        var total = (await client.Repository.Objects.FindManifestAsync(FileIdOf(client), default))!.Chunks;
        pushed.Transfer.ChunksSent.Should().BeGreaterThan(0).And.BeLessThan(total.Count / 5, "only the chunks around the rewritten 5% are new");
        pushed.Transfer.ChunkBytesSent.Should().BeLessThan(edited.Length / 5);
        same.Should().NotBeNull();
    }

    [Test]
    public async Task AModelFileUploadedInParts_IsCutAtItsTensors_AsACommitOfItIs_SoAnEditedTensorIsAllAPushSends()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var http = server.CreateClient(alice.WriteToken);
        var embed = new TestTensor("embed.weight", "F32", [1024, 256], ModelFiles.NormalFloats(1024 * 256, 31));
        byte[] Model(int seed) => ModelFiles.Safetensors([embed, new TestTensor("head.weight", "F32", [256, 256], ModelFiles.NormalFloats(256 * 256, seed))]);

        // Parts of 100,000 bytes: the header and the tensor starts fall inside parts and across their ends; the finish checks
        // the SHA-256 of the whole file, which the header reads ahead of the chunking pass must leave alone.
        var upload = await ContentClient.UploadAsync(http, repo, Model(32), partBytes: 100_000);
        var (made, commit) = await ContentClient.CommitAsync(http, repo, new { branch = "main", message = "api", files = new[] { new { path = "m.safetensors", upload } } });
        made.Should().Be(HttpStatusCode.Created, commit.ToString());

        using var client = ClientRepo.Create();
        client.Repository.AddRemote("origin", $"{server.BaseUrl}/{repo}");
        client.CommitFiles("head retrained", ("m.safetensors", Model(33)));
        client.Repository.CreateBranch("cli");
        var pushed = await client.Repository.PushAsync("origin", "cli", options: new SyncOptions { Token = alice.WriteToken });
        pushed.Transfer.ChunkBytesSent.Should().BeGreaterThan(256 * 256 * 4 - 1)
            .And.BeLessThan((256 * 256 * 4) + (64 * 1024), "the server cut the upload at its tensors as the CLI does, so embed.weight was already there");
    }

    private static ObjectId FileIdOf(ClientRepo client) =>
        Lmvp.Store.Graph.TreeWalk.Flatten(client.Repository.Objects, client.Repository.Log().First().TreeId).Single(f => f.Key == "w.bin").Value.Id;
}
