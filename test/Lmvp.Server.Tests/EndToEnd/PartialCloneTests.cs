using System.Text.Json;
using Lmvp.Store;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.EndToEnd;

/// <summary>Clone and fetch bring every commit, tree and file list but only the checked-out snapshot's chunks; older versions'
/// chunks come from the remote on demand, verified, and are kept; fsck and gc know what the remote promises.</summary>
[TestFixture]
[NonParallelizable]
public sealed class PartialCloneTests : ServerWithAliceFixture
{
    private const int VersionSize = 8 * TestData.MiB;

    /// <summary>A repository of alice's with three versions of model.bin, each all new bytes, pushed; returns its URL and the commits, oldest first.</summary>
    private async Task<(string Url, ClientMachine Alice, List<ObjectId> Commits)> PushThreeVersionsAsync()
    {
        var name = "partial-" + Guid.NewGuid().ToString("N")[..10];
        var url = $"{Server.BaseUrl}/{await Server.CreateRepositoryAsync(Alice.WriteToken, name)}";
        var alice = new ClientMachine(Alice.WriteToken);
        var commits = new List<ObjectId>();
        alice.Write("work/notes.txt", "three epochs\n"u8.ToArray());
        await alice.LmvpOkAsync("work", "init");
        for (var epoch = 1; epoch <= 3; epoch++)
        {
            alice.Write("work/model.bin", TestData.Random(VersionSize, 100 + epoch));
            await alice.LmvpOkAsync("work", "commit", "-m", $"epoch {epoch}", "--author", "Test <t@example.com>");
            using var repository = Repository.Open(alice.PathOf("work"));
            commits.Add(repository.Head!.Value);
        }

        await alice.LmvpOkAsync("work", "remote", "add", "origin", url);
        await alice.LmvpOkAsync("work", "push");
        return (url, alice, commits);
    }

    private static string ViaRelay(string url, TcpRelay relay) => new UriBuilder(url) { Port = relay.Port }.Uri.ToString().TrimEnd('/');

    private static JsonElement Json(ProcessResult run) => JsonDocument.Parse(run.Out).RootElement;

    [Test]
    public async Task Clone_DownloadsOnlyTheSnapshot_ThenCheckoutOfAnOldVersionFetchesItsChunksOnceAndKeepsThem()
    {
        var (url, alice, commits) = await PushThreeVersionsAsync();
        using var _ = alice;
        await using var relay = new TcpRelay(Server.Port);
        using var bob = new ClientMachine(Alice.ReadToken);
        var snapshot = VersionSize + "three epochs\n".Length;

        var clone = Json(await bob.LmvpOkAsync("", "clone", ViaRelay(url, relay), "copy", "--json"));
        TestContext.Out.WriteLine($"clone: relay saw {relay.Downstream} bytes down for a {snapshot}-byte snapshot of a {3 * VersionSize}-byte history");
        relay.Downstream.Should().BeLessThanOrEqualTo((long)(snapshot * 1.05), "a clone brings the checked-out snapshot's chunks, not the history's");
        clone.GetProperty("fetch").GetProperty("transfer").GetProperty("chunkBytesReceived").GetInt64().Should().Be(snapshot);
        bob.Fingerprint("copy").Should().Equal(alice.Fingerprint("work"));
        (await bob.LmvpOkAsync("copy", "log", "--oneline")).Out.Should().Contain("epoch 1").And.Contain("epoch 2").And.Contain("epoch 3");

        // fsck and gc know the older versions' chunks are promised by origin: not damage.
        var fsck = await bob.LmvpOkAsync("copy", "fsck");
        fsck.Out.Should().Contain("of older versions are not here: remote 'origin' promises them");
        var fsckJson = Json(await bob.LmvpOkAsync("copy", "fsck", "--json")).GetProperty("fsck");
        fsckJson.GetProperty("promisedBytes").GetInt64().Should().Be(2L * VersionSize);
        fsckJson.GetProperty("problems").GetArrayLength().Should().Be(0);
        (await bob.LmvpOkAsync("copy", "gc", "--json")).Out.Should().Contain("\"promisedChunks\"");

        // An old version: its chunks come from origin, verified, and stay.
        relay.ResetCounters();
        var checkout = await bob.LmvpOkAsync("copy", "checkout", commits[0].ToString());
        TestContext.Out.WriteLine($"checkout of epoch 1: relay saw {relay.Downstream} bytes down");
        relay.Downstream.Should().BeGreaterThanOrEqualTo(VersionSize).And.BeLessThanOrEqualTo((long)(VersionSize * 1.05));
        File.ReadAllBytes(bob.PathOf("copy/model.bin")).Should().Equal(TestData.Random(VersionSize, 101), checkout.ToString());

        relay.ResetCounters();
        await bob.LmvpOkAsync("copy", "checkout", "main");
        await bob.LmvpOkAsync("copy", "checkout", commits[0].ToString());
        relay.Downstream.Should().Be(0, "chunks fetched on demand are kept, and present chunks need no request");
        Json(await bob.LmvpOkAsync("copy", "fsck", "--json")).GetProperty("fsck").GetProperty("promisedBytes").GetInt64().Should().Be(VersionSize, "only epoch 2 is still on origin alone");

        // A read through the library (as lmvp get would do for an older version) fetches on demand too.
        using (var repository = Repository.Open(bob.PathOf("copy")))
        {
            repository.RemoteOptions = bob.Options();
            var file = repository.ListFiles(commits[1]).Single(f => f.Key == "model.bin").Value.Id;
            using var stream = repository.OpenFile(file);
            using var copy = new MemoryStream();
            await stream.CopyToAsync(copy);
            copy.ToArray().Should().Equal(TestData.Random(VersionSize, 102));
        }

        // Nothing is promised any more once everything is here.
        (await bob.LmvpOkAsync("copy", "fetch", "--all-chunks")).ExitCode.Should().Be(0);
        var done = Json(await bob.LmvpOkAsync("copy", "fsck", "--json")).GetProperty("fsck");
        done.GetProperty("promisedChunks").GetInt64().Should().Be(0);
        done.GetProperty("notes").EnumerateArray().Should().BeEmpty();
    }

    [Test]
    public async Task CheckoutOfAnOldVersion_WithTheServerDown_FailsInOneLineNamingWhatIsMissingAndWhere_AndAnAllChunksCloneWorksOffline()
    {
        var (url, alice, commits) = await PushThreeVersionsAsync();
        using var _ = alice;
        using var bob = new ClientMachine(Alice.ReadToken);
        await bob.LmvpOkAsync("", "clone", url, "partial");
        var full = Json(await bob.LmvpOkAsync("", "clone", "--all-chunks", url, "full", "--json"));
        full.GetProperty("fetch").GetProperty("transfer").GetProperty("chunkBytesReceived").GetInt64().Should().BeGreaterThanOrEqualTo(3L * VersionSize);
        var before = bob.Fingerprint("partial");

        await Server.StopAsync();
        try
        {
            var refused = await bob.LmvpAsync("partial", "checkout", commits[0].ToString());
            refused.ExitCode.Should().Be(1, refused.ToString());
            refused.Error.Should().MatchRegex(@"^error: Cannot check out model\.bin: \d+ chunks \(8\.0 MiB\) are not in this repository; ")
                .And.Contain($"; they would come from origin ({url}): cannot reach ");
            refused.Error.TrimEnd('\n').Should().NotContain("\n", "the error is one line");
            bob.Fingerprint("partial").Should().Equal(before, "a checkout that cannot get its chunks changes nothing");
            (await bob.LmvpOkAsync("partial", "status")).Out.Should().StartWith("## main");
            var tensors = await bob.LmvpAsync("partial", "diff", commits[0].ToString(), "HEAD", "--tensors");
            tensors.ExitCode.Should().Be(1, tensors.ToString());
            tensors.Error.Should().MatchRegex(@"^error: Cannot read the tensors of model\.bin: \d+ chunks \(8\.0 MiB\) are not in this repository; ")
                .And.Contain($"; they would come from origin ({url}): cannot reach ");

            await bob.LmvpOkAsync("full", "checkout", commits[0].ToString());
            File.ReadAllBytes(bob.PathOf("full/model.bin")).Should().Equal(TestData.Random(VersionSize, 101));
            Json(await bob.LmvpOkAsync("full", "fsck", "--json")).GetProperty("fsck").GetProperty("promisedChunks").GetInt64().Should().Be(0);
        }
        finally
        {
            await Server.RestartAsync();
        }
    }
}
