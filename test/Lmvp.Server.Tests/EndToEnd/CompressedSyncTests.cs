using System.Text.Json;
using Lmvp.Store;
using Lmvp.Store.Packs;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.EndToEnd;

/// <summary>Float weights cost their compressed size at rest, in a push and in a clone, and each operation says so honestly:
/// logical bytes, bytes new after dedup, bytes after compression, bytes on the wire (checked against a relay that counts them).</summary>
[TestFixture]
[NonParallelizable]
public sealed class CompressedSyncTests
{
    [Test]
    public async Task CommitPushAndClone_OfFloatWeights_ReportAndMoveTheCompressedBytes()
    {
        await using var server = await TestServer.StartAsync();
        var alice = await server.CreateUserAsync("alice");
        var repository = await server.CreateRepositoryAsync(alice.WriteToken, "weights");
        await using var relay = new TcpRelay(server.Port);
        var url = new UriBuilder($"{server.BaseUrl}/{repository}") { Port = relay.Port }.Uri.ToString().TrimEnd('/');
        using var laptop = new ClientMachine(alice.WriteToken);
        using var notebook = new ClientMachine(alice.WriteToken);
        var model = ModelFiles.Safetensors(
        [
            new TestTensor("w", "F32", [2048, 256], ModelFiles.NormalFloats(2048 * 256, 1)),
            new TestTensor("w16", "BF16", [2048, 256], ModelFiles.ToBFloat16(ModelFiles.NormalFloats(2048 * 256, 2))),
        ]);
        laptop.Write("work/model.safetensors", model);
        await laptop.LmvpOkAsync("work", "init");

        var commit = JsonDocument.Parse((await laptop.LmvpOkAsync("work", "commit", "-m", "epoch 1", "--json")).Out).RootElement;
        commit.GetProperty("bytesScanned").GetInt64().Should().Be(model.Length);
        commit.GetProperty("bytesNew").GetInt64().Should().Be(model.Length);
        var stored = commit.GetProperty("bytesStored").GetInt64();
        ((double)model.Length / stored).Should().BeGreaterThan(1.2, "fp32 and bf16 byte planes");

        await laptop.LmvpOkAsync("work", "remote", "add", "origin", url);
        relay.ResetCounters();
        var push = await laptop.LmvpOkAsync("work", "push", "--json");
        var sent = JsonDocument.Parse(push.Out).RootElement.GetProperty("transfer");
        sent.GetProperty("logicalBytes").GetInt64().Should().Be(model.Length);
        sent.GetProperty("chunkBytesSent").GetInt64().Should().Be(model.Length);
        var wire = sent.GetProperty("chunkWireBytesSent").GetInt64();
        wire.Should().BeLessThan(stored, "the wire carries the stored bytes, without pack entry headers");
        ((double)model.Length / wire).Should().BeGreaterThan(1.2);
        relay.Upstream.Should().BeLessThan((long)(model.Length / 1.2), "every byte through the socket counts, HTTP included");
        sent.GetProperty("bytesSent").GetInt64().Should().BeLessThanOrEqualTo(relay.Upstream);

        relay.ResetCounters();
        var clone = JsonDocument.Parse((await notebook.LmvpOkAsync("", "clone", url, "copy", "--json")).Out).RootElement;
        var received = clone.GetProperty("fetch").GetProperty("transfer");
        received.GetProperty("logicalBytes").GetInt64().Should().Be(model.Length);
        received.GetProperty("chunkBytesReceived").GetInt64().Should().Be(model.Length);
        received.GetProperty("chunkWireBytesReceived").GetInt64().Should().Be(wire, "the server serves the chunks as they were stored");
        relay.Downstream.Should().BeLessThan((long)(model.Length / 1.2));
        notebook.Fingerprint("copy").Should().Equal(laptop.Fingerprint("work"));
        using (var copy = Repository.Open(notebook.PathOf("copy")))
        {
            copy.Database.ListChunks().Should().Contain(c => c.Location.Encoding == ChunkEncoding.BytePlanes, "chunks are kept as they came");
            copy.Fsck().Problems.Should().BeEmpty();
        }

        // The text forms say the same.
        laptop.Write("work/model.safetensors", ModelFiles.Safetensors([new TestTensor("w", "F32", [2048, 256], ModelFiles.NormalFloats(2048 * 256, 3))]));
        (await laptop.LmvpOkAsync("work", "commit", "-m", "epoch 2")).Out.Should().MatchRegex(@"new after dedup, [0-9.]+ MiB stored \(1\.[0-9]+x\)");
        (await laptop.LmvpOkAsync("work", "push")).Out.Should().MatchRegex(@"sent \d+ chunks and \d+ objects in \d+ requests: 2\.0 MiB of files, 2\.0 MiB new to the server, [0-9.]+ MiB on the wire \(1\.[0-9]+x\)");
        (await notebook.LmvpOkAsync("copy", "fetch")).Out.Should().MatchRegex(@"received \d+ chunks and \d+ objects in \d+ requests: 2\.0 MiB of files, 2\.0 MiB new here, [0-9.]+ MiB on the wire \(1\.[0-9]+x\)");
    }
}
