using System.Buffers.Binary;
using System.Net;
using Lmvp.Store;
using Lmvp.Store.Packs;
using Lmvp.Store.Protocol;
using Lmvp.Testing;
using ZstdSharp;

namespace Lmvp.Server.Tests.Server;

/// <summary>Chunks on the wire in their stored encoding (frame stream version 2): the server decodes each within its declared
/// length, hashes it, keeps it as it came and serves it so; clients of version 1 still upload and download raw frames.</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class EncodedChunkTests
{
    private static byte[] FloatModel() => ModelFiles.Safetensors(
    [
        new TestTensor("w", "F32", [512, 256], ModelFiles.NormalFloats(512 * 256, 1)),
        new TestTensor("b", "BF16", [512, 256], ModelFiles.ToBFloat16(ModelFiles.NormalFloats(512 * 256, 2))),
    ]);

    [Test]
    public async Task EncodedUpload_IsKeptAsItCame_AndServedEncodedOrRaw_AsTheClientAsks()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        client.CommitFiles("epoch 1", ("model.safetensors", FloatModel()));
        var stored = client.StoredChunks();
        stored.Should().Contain(c => c.Encoding == ChunkEncoding.BytePlanes);
        using var http = server.CreateClient(alice.WriteToken);

        var (status, body) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(stored, version: 2));
        status.Should().Be(HttpStatusCode.OK, body.ToString());
        body.GetProperty("stored").GetInt32().Should().Be(stored.Count);

        var ids = stored.Select(c => c.Id.ToString()).ToArray();
        var (encodedStatus, encoded, _) = await Wire.PostForFramesAsync(http, $"api/v1/repos/{repo}/chunks/download", new { ids }, FrameFormat.AcceptVersion2);
        encodedStatus.Should().Be(HttpStatusCode.OK);
        encoded.Select(f => (f.Id, f.Encoding, f.Raw, Convert.ToHexString(f.Data))).Should()
            .Equal(stored.Select(c => (c.Id, c.Encoding, c.Raw, Convert.ToHexString(c.Data))), "the bytes the client stored went to the server's pack and back");

        var (rawStatus, raw, _) = await Wire.PostForFramesAsync(http, $"api/v1/repos/{repo}/chunks/download", new { ids });
        rawStatus.Should().Be(HttpStatusCode.OK);
        raw.Should().OnlyContain(f => f.Encoding == ChunkEncoding.Raw);
        raw.Select(f => (f.Id, Convert.ToHexString(f.Data))).Should().Equal(client.Chunks().Select(c => (c.Id, Convert.ToHexString(c.Data))));
    }

    [Test]
    public async Task RawUploadOfFloats_IsStoredAsBytePlanesByTheServer()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var client = ClientRepo.Create();
        client.CommitFiles("epoch 1", ("weights.bin", ModelFiles.NormalFloats(256 * 1024, 3)));
        using var http = server.CreateClient(alice.WriteToken);

        var (status, _) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(client.Chunks()));
        status.Should().Be(HttpStatusCode.OK);

        var (_, encoded, _) = await Wire.PostForFramesAsync(http, $"api/v1/repos/{repo}/chunks/download",
            new { ids = client.Chunks().Select(c => c.Id.ToString()).ToArray() }, FrameFormat.AcceptVersion2);
        encoded.Should().Contain(f => f.Encoding == ChunkEncoding.BytePlanes);
        encoded.Sum(f => f.Data.Length).Should().BeLessThan(1024 * 1024 * 100 / 115, "float weights shrink by 15% or more");
    }

    [Test]
    public async Task ADecompressionBomb_OrAFrameThatDoesNotHashToItsId_IsRefused_AndNothingIsKept()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        using var http = server.CreateClient(alice.WriteToken);
        using var compressor = new Compressor(19);
        var zeros = new byte[65536];
        var id = ObjectId.Compute(zeros);

        // 64 MiB of zeros in a few KiB, declared as the 64 KiB chunk it starts like.
        var bomb = compressor.Wrap(new byte[64 << 20]).ToArray();
        var (status, body) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks",
            Wire.Frames([new WireObject(ObjectKind.Chunk, id, bomb, ChunkEncoding.Zstd, zeros.Length)], version: 2));
        status.Should().Be(HttpStatusCode.BadRequest);
        body.Error().Should().Contain("within 65536 bytes").And.EndWith("nothing was stored");

        // A byte-plane chunk whose mantissa plane was damaged on the way.
        using var client = ClientRepo.Create();
        client.CommitFiles("epoch 1", ("model.safetensors", FloatModel()));
        var planes = client.StoredChunks().First(c => c.Encoding == ChunkEncoding.BytePlanes);
        var damaged = planes.Data.ToArray();
        damaged[^5] ^= 0x40;
        (status, body) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames([planes with { Data = damaged }], version: 2));
        status.Should().Be(HttpStatusCode.BadRequest);
        body.Error().Should().Contain(planes.Id.ToShortString()).And.Contain("do not hash to its id");

        // A raw frame whose stored and raw lengths disagree.
        var frames = Wire.Frames([new WireObject(ObjectKind.Chunk, id, zeros)], version: 2);
        BinaryPrimitives.WriteUInt32LittleEndian(frames.AsSpan(8 + 2 + ObjectId.Size + 4), 100);
        (status, body) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", frames);
        status.Should().Be(HttpStatusCode.BadRequest);
        body.Error().Should().Contain("raw frame declares");

        (await Wire.MissingAsync(http, repo, "chunks", [id, planes.Id])).Should().HaveCount(2, "nothing of a refused upload is kept");
    }
}
