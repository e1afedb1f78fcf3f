using System.Net;
using Lmvp.Store;
using Lmvp.Store.Sync;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.Server;

/// <summary>The sync protocol against a real server: upload, missing answers, closure, download, ref compare-and-swap.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class SyncEndpointTests
{
    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Test]
    public async Task Push_ChunksObjectsAndRef_ThenEverythingIsPresentAndDownloadsByteIdentical()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        var commit = client.CommitFiles("epoch 1", ("weights.bin", Random(400_000, 1)), ("config/params.json", "{\"lr\": 0.1}"u8.ToArray()));
        using var http = server.CreateClient(alice.WriteToken);
        var chunks = client.Chunks();
        var objects = client.Objects();

        (await Wire.MissingAsync(http, repo, "chunks", chunks.Select(c => c.Id))).Should().HaveCount(chunks.Count);
        var (chunkStatus, chunkBody) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(chunks));
        chunkStatus.Should().Be(HttpStatusCode.OK);
        chunkBody.GetProperty("stored").GetInt32().Should().Be(chunks.Count);
        var (again, againBody) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(chunks));
        again.Should().Be(HttpStatusCode.OK);
        againBody.GetProperty("stored").GetInt32().Should().Be(0, "a chunk the server holds is verified and skipped");

        (await Wire.MissingAsync(http, repo, "objects", objects.Select(o => o.Id))).Should().HaveCount(objects.Count);
        var (objectStatus, objectBody) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/objects", Wire.Frames(objects));
        objectStatus.Should().Be(HttpStatusCode.OK, objectBody.ToString());
        objectBody.GetProperty("stored").GetInt32().Should().Be(objects.Count);
        (await Wire.MissingAsync(http, repo, "objects", objects.Select(o => o.Id))).Should().BeEmpty();
        (await Wire.MissingAsync(http, repo, "chunks", chunks.Select(c => c.Id))).Should().BeEmpty();

        var (refStatus, refBody) = await Wire.UpdateRefAsync(http, repo, "refs/heads/main", null, commit.Id);
        refStatus.Should().Be(HttpStatusCode.OK, refBody.ToString());
        (await Wire.RefsAsync(http, repo)).Should().Equal(new Dictionary<string, string> { ["refs/heads/main"] = commit.Id.ToString() });

        var (closureStatus, closure, _) = await Wire.PostForFramesAsync(http, $"api/v1/repos/{repo}/objects/closure", new { want = new[] { commit.Id.ToString() } });
        closureStatus.Should().Be(HttpStatusCode.OK);
        closure.Select(f => (f.Kind, f.Id, Convert.ToHexString(f.Data))).Should().BeEquivalentTo(objects.Select(o => (o.Kind, o.Id, Convert.ToHexString(o.Data))));

        var order = chunks.Select(c => c.Id).Reverse().ToArray();
        var (downloadStatus, downloaded, _) = await Wire.PostForFramesAsync(http, $"api/v1/repos/{repo}/chunks/download",
            new { ids = order.Select(i => i.ToString()).ToArray() });
        downloadStatus.Should().Be(HttpStatusCode.OK);
        downloaded.Select(d => d.Id).Should().Equal(order, "chunks come in the order asked");
        downloaded.Should().OnlyContain(d => d.Kind == ObjectKind.Chunk && ObjectId.Compute(d.Data) == d.Id);
    }

    [Test]
    public async Task Objects_OfFilesVerifiedTogether_WithEmptyOnesBetween_AreAccepted_AndAChunkListedShortIsRefused()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        // One verify group: the large files span several of the verifier's read runs (1 MiB), the small and empty ones share them.
        (string Path, byte[] Content)[] files =
            [("a.bin", Random(1_300_000, 3)), ("b/empty", []), ("b/small.bin", Random(5_000, 4)), ("c/empty", []), ("d.bin", Random(2_100_000, 5)), ("e/empty", [])];
        var commit = client.CommitFiles("epoch 1", files);
        using var http = server.CreateClient(alice.WriteToken);
        (await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(client.Chunks()))).Status.Should().Be(HttpStatusCode.OK);

        var real = client.Repository.Store.GetManifest(ObjectId.Compute(files[4].Content));
        real.Chunks.Should().HaveCountGreaterThan(2);
        var listed = real.Chunks.ToArray();
        listed[1] = listed[1] with { Length = listed[1].Length - 1 };
        var lying = new FileManifest(real.FileId, real.Size - 1, listed);
        var (refused, refusedBody) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/objects",
            Wire.Frames([new WireObject(ObjectKind.Manifest, real.FileId, lying.Encode())]));
        refused.Should().Be(HttpStatusCode.BadRequest, refusedBody.ToString());
        refusedBody.Error().Should().Contain(real.FileId.ToString()).And.Contain($"its chunk {listed[1].Id} is {listed[1].Length + 1} bytes on the server")
            .And.Contain("nothing was stored");

        var (status, body) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/objects", Wire.Frames(client.Objects()));
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        (await Wire.UpdateRefAsync(http, repo, "refs/heads/main", null, commit.Id)).Status.Should().Be(HttpStatusCode.OK);
        foreach (var (path, content) in files)
        {
            (await http.GetByteArrayAsync($"api/v1/repos/{repo}/resolve/main/{path}")).Should().Equal(content, "{0} was stored as pushed", path);
        }
    }

    [Test]
    public async Task Closure_WithHave_SendsOnlyWhatTheClientLacks()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        var first = client.CommitFiles("epoch 1", ("a.bin", Random(100_000, 1)), ("b.bin", Random(50_000, 2)));
        var firstObjects = client.Objects().Select(o => o.Id).ToHashSet();
        var second = client.CommitFiles("epoch 2", ("a.bin", Random(100_000, 3)));
        using var http = server.CreateClient(alice.WriteToken);
        (await Wire.PushAsync(http, repo, client, second.Id, null)).Status.Should().Be(HttpStatusCode.OK);

        var (status, frames, _) = await Wire.PostForFramesAsync(http, $"api/v1/repos/{repo}/objects/closure",
            new { want = new[] { second.Id.ToString() }, have = new[] { first.Id.ToString(), new string('e', 64) } });

        status.Should().Be(HttpStatusCode.OK);
        var expected = client.Objects().Select(o => o.Id).Where(id => !firstObjects.Contains(id)).ToHashSet();
        frames.Select(f => f.Id).Should().BeEquivalentTo(expected, "only the second commit, its root tree and the new manifest are new");
        frames.Should().Contain(f => f.Id == second.Id && f.Kind == ObjectKind.Commit);
    }

    [Test]
    public async Task RefUpdate_FastForwardAccepted_NonFastForwardRefusedUnlessForced_StaleOldIsConflict()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        var first = client.CommitFiles("one", ("a.bin", Random(10_000, 1)));
        var second = client.CommitFiles("two", ("a.bin", Random(10_000, 2)));
        client.Repository.CreateBranch("side", first.Id.ToString());
        using var http = server.CreateClient(alice.WriteToken);
        (await Wire.PushAsync(http, repo, client, first.Id, null)).Status.Should().Be(HttpStatusCode.OK);
        (await Wire.UpdateRefAsync(http, repo, "refs/heads/main", first.Id, second.Id)).Status.Should().Be(HttpStatusCode.OK);

        var (back, backBody) = await Wire.UpdateRefAsync(http, repo, "refs/heads/main", second.Id, first.Id);
        back.Should().Be(HttpStatusCode.Conflict);
        backBody.Error().Should().Contain("not a fast-forward");

        var (stale, staleBody) = await Wire.UpdateRefAsync(http, repo, "refs/heads/main", first.Id, second.Id);
        stale.Should().Be(HttpStatusCode.Conflict);
        staleBody.Error().Should().Contain("someone pushed first");

        var (exists, _) = await Wire.UpdateRefAsync(http, repo, "refs/heads/main", null, second.Id);
        exists.Should().Be(HttpStatusCode.Conflict, "old null means the ref must not exist yet");

        // main is the default branch, protected by default: forcing it back needs the admin role, which a write token lacks.
        var (forbidden, forbiddenBody) = await Wire.UpdateRefAsync(http, repo, "refs/heads/main", second.Id, first.Id, force: true);
        forbidden.Should().Be(HttpStatusCode.Forbidden);
        forbiddenBody.Error().Should().Contain("protected branch");
        using var admin = server.CreateClient(alice.AdminToken);
        (await Wire.UpdateRefAsync(admin, repo, "refs/heads/main", second.Id, first.Id, force: true)).Status.Should().Be(HttpStatusCode.OK);
        (await Wire.RefsAsync(http, repo))["refs/heads/main"].Should().Be(first.Id.ToString());

        (await Wire.UpdateRefAsync(http, repo, "refs/tags/v1", null, second.Id)).Status.Should().Be(HttpStatusCode.OK);
        (await Wire.UpdateRefAsync(http, repo, "refs/tags/v1", second.Id, first.Id)).Status.Should().Be(HttpStatusCode.Conflict);
        (await Wire.UpdateRefAsync(http, repo, "refs/remotes/origin/main", null, first.Id)).Status.Should().Be(HttpStatusCode.BadRequest);
        (await Wire.UpdateRefAsync(http, repo, "refs/heads/../x", null, first.Id)).Status.Should().Be(HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task RefUpdate_ConcurrentFromSameBase_ExactlyOneWins_DifferentRefsBothSucceed()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        var @base = client.CommitFiles("base", ("a.bin", Random(10_000, 1)));
        var tips = new List<ObjectId>();
        for (var i = 0; i < 6; i++)
        {
            client.Repository.CreateBranch($"b{i}", @base.Id.ToString(), force: true);
            client.Repository.Checkout($"b{i}");
            tips.Add(client.CommitFiles($"tip {i}", ("a.bin", Random(10_000, 100 + i))).Id);
        }

        using var http = server.CreateClient(alice.WriteToken);
        (await Wire.PushAsync(http, repo, client, @base.Id, null)).Status.Should().Be(HttpStatusCode.OK);

        // Six clients move main from the same base at once.
        var results = await Task.WhenAll(tips.Select(async tip =>
        {
            using var own = server.CreateClient(alice.WriteToken);
            return (Tip: tip, Result: await Wire.UpdateRefAsync(own, repo, "refs/heads/main", @base.Id, tip));
        }));

        results.Count(r => r.Result.Status == HttpStatusCode.OK).Should().Be(1);
        results.Count(r => r.Result.Status == HttpStatusCode.Conflict).Should().Be(tips.Count - 1);
        var winner = results.Single(r => r.Result.Status == HttpStatusCode.OK).Tip;
        (await Wire.RefsAsync(http, repo))["refs/heads/main"].Should().Be(winner.ToString());

        // Different refs from the same base do not conflict.
        var branches = await Task.WhenAll(tips.Select(async (tip, i) =>
        {
            using var own = server.CreateClient(alice.WriteToken);
            return await Wire.UpdateRefAsync(own, repo, $"refs/heads/feature{i}", null, tip);
        }));
        branches.Should().OnlyContain(r => r.Status == HttpStatusCode.OK);
        (await Wire.RefsAsync(http, repo)).Should().HaveCount(1 + tips.Count);
    }

    [Test]
    public async Task RefUpdate_WhenAChunkOrObjectIsMissing_Is422AndTheRefDoesNotMove()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        var commit = client.CommitFiles("one", ("a.bin", Random(300_000, 1)));
        using var http = server.CreateClient(alice.WriteToken);
        var chunks = client.Chunks();
        chunks.Should().HaveCountGreaterThan(1);

        // A manifest is accepted only once its chunks are here (it is verified against them), so the commit and trees go first.
        var (early, earlyBody) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/objects", Wire.Frames(client.Objects()));
        early.Should().Be(HttpStatusCode.UnprocessableEntity);
        earlyBody.Error().Should().Contain("does not verify").And.Contain("nothing was stored");
        (await Wire.UploadAsync(http, $"api/v1/repos/{repo}/objects", Wire.Frames(client.Objects().Where(o => o.Kind != ObjectKind.Manifest))))
            .Status.Should().Be(HttpStatusCode.OK);
        (await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(chunks.Skip(1)))).Status.Should().Be(HttpStatusCode.OK);
        var (status, body) = await Wire.UpdateRefAsync(http, repo, "refs/heads/main", null, commit.Id);
        status.Should().Be(HttpStatusCode.UnprocessableEntity);
        body.Error().Should().Contain("manifest").And.Contain("missing");
        (await Wire.RefsAsync(http, repo)).Should().BeEmpty();

        var (unknown, unknownBody) = await Wire.UpdateRefAsync(http, repo, "refs/heads/main", null, ObjectId.Compute("nothing"u8));
        unknown.Should().Be(HttpStatusCode.UnprocessableEntity);
        unknownBody.Error().Should().Contain("missing");

        (await Wire.UploadAsync(http, $"api/v1/repos/{repo}/objects", Wire.Frames(client.Objects()))).Status.Should().Be(HttpStatusCode.UnprocessableEntity,
            "chunk 0 is still missing");
        (await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(chunks.Take(1)))).Status.Should().Be(HttpStatusCode.OK);
        (await Wire.UploadAsync(http, $"api/v1/repos/{repo}/objects", Wire.Frames(client.Objects()))).Status.Should().Be(HttpStatusCode.OK);
        (await Wire.UpdateRefAsync(http, repo, "refs/heads/main", null, commit.Id)).Status.Should().Be(HttpStatusCode.OK);
    }

    [Test]
    public async Task Chunks_AreStoredPerRepository_SoMissingNeverRevealsAnotherRepositorysContent()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var bob = await server.CreateUserAsync("bob");
        var secret = await server.CreateRepositoryAsync(alice.WriteToken, "secret");
        var probe = await server.CreateRepositoryAsync(bob.WriteToken, "probe");
        using var client = ClientRepo.Create();
        client.CommitFiles("one", ("a.bin", Random(100_000, 7)));
        var chunks = client.Chunks();
        using var aliceHttp = server.CreateClient(alice.WriteToken);
        (await Wire.UploadAsync(aliceHttp, $"api/v1/repos/{secret}/chunks", Wire.Frames(chunks))).Status.Should().Be(HttpStatusCode.OK);

        using var bobHttp = server.CreateClient(bob.WriteToken);
        (await Wire.MissingAsync(bobHttp, probe, "chunks", chunks.Select(c => c.Id))).Should().HaveCount(chunks.Count);
        var (status, _, _) = await Wire.PostForFramesAsync(bobHttp, $"api/v1/repos/{probe}/chunks/download", new { ids = new[] { chunks[0].Id.ToString() } });
        status.Should().Be(HttpStatusCode.NotFound);
    }
}
