using System.Net;
using Lmvp.Server.Storage;
using Lmvp.Server.Tests.Server;
using Lmvp.Testing;
using Lmvp.Store;
using Lmvp.Store.Sync;
using Microsoft.Extensions.DependencyInjection;

namespace Lmvp.Server.Tests.Storage;

/// <summary>A real server over a blob store that fails on purpose: a clear 5xx and nothing half-written when storage fails,
/// correct answers when reads come back short.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class StorageFaultTests
{
    [Test]
    public async Task FailingPut_NoSpace_IsAClear507_AndKeepsNothing_ThenTheSameUploadSucceeds()
    {
        FaultyBlobStore? faulty = null;
        await using var server = await TestServer.StartAsync(null, inner => faulty = new FaultyBlobStore(inner));
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        client.CommitFiles("epoch 1", ("weights.bin", Random(300_000, 1)));
        using var http = server.CreateClient(alice.WriteToken);
        var chunks = client.Chunks();

        faulty!.FailPuts = true;
        var (status, body) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(chunks));
        status.Should().Be(HttpStatusCode.InsufficientStorage, body.ToString());
        body.Error().Should().Contain("storage is full").And.Contain("No space left on device").And.Contain("nothing was kept");
        body.GetProperty("code").GetString().Should().Be("storage_full");
        (await Wire.MissingAsync(http, repo, "chunks", chunks.Select(c => c.Id))).Should().HaveCount(chunks.Count, "no chunk of the failed upload is indexed");
        (await Blobs(server)).Should().BeEmpty("no pack, whole or partial, is left in the blob store");
        Directory.EnumerateFiles(Path.Combine(server.DataDirectory, "tmp")).Should().BeEmpty("the spool file went with the request");

        faulty.FailPuts = false;
        (await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(chunks))).Status.Should().Be(HttpStatusCode.OK);
        (await Wire.MissingAsync(http, repo, "chunks", chunks.Select(c => c.Id))).Should().BeEmpty();
        (await Blobs(server)).Should().ContainSingle();
    }

    [Test]
    public async Task FailingReads_AreAClear503_BeforeAnyByteIsSent()
    {
        FaultyBlobStore? faulty = null;
        await using var server = await TestServer.StartAsync(null, inner => faulty = new FaultyBlobStore(inner));
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        var commit = client.CommitFiles("epoch 1", ("weights.bin", Random(200_000, 2)));
        using var http = server.CreateClient(alice.WriteToken);
        (await Wire.PushAsync(http, repo, client, commit.Id, null)).Status.Should().Be(HttpStatusCode.OK);

        faulty!.FailReads = true;
        using var response = await http.GetAsync($"repos/{repo}/raw/{commit.Id}/weights.bin");
        ((int)response.StatusCode).Should().BeGreaterThanOrEqualTo(500);
        (await response.Content.ReadAsStringAsync()).Should().NotContain("   at ", "no stack trace reaches the client");
    }

    [Test]
    public async Task ShortReads_StillServeByteIdenticalClonesAndDownloads()
    {
        FaultyBlobStore? faulty = null;
        await using var server = await TestServer.StartAsync(null, inner => faulty = new FaultyBlobStore(inner) { ShortReads = 1000 });
        var alice = await server.CreateUserAsync("alice");
        var url = $"{server.BaseUrl}/{await server.CreateRepositoryAsync(alice.WriteToken, "model")}";
        var root = Path.Combine(Path.GetTempPath(), $"lmvp-short-{Guid.NewGuid():N}");
        try
        {
            var weights = Random(3_000_000, 3);
            Directory.CreateDirectory(Path.Combine(root, "work"));
            await File.WriteAllBytesAsync(Path.Combine(root, "work", "w.bin"), weights);
            var options = new SyncOptions { Token = alice.WriteToken };
            using (var work = Repository.Init(Path.Combine(root, "work")))
            {
                work.Commit(new CommitOptions { Message = "one", RecordProvenance = false });
                work.AddRemote("origin", url);
                await work.PushAsync("origin", options: options);
            }

            await Repository.CloneAsync(url, Path.Combine(root, "copy"), options: options);
            (await File.ReadAllBytesAsync(Path.Combine(root, "copy", "w.bin"))).Should().Equal(weights);
            faulty!.Reads.Should().BeGreaterThan(3_000_000 / 1000, "the reads really were short");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<List<string>> Blobs(TestServer server)
    {
        var names = new List<string>();
        await foreach (var blob in server.Services.GetRequiredService<IBlobStore>().ListAsync("repos/", default))
        {
            names.Add(blob.Name);
        }

        return names;
    }

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
