using System.Text.Json;
using Lmvp.Server.Hosting;
using Lmvp.Server.Services;
using Lmvp.Server.Storage;
using Lmvp.Server.Tests.EndToEnd;
using Lmvp.Server.Tests.Support;
using Lmvp.Store;
using Lmvp.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Lmvp.Server.Tests.Maintenance;

/// <summary><c>lmvp-server admin gc</c> and <c>admin verify</c> on each backend, against real pushes and real damaged bytes.</summary>
[TestFixture(Backend.Embedded)]
[TestFixture(Backend.PostgresS3)]
[NonParallelizable]
public sealed class ServerMaintenanceTests(string backend)
{
    private TestServer _server = null!;
    private TestUser _alice = null!;
    private TempDirectory _scratch = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await Backend.StartServerAsync(backend, "maint");
        _alice = await _server.CreateUserAsync("alice");
        _scratch = new TempDirectory("maint");
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _server.DisposeAsync();
        _scratch.Dispose();
    }

    private Task<ProcessResult> AdminAsync(params string[] args) => AdminRun.RunAsync([.. args, .. AdminRun.StorageArguments(_server, _scratch)]);

    private static async Task CommitAsync(ClientMachine machine, string directory, string message) =>
        await machine.LmvpOkAsync(directory, "commit", "-m", message, "--author", "T <t@example.com>");

    [Test]
    public async Task Gc_CondemnsThenDeletesWhatNoRefReaches_AndKeepsWhatAPushReusedMeanwhile()
    {
        var repo = await _server.CreateRepositoryAsync(_alice.WriteToken, "gc-" + Guid.NewGuid().ToString("N")[..8]);
        var url = $"{_server.BaseUrl}/{repo}";
        using var alice = new ClientMachine(_alice.WriteToken);
        var kept = TestData.Random(2 * TestData.MiB, 1);
        alice.Write("first/kept.bin", kept);
        await alice.LmvpOkAsync("first", "init");
        await CommitAsync(alice, "first", "kept");
        await alice.LmvpOkAsync("first", "remote", "add", "origin", url);
        await alice.LmvpOkAsync("first", "push");

        // An unrelated history force-pushed over it: kept.bin's chunks are now unreachable.
        alice.Write("other/dropped.bin", TestData.Random(3 * TestData.MiB, 2));
        await alice.LmvpOkAsync("other", "init");
        await CommitAsync(alice, "other", "other");
        await alice.LmvpOkAsync("other", "remote", "add", "origin", url);
        await alice.LmvpOkAsync("other", "push", "--force");

        var dry = await AdminAsync("admin", "gc", repo, "--dry-run");
        dry.ExitCode.Should().Be(0, dry.ToString());
        dry.Out.Should().Contain("would be removed").And.Contain("nothing changed");
        var condemn = await AdminAsync("admin", "gc", repo);
        condemn.ExitCode.Should().Be(0, condemn.ToString());
        condemn.Out.Should().MatchRegex(@"[1-9]\d* newly condemned, 0 deleted", "within the grace period nothing is deleted");

        // Meanwhile a push builds on the condemned commit again: its chunks are reused, not sent, and so must be kept.
        alice.Write("first/more.bin", TestData.Random(500_000, 3));
        await CommitAsync(alice, "first", "more");
        var push = JsonDocument.Parse((await alice.LmvpOkAsync("first", "push", "--force", "--json")).Out).RootElement.GetProperty("transfer");
        push.GetProperty("chunkBytesSent").GetInt64().Should().BeLessThan(kept.Length, "kept.bin's chunks were still on the server");

        var sweep = await AdminAsync("admin", "gc", repo, "--grace-minutes", "0");
        sweep.ExitCode.Should().Be(0, sweep.ToString());
        sweep.Out.Should().MatchRegex(@"[1-9]\d* deleted \([1-9]\d* bytes\), [1-9]\d* packs deleted", "dropped.bin's chunks and pack went");

        using var bob = new ClientMachine(_alice.ReadToken);
        await bob.LmvpOkAsync("", "clone", url, "copy");
        bob.Fingerprint("copy").Should().Equal(alice.Fingerprint("first"));
        var verify = await AdminAsync("admin", "verify", repo);
        verify.ExitCode.Should().Be(0, verify.ToString());
        verify.Out.Should().Contain($"{repo}: ok:");
    }

    [Test]
    public async Task Verify_ReadsEveryPack_AndNamesADamagedChunkWithItsFilesCommitsAndRefs()
    {
        var repo = await _server.CreateRepositoryAsync(_alice.WriteToken, "verify-" + Guid.NewGuid().ToString("N")[..8]);
        using var alice = new ClientMachine(_alice.WriteToken);
        alice.Write("work/model.bin", TestData.Random(2 * TestData.MiB, 5));
        await alice.LmvpOkAsync("work", "init");
        await CommitAsync(alice, "work", "weights");
        alice.Write("work/notes.txt", "n"u8.ToArray());
        await CommitAsync(alice, "work", "notes");
        await alice.LmvpOkAsync("work", "tag", "v1");
        await alice.LmvpOkAsync("work", "remote", "add", "origin", $"{_server.BaseUrl}/{repo}");
        await alice.LmvpOkAsync("work", "push", "--tags");
        await alice.LmvpOkAsync("work", "push");

        var clean = await AdminAsync("admin", "verify", repo);
        clean.ExitCode.Should().Be(0, clean.ToString());
        clean.Out.Should().MatchRegex($@"{repo}: ok: [1-9]\d* packs, [1-9]\d* chunks");

        // Flip one byte inside a chunk of model.bin in the stored pack (the blob store's own bytes, rewritten whole).
        var storage = _server.Services.GetRequiredService<ServerStorage>();
        var record = (await storage.Metadata.Repositories.FindRepositoryAsync("alice", repo.Split('/')[1], default))!;
        var victim = (await storage.Metadata.Chunks.ListChunksAsync(record.Id, default)).First(c => c.StoredLength > 1000).Id;
        var location = (await storage.Metadata.Chunks.LookupAsync(record.Id, [victim], default))[0]!;
        var blob = ChunkStore.BlobName(record.Id, location.Pack);
        var bytes = new byte[(await storage.Blobs.GetLengthAsync(blob, default))!.Value];
        await storage.Blobs.ReadExactlyAsync(blob, 0, bytes, default);
        bytes[location.Entry.DataOffset + 100] ^= 0x20;
        await storage.Blobs.PutAsync(blob, new MemoryStream(bytes), default);

        var damaged = await AdminAsync("admin", "verify", repo);
        damaged.ExitCode.Should().Be(1, damaged.ToString());
        damaged.Out.Should().Contain($"{repo}: DAMAGED: 1 damaged chunks").And.Contain($"chunk {victim}:")
            .And.Contain("used by model.bin in commit").And.Contain("(weights); refs: refs/heads/main, refs/tags/v1")
            .And.Contain("(notes); refs: refs/heads/main, refs/tags/v1");
        (await AdminAsync("admin", "verify")).ExitCode.Should().Be(1, "verifying every repository includes the damaged one");
    }
}
