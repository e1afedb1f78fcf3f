using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Lmvp.Store.Protocol;
using Lmvp.Store;
using Lmvp.Store.Objects;
using Lmvp.Store.Sync;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.Server;

/// <summary>Bad input gets a 4xx with a message and changes nothing (checked through the missing endpoints).</summary>
[TestFixture]
[Parallelizable(ParallelScope.All)]
public sealed class HostileInputTests
{
    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<(TestServer Server, HttpClient Http, string Repo, ClientRepo Client)> SetUpAsync()
    {
        var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repo = await server.CreateRepositoryAsync(alice.WriteToken, "model");
        var client = ClientRepo.Create();
        client.CommitFiles("one", ("weights.bin", Random(300_000, 1)), ("dir/notes.txt", "hello"u8.ToArray()));
        return (server, server.CreateClient(alice.WriteToken), repo, client);
    }

    [Test]
    public async Task Chunk_WhoseBytesDoNotMatchItsId_Is400_AndNoChunkOfTheRequestIsKept()
    {
        var (server, http, repo, client) = await SetUpAsync();
        await using var _ = server;
        using var __ = client;
        var chunks = client.Chunks();
        var tampered = chunks[^1].Data.ToArray();
        tampered[tampered.Length / 2] ^= 0x40;
        var body = Wire.Frames([.. chunks.SkipLast(1), new WireObject(ObjectKind.Chunk, chunks[^1].Id, tampered)]);

        var (status, error) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", body);

        status.Should().Be(HttpStatusCode.BadRequest);
        error.Error().Should().Contain(chunks[^1].Id.ToString()).And.Contain("nothing was stored");
        (await Wire.MissingAsync(http, repo, "chunks", chunks.Select(c => c.Id))).Should().HaveCount(chunks.Count,
            "the valid chunks before the bad one are not kept either");
        Directory.EnumerateFiles(server.DataDirectory, "*.pack", SearchOption.AllDirectories).Should().BeEmpty();
    }

    [Test]
    public async Task Object_WhoseIdDoesNotMatch_Is400_AndNothingIsKept()
    {
        var (server, http, repo, client) = await SetUpAsync();
        await using var _ = server;
        using var __ = client;
        var objects = client.Objects();
        var commit = objects.First(o => o.Kind == ObjectKind.Commit);
        var tree = objects.First(o => o.Kind == ObjectKind.Tree);
        var manifest = objects.First(o => o.Kind == ObjectKind.Manifest);

        foreach (var bad in new[]
        {
            commit with { Id = ObjectId.Compute("other"u8) },
            tree with { Data = [.. tree.Data, 0] },
            manifest with { Id = ObjectId.Compute("another file"u8) },
            new WireObject(ObjectKind.Commit, tree.Id, tree.Data),
            new WireObject(ObjectKind.Chunk, ObjectId.Compute("c"u8), "c"u8.ToArray()),
        })
        {
            var (status, error) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/objects", Wire.Frames([.. objects, bad]));
            status.Should().Be(HttpStatusCode.BadRequest, bad.ToString());
            error.Error().Should().NotBeEmpty();
        }

        (await Wire.MissingAsync(http, repo, "objects", objects.Select(o => o.Id))).Should().HaveCount(objects.Count);
    }

    [TestCase("..")]
    [TestCase("/etc")]
    [TestCase("a/../../b")]
    [TestCase("")]
    [TestCase(".")]
    [TestCase("back\\slash")]
    public async Task Tree_WithAnUnsafeEntryName_Is400_AndNothingIsKept(string name)
    {
        var (server, http, repo, client) = await SetUpAsync();
        await using var _ = server;
        using var __ = client;
        var manifest = client.Objects().First(o => o.Kind == ObjectKind.Manifest);
        var writer = new CanonicalWriter();
        writer.WriteMagic("LTRE"u8, 1);
        writer.WriteVarUInt(1);
        writer.WriteString(name);
        writer.WriteByte((byte)TreeEntryKind.File);
        writer.WriteByte(0);
        writer.WriteUInt64(5);
        writer.WriteId(manifest.Id);
        var bytes = writer.ToArray();
        var evil = new WireObject(ObjectKind.Tree, ObjectId.Compute(bytes), bytes);

        var (status, error) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/objects", Wire.Frames([manifest, evil]));

        status.Should().Be(HttpStatusCode.BadRequest);
        error.Error().Should().Contain("unsafe entry name");
        (await Wire.MissingAsync(http, repo, "objects", [manifest.Id, evil.Id])).Should().HaveCount(2);
    }

    [Test]
    public async Task MalformedAndTruncatedFrameStreams_Are400_AndNothingIsKept()
    {
        var (server, http, repo, client) = await SetUpAsync();
        await using var _ = server;
        using var __ = client;
        var chunks = client.Chunks();
        var good = Wire.Frames(chunks);

        byte[] Frame(byte kind, uint length, int dataBytes)
        {
            var frame = new byte[FrameFormat.FrameHeaderSize + dataBytes];
            frame[0] = kind;
            BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(1 + ObjectId.Size), length);
            return frame;
        }

        var cases = new Dictionary<string, byte[]>
        {
            ["empty body"] = [],
            ["bad magic"] = [.. "LMVPFRM2"u8, .. good.AsSpan(8)],
            ["truncated after chunks"] = good[..^FrameFormat.FrameHeaderSize],
            ["truncated inside a chunk"] = good[..(good.Length / 2)],
            ["unknown kind"] = [.. FrameFormat.Magic, .. Frame(9, 1, 1)],
            ["chunk frame over 4 MiB"] = [.. FrameFormat.Magic, .. Frame(1, (uint)ProtocolLimits.MaxChunkFrame + 1, 0)],
            ["length claims more than sent"] = [.. FrameFormat.Magic, .. Frame(1, 1000, 10)],
            ["end frame with a length"] = [.. FrameFormat.Magic, .. Frame(0, 5, 0)],
            ["bytes after the end"] = [.. good, 1, 2, 3],
            ["empty chunk"] = Wire.Frames([new WireObject(ObjectKind.Chunk, ObjectId.Compute([]), [])]),
            ["tree sent as chunk"] = Wire.Frames([.. chunks, .. client.Objects().Where(o => o.Kind == ObjectKind.Tree)]),
        };
        foreach (var (what, body) in cases)
        {
            var (status, error) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", body);
            status.Should().Be(HttpStatusCode.BadRequest, what);
            error.Error().Should().NotBeNullOrWhiteSpace(what);
            var (objectStatus, _) = await Wire.UploadAsync(http, $"api/v1/repos/{repo}/objects", body);
            ((int)objectStatus).Should().BeInRange(400, 499, what);
        }

        (await Wire.MissingAsync(http, repo, "chunks", chunks.Select(c => c.Id))).Should().HaveCount(chunks.Count);
    }

    [Test]
    public async Task UploadCutOffByTheClient_KeepsNothing()
    {
        var (server, http, repo, client) = await SetUpAsync();
        await using var _ = server;
        using var __ = client;
        var chunks = client.Chunks();
        var good = Wire.Frames(chunks);

        // Announce the whole stream, send half, then drop the connection.
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
            var stream = tcp.GetStream();
            var head = $"POST /api/v1/repos/{repo}/chunks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {http.DefaultRequestHeaders.Authorization!.Parameter}\r\n"
                + $"Content-Type: {FrameFormat.MediaType}\r\nContent-Length: {good.Length}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            await stream.WriteAsync(good.AsMemory(0, good.Length / 2));
            await stream.FlushAsync();
            await Poll.UntilAsync(() => server.Chunks.OpenBatches == 1, "the server to start reading the upload");
        }

        await Poll.UntilAsync(() => server.Chunks.OpenBatches == 0, "the server to give up the upload the client dropped");
        (await Wire.MissingAsync(http, repo, "chunks", chunks.Select(c => c.Id))).Should().HaveCount(chunks.Count);
        Directory.EnumerateFiles(server.DataDirectory, "*.pack", SearchOption.AllDirectories).Should().BeEmpty();
    }

    [Test]
    public async Task OversizedBodies_Are413_WithoutTheServerReadingThem()
    {
        var (server, http, repo, client) = await SetUpAsync();
        await using var _ = server;
        using var __ = client;

        // A JSON body over the 2 MiB limit.
        var ids = Enumerable.Range(0, 40_000).Select(i => new string('a', 64)).ToArray();
        var (json, jsonError) = await Wire.PostJsonAsync(http, $"api/v1/repos/{repo}/chunks/missing", new { ids });
        json.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        jsonError.Error().Should().Contain("too large");

        // An upload announcing more than 256 MiB is refused from its headers alone.
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        var stream = tcp.GetStream();
        var head = $"POST /api/v1/repos/{repo}/chunks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {http.DefaultRequestHeaders.Authorization!.Parameter}\r\n"
            + $"Content-Type: {FrameFormat.MediaType}\r\nContent-Length: {(256L << 20) + 1}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(FrameFormat.Magic.ToArray());
        using var reader = new StreamReader(stream);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        statusLine.Should().StartWith("HTTP/1.1 413");
    }

    [Test]
    public async Task IdLists_OverTheLimitOrMalformed_Are400()
    {
        var (server, http, repo, client) = await SetUpAsync();
        await using var _ = server;
        using var __ = client;
        var tooMany = Enumerable.Range(0, 10_001).Select(i => ObjectId.Compute(BitConverter.GetBytes(i)).ToString()).ToArray();

        foreach (var path in new[] { "objects/missing", "chunks/missing", "chunks/download" })
        {
            var (status, error) = await Wire.PostJsonAsync(http, $"api/v1/repos/{repo}/{path}", new { ids = tooMany });
            status.Should().Be(HttpStatusCode.BadRequest, path);
            error.Error().Should().Contain("at most 10000");
            (await Wire.PostJsonAsync(http, $"api/v1/repos/{repo}/{path}", new { ids = new[] { "xyz" } })).Status.Should().Be(HttpStatusCode.BadRequest);
            (await Wire.PostJsonAsync(http, $"api/v1/repos/{repo}/{path}", new { ids = new[] { new string('A', 64) } })).Status
                .Should().Be(HttpStatusCode.BadRequest, "ids are lowercase hex");
        }

        (await Wire.PostJsonAsync(http, $"api/v1/repos/{repo}/objects/closure", new { want = tooMany })).Status.Should().Be(HttpStatusCode.BadRequest);
        using var notJson = await http.PostAsync($"api/v1/repos/{repo}/chunks/missing", new StringContent("{\"ids\": [", Encoding.UTF8, "application/json"));
        notJson.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Wire.ReadJsonAsync(notJson)).Error().Should().StartWith("invalid JSON body");
        using var noIds = await http.PostAsync($"api/v1/repos/{repo}/chunks/missing", new StringContent("{}", Encoding.UTF8, "application/json"));
        noIds.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using var wrongType = await http.PostAsync($"api/v1/repos/{repo}/chunks", new StringContent("x", Encoding.UTF8, "text/plain"));
        wrongType.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        (await Wire.ReadJsonAsync(wrongType)).Error().Should().NotBeEmpty();
    }

    [Test]
    public async Task DownloadOfAChunkTheServerLacks_Is404BeforeAnyFrameIsSent()
    {
        var (server, http, repo, client) = await SetUpAsync();
        await using var _ = server;
        using var __ = client;
        var chunks = client.Chunks();
        (await Wire.UploadAsync(http, $"api/v1/repos/{repo}/chunks", Wire.Frames(chunks.Skip(1)))).Status.Should().Be(HttpStatusCode.OK);

        var (status, frames, error) = await Wire.PostForFramesAsync(http, $"api/v1/repos/{repo}/chunks/download",
            new { ids = chunks.Select(c => c.Id.ToString()).ToArray() });

        status.Should().Be(HttpStatusCode.NotFound);
        frames.Should().BeEmpty();
        error.Error().Should().Contain(chunks[0].Id.ToString());
    }
}
