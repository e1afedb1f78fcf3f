using System.Net;
using Lmvp.Server.Tests.Server;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.Storage;

/// <summary>The group commit of uploads (issue 10): concurrent uploads' packs are put and indexed together, and no upload is
/// answered, nor any of its chunks visible, before its pack is durable. Puts are held at a gate, so the grouping is forced
/// by the order of events, not by timing.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class GroupCommitTests
{
    [Test]
    public async Task UploadsFinishingWhileAGroupIsPublished_AreAnsweredOnlyOnceTheirOwnGroupIsDurable()
    {
        FaultyBlobStore? faulty = null;
        await using var server = await TestServer.StartAsync(null, inner => faulty = new FaultyBlobStore(inner));
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var http = server.CreateClient(alice.WriteToken);
        var uploads = Enumerable.Range(0, 3).Select(i =>
        {
            using var client = ClientRepo.Create();
            client.CommitFiles($"epoch {i}", ("weights.bin", Random(200_000, 10 + i)));
            return client.Chunks();
        }).ToList();

        faulty!.HoldPuts();
        var first = Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(uploads[0]));
        await Poll.UntilAsync(() => faulty.HeldPuts == 1, "the first upload's pack to reach the blob store");
        var later = uploads.Skip(1).Select(u => Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(u))).ToList();
        await Poll.UntilAsync(() => server.Chunks.PendingPacks == 2, "the two later uploads to wait for the next group");

        first.IsCompleted.Should().BeFalse("an upload is not answered before its pack is durable");
        later.Should().OnlyContain(t => !t.IsCompleted);
        foreach (var u in uploads)
        {
            (await Wire.MissingAsync(http, repo, "chunks", u.Select(c => c.Id))).Should().HaveCount(u.Count, "no chunk is visible before its pack is durable");
        }

        faulty.ReleasePuts();
        foreach (var (status, body) in await Task.WhenAll([first, .. later]))
        {
            status.Should().Be(HttpStatusCode.OK, body.ToString());
        }

        server.Chunks.Published.Should().Be((2L, 3L), "the two uploads that finished during the first group's put were published as one group");
        foreach (var u in uploads)
        {
            (await Wire.MissingAsync(http, repo, "chunks", u.Select(c => c.Id))).Should().BeEmpty();
        }
    }

    [Test]
    public async Task AFailedPut_FailsItsOwnUploadWithNothingKept_AndTheGroupsAfterItSucceed()
    {
        FaultyBlobStore? faulty = null;
        await using var server = await TestServer.StartAsync(null, inner => faulty = new FaultyBlobStore(inner));
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var http = server.CreateClient(alice.WriteToken);
        using var client = ClientRepo.Create();
        client.CommitFiles("epoch 1", ("weights.bin", Random(200_000, 1)));
        var chunks = client.Chunks();

        faulty!.FailPuts = true;
        var (failed, body) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(chunks));
        failed.Should().Be(HttpStatusCode.InsufficientStorage, body.ToString());
        (await Wire.MissingAsync(http, repo, "chunks", chunks.Select(c => c.Id))).Should().HaveCount(chunks.Count);
        Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "tmp")).Should().BeEmpty("the publisher deleted the spool it could not put");

        faulty.FailPuts = false;
        (await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(chunks))).Status.Should().Be(HttpStatusCode.OK);
        (await Wire.MissingAsync(http, repo, "chunks", chunks.Select(c => c.Id))).Should().BeEmpty();
    }

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
