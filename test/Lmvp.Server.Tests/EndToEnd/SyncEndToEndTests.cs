using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Lmvp.Store;
using Lmvp.Store.Sync;
using Lmvp.Testing;
using Lmvp.Server.Tests.Server;
using Lmvp.Server.Tests.Support;

namespace Lmvp.Server.Tests.EndToEnd;

/// <summary>push, fetch, pull and clone between real clients and a real lmvp-server on a loopback port, once on the embedded
/// storage (SQLite and files) and once on PostgreSQL and Ceph RGW.</summary>
[TestFixture(Backend.Embedded)]
[TestFixture(Backend.PostgresS3)]
[NonParallelizable]
public sealed class SyncEndToEndTests(string backend)
{
    private const string RejectedMessage = "rejected: the remote has commits you don't have; run 'lmvp pull' first (or --force)";

    private TestServer _server = null!;
    private TestUser _alice = null!;
    private TestUser _bob = null!;
    private TestUser _carol = null!;
    private TestUser _dave = null!;

    [OneTimeSetUp]
    public async Task StartServerAsync()
    {
        _server = await Backend.StartServerAsync(backend, "e2e");
        _alice = await _server.CreateUserAsync("alice");
        _bob = await _server.CreateUserAsync("bob");
        _carol = await _server.CreateUserAsync("carol");
        _dave = await _server.CreateUserAsync("dave");
    }

    [OneTimeTearDown]
    public async Task StopServerAsync() => await _server.DisposeAsync();

    /// <summary>A new private repository of alice's; bob may write, carol may read, dave is no member.</summary>
    private async Task<(string Name, string Url)> NewRepositoryAsync()
    {
        var name = "model-" + Guid.NewGuid().ToString("N")[..10];
        var fullName = await _server.CreateRepositoryAsync(_alice.WriteToken, name);
        await _server.AddMemberAsync(_alice.AdminToken, fullName, _bob.Name, "write");
        await _server.AddMemberAsync(_alice.AdminToken, fullName, _carol.Name, "read");
        return (name, $"{_server.BaseUrl}/{fullName}");
    }

    /// <summary>The server's refs of one of alice's repositories, read with the API.</summary>
    private async Task<Dictionary<string, string>> ServerRefsAsync(string repository)
    {
        using var http = _server.CreateClient(_alice.ReadToken);
        var answer = JsonDocument.Parse(await http.GetStringAsync($"api/v1/repos/alice/{repository}/refs")).RootElement;
        return answer.GetProperty("refs").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    private static string ViaRelay(string url, TcpRelay relay) => new UriBuilder(url) { Port = relay.Port }.Uri.ToString().TrimEnd('/');

    /// <summary>A working tree with files, one commit, and origin set to <paramref name="url"/>.</summary>
    private static async Task InitWithCommitAsync(ClientMachine machine, string directory, string url, Dictionary<string, byte[]> files, string message = "epoch 1")
    {
        foreach (var (path, content) in files)
        {
            machine.Write($"{directory}/{path}", content);
        }

        await machine.LmvpOkAsync(directory, "init");
        await machine.LmvpOkAsync(directory, "commit", "-m", message, "--author", "Test <t@example.com>");
        await machine.LmvpOkAsync(directory, "remote", "add", "origin", url);
    }

    private static async Task<ObjectId> CommitAsync(ClientMachine machine, string directory, string message, params string[] extra)
    {
        await machine.LmvpOkAsync(directory, ["commit", "-m", message, "--author", "Test <t@example.com>", .. extra]);
        using var repository = Repository.Open(machine.PathOf(directory));
        return repository.Head!.Value;
    }

    private static JsonElement Json(ProcessResult run) => JsonDocument.Parse(run.Out).RootElement;

    [Test]
    public async Task PushCloneAndPull_RoundTripFilesByteIdentical()
    {
        var (name, url) = await NewRepositoryAsync();
        using var alice = new ClientMachine(_alice.WriteToken);
        using var bob = new ClientMachine(_bob.WriteToken);
        await InitWithCommitAsync(alice, "work", url, new()
        {
            ["model.bin"] = TestData.Random(3 * TestData.MiB, 1),
            ["config/params.json"] = Encoding.UTF8.GetBytes("{\"lr\": 0.001}\n"),
            ["empty.txt"] = [],
            ["deep/a/b/c/weights name ü.bin"] = TestData.Random(100_000, 2),
        });

        var push = await alice.LmvpOkAsync("work", "push");
        push.Out.Should().Contain($"To {url}").And.Contain("* [new branch]").And.Contain("main -> main")
            .And.Contain("branch 'main' set up to track 'origin/main'.");

        var clone = await bob.LmvpOkAsync("", "clone", url);
        clone.Error.Should().Contain($"Cloning into '{name}'...");
        clone.Out.Should().Contain("Checked out 'main'");
        bob.Fingerprint(name).Should().Equal(alice.Fingerprint("work"));
        (await bob.LmvpOkAsync(name, "status")).Out.Should().Be("## main...origin/main\n");

        // A second version: part of the model rewritten, a file added, one removed.
        var model = File.ReadAllBytes(alice.PathOf("work/model.bin"));
        TestData.Random(200_000, 3).CopyTo(model, 1_000_000);
        alice.Write("work/model.bin", model);
        alice.Write("work/metrics.csv", Encoding.UTF8.GetBytes("epoch,loss\n2,0.31\n"));
        File.Delete(alice.PathOf("work/empty.txt"));
        var second = await CommitAsync(alice, "work", "epoch 2", "--metric", "loss=0.31");
        (await alice.LmvpOkAsync("work", "push")).Out.Should().Contain("main -> main").And.NotContain("new branch");

        // An uncommitted change to a file the pull would rewrite: refused, and nothing moves.
        var bobModel = bob.PathOf($"{name}/model.bin");
        var original = File.ReadAllBytes(bobModel);
        File.WriteAllBytes(bobModel, [1, 2, 3]);
        var refused = await bob.LmvpAsync(name, "pull");
        refused.ExitCode.Should().Be(1);
        refused.Error.Should().StartWith("error: Pulling origin/main would overwrite uncommitted changes in model.bin; commit them");
        File.ReadAllBytes(bobModel).Should().Equal([1, 2, 3]);
        (await bob.LmvpOkAsync(name, "status")).Out.Should().StartWith("## main...origin/main [behind 1]\n");
        File.WriteAllBytes(bobModel, original);

        var pull = await bob.LmvpOkAsync(name, "pull");
        pull.Out.Should().Contain("Fast-forward").And.Contain("Updating ");
        bob.Fingerprint(name).Should().Equal(alice.Fingerprint("work"));
        using (var repository = Repository.Open(bob.PathOf(name)))
        {
            repository.Head.Should().Be(second);
            repository.GetCommit(second).Metrics.Should().ContainSingle(m => m.Key == "loss" && m.Value == 0.31);
        }

        (await bob.LmvpOkAsync(name, "pull")).Out.Should().Contain("Already up to date.");
        var log = await bob.LmvpOkAsync(name, "log");
        log.Out.Should().Contain("Your branch is up to date with 'origin/main'.").And.Contain("epoch 2").And.Contain("epoch 1");
    }

    [Test]
    public async Task RePush_AfterRewriting5PercentOf64MiB_SendsAtMost6PercentOverTheWire()
    {
        const int size = 64 * TestData.MiB;
        var (name, url) = await NewRepositoryAsync();
        await using var relay = new TcpRelay(_server.Port);
        var relayed = ViaRelay(url, relay);
        using var alice = new ClientMachine(_alice.WriteToken);
        using var bob = new ClientMachine(_bob.WriteToken);
        var model = TestData.Random(size, 42);
        await InitWithCommitAsync(alice, "work", relayed, new() { ["model.bin"] = model });
        var first = Json(await alice.LmvpOkAsync("work", "push", "--json"));
        first.GetProperty("transfer").GetProperty("chunkBytesSent").GetInt64().Should().Be(size);
        await bob.LmvpOkAsync("", "clone", relayed, "copy");

        // A fine-tune of two layers: two contiguous regions, 5% of the file in all, rewritten in place.
        var rewritten = size / 20;
        TestData.Random(rewritten / 2, 7).CopyTo(model, 10 * TestData.MiB);
        TestData.Random(rewritten / 2, 8).CopyTo(model, 40 * TestData.MiB);
        alice.Write("work/model.bin", model);
        await CommitAsync(alice, "work", "fine-tune");

        relay.ResetCounters();
        var push = Json(await alice.LmvpOkAsync("work", "push", "--json"));
        var transfer = push.GetProperty("transfer");
        var limit = (long)(size * 0.06);
        TestContext.Out.WriteLine($"re-push: {transfer}; relay saw {relay.Upstream} bytes up, {relay.Downstream} down; limit {limit}");
        transfer.GetProperty("bytesSent").GetInt64().Should().BeLessThanOrEqualTo(limit);
        relay.Upstream.Should().BeLessThanOrEqualTo(limit, "every byte on the wire counts, HTTP headers included");
        transfer.GetProperty("chunkBytesSent").GetInt64().Should().BeGreaterThanOrEqualTo(rewritten, "the rewritten regions must have been sent");

        relay.ResetCounters();
        var pull = Json(await bob.LmvpOkAsync("copy", "pull", "--json"));
        TestContext.Out.WriteLine($"pull: {pull.GetProperty("fetch").GetProperty("transfer")}; relay saw {relay.Downstream} bytes down");
        relay.Downstream.Should().BeLessThanOrEqualTo(limit);
        bob.Fingerprint("copy").Should().Equal(alice.Fingerprint("work"));
    }

    [Test]
    public async Task Push_KilledHalfway_RunAgainCompletesAndSendsOnlyWhatWasMissing()
    {
        const int size = 24 * TestData.MiB;
        const int request = 2 * TestData.MiB;
        var (_, url) = await NewRepositoryAsync();
        await using var relay = new TcpRelay(_server.Port);
        using var alice = new ClientMachine(_alice.WriteToken);
        await InitWithCommitAsync(alice, "work", ViaRelay(url, relay), new() { ["model.bin"] = TestData.Random(size, 11) });
        using (var repository = Repository.Open(alice.PathOf("work")))
        {
            repository.SetConfig(SyncOptions.RequestBytesConfigKey, request.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        using var process = alice.StartLmvp("work", "push");
        relay.HoldWhen(upstream: true, size / 2, () => process.Kill(entireProcessTree: true));
        var killed = await LmvpProcess.WaitAsync(process);
        relay.CutHeld();
        killed.ExitCode.Should().NotBe(0, "the push was killed half-way: {0}", killed);
        (await ServerRefsAsync(new Uri(url).Segments[^1])).Should().BeEmpty("a killed push never moves the ref");

        relay.ResetCounters();
        var resumed = Json(await alice.LmvpOkAsync("work", "push", "--json")).GetProperty("transfer");
        TestContext.Out.WriteLine($"resumed push: {resumed}; relay saw {relay.Upstream} bytes up");
        var sent = resumed.GetProperty("chunkBytesSent").GetInt64();
        // At most the requests in flight are lost (plus one request's worth for the frames and control requests before them).
        var inFlight = Lmvp.Store.Sync.ChunkUploader.UploadsInFlight;
        sent.Should().BeLessThanOrEqualTo(size / 2 + ((inFlight + 1) * request), "what the server kept before the kill is not sent again");
        sent.Should().BeGreaterThan(size / 4);
        relay.Upstream.Should().BeLessThanOrEqualTo(size / 2 + ((inFlight + 2) * request));

        using var bob = new ClientMachine(_bob.WriteToken);
        await bob.LmvpOkAsync("", "clone", url, "copy");
        bob.Fingerprint("copy").Should().Equal(alice.Fingerprint("work"));
    }

    [Test]
    public async Task Clone_KilledHalfway_RunAgainCompletesAndFetchesOnlyWhatWasMissing()
    {
        const int size = 24 * TestData.MiB;
        const int request = 2 * TestData.MiB;
        var (_, url) = await NewRepositoryAsync();
        await using var relay = new TcpRelay(_server.Port);
        var relayed = ViaRelay(url, relay);
        using var alice = new ClientMachine(_alice.WriteToken);
        await InitWithCommitAsync(alice, "work", url, new() { ["model.bin"] = TestData.Random(size, 12), ["notes.txt"] = "hello"u8.ToArray() });
        await alice.LmvpOkAsync("work", "push");

        using var bob = new ClientMachine(_bob.WriteToken);
        using var process = bob.StartLmvp("", "clone", "-c", $"sync.requestBytes={request}", relayed, "copy");
        relay.HoldWhen(upstream: false, size / 2, () => process.Kill(entireProcessTree: true));
        var killed = await LmvpProcess.WaitAsync(process);
        relay.CutHeld();
        killed.ExitCode.Should().NotBe(0, "the clone was killed half-way: {0}", killed);
        using (var partial = Repository.Open(bob.PathOf("copy")))
        {
            partial.IsUnfinishedClone.Should().BeTrue();
            partial.Head.Should().BeNull("no ref may point at a commit whose chunks have not all arrived");
        }

        relay.ResetCounters();
        var resumed = Json(await bob.LmvpOkAsync("", "clone", relayed, "copy", "--json"));
        TestContext.Out.WriteLine($"resumed clone: {resumed.GetProperty("fetch").GetProperty("transfer")}; relay saw {relay.Downstream} bytes down");
        resumed.GetProperty("resumed").GetBoolean().Should().BeTrue();
        var received = resumed.GetProperty("fetch").GetProperty("transfer").GetProperty("chunkBytesReceived").GetInt64();
        received.Should().BeLessThanOrEqualTo(size / 2 + 2 * request, "chunks kept before the kill are not fetched again");
        received.Should().BeGreaterThan(size / 4);
        relay.Downstream.Should().BeLessThanOrEqualTo(size / 2 + (3 * request));
        bob.Fingerprint("copy").Should().Equal(alice.Fingerprint("work"));
        using var done = Repository.Open(bob.PathOf("copy"));
        done.IsUnfinishedClone.Should().BeFalse();
    }

    [Test]
    public async Task Clone_ChunkCorruptedOnTheWire_IsRefusedAndNothingCorruptIsKept()
    {
        var (_, url) = await NewRepositoryAsync();
        await using var relay = new TcpRelay(_server.Port);
        using var alice = new ClientMachine(_alice.WriteToken);
        await InitWithCommitAsync(alice, "work", url, new() { ["model.bin"] = TestData.Random(8 * TestData.MiB, 13) });
        await alice.LmvpOkAsync("work", "push");

        using var bob = new ClientMachine(_bob.WriteToken);
        relay.CorruptDownstreamAt((5 * TestData.MiB) + 12_345);
        var corrupted = await bob.LmvpAsync("", "clone", ViaRelay(url, relay), "copy");
        corrupted.ExitCode.Should().Be(1, corrupted.ToString());
        corrupted.Error.Should().Contain("error: Chunk ").And.Contain("is corrupt: its bytes do not hash to its id");

        var clean = await bob.LmvpAsync("", "clone", ViaRelay(url, relay), "copy");
        clean.ExitCode.Should().Be(0, clean.ToString());
        bob.Fingerprint("copy").Should().Equal(alice.Fingerprint("work"));
        (await bob.LmvpAsync("copy", "fsck")).ExitCode.Should().Be(0);
    }

    [Test]
    public async Task Push_OfAChunkDamagedInItsPack_FailsNamingThePack_AndTheServerKeepsNoneOfThatRequest()
    {
        var (name, url) = await NewRepositoryAsync();
        using var alice = new ClientMachine(_alice.WriteToken);
        var model = TestData.Random(3 * TestData.MiB, 17);
        await InitWithCommitAsync(alice, "work", url, new() { ["model.bin"] = model });
        var pack = Directory.EnumerateFiles(alice.PathOf("work/.lmvp"), "*.pack", SearchOption.AllDirectories).Single();
        var bytes = File.ReadAllBytes(pack);
        bytes[bytes.Length / 2] ^= 0x40; // inside a chunk's bytes: the pack holds one 3 MiB file
        File.WriteAllBytes(pack, bytes);

        var push = await alice.LmvpAsync("work", "push");

        push.ExitCode.Should().Be(1, push.ToString());
        push.Error.Trim().Should().MatchRegex(@"^error: .*[Cc]hunk [0-9a-f]{12} in pack-[0-9a-f]+\.pack at offset \d+ (is corrupt|does not decompress)",
            "the damage is reported where it is, on this side");
        push.Error.Trim().Split('\n').Should().ContainSingle();
        (await ServerRefsAsync(name)).Should().BeEmpty("the branch never moved");
        using var http = _server.CreateClient(_alice.ReadToken);
        using var repository = Repository.Open(alice.PathOf("work"));
        var chunks = repository.Store.GetManifest(ObjectId.Compute(model)).Chunks.Select(c => c.Id);
        var missing = await Wire.MissingAsync(http, $"alice/{name}", "chunks", chunks);
        missing.Should().NotBeEmpty("the request with the damaged chunk was refused whole");
    }

    [Test]
    public async Task TwoPushesToOneBranch_OneWinsTheOtherIsToldToPull_AndAfterPullAndPushBothAreInHistory()
    {
        var (name, url) = await NewRepositoryAsync();
        await using var relay = new TcpRelay(_server.Port);
        using var alice = new ClientMachine(_alice.WriteToken);
        using var bob = new ClientMachine(_bob.WriteToken);
        await InitWithCommitAsync(alice, "work", url, new() { ["base.bin"] = TestData.Random(TestData.MiB, 20) });
        await alice.LmvpOkAsync("work", "push");
        await bob.LmvpOkAsync("", "clone", url, "work");
        await bob.LmvpOkAsync("work", "remote", "set-url", "origin", ViaRelay(url, relay));

        alice.Write("work/alice.bin", TestData.Random(300_000, 21));
        var aliceCommit = await CommitAsync(alice, "work", "alice's change");
        var bobFile = TestData.Random(3 * TestData.MiB, 22);
        bob.Write("work/bob.bin", bobFile);
        var bobCommit = await CommitAsync(bob, "work", "bob's change");

        // Bob starts first; his link stalls mid-upload while alice pushes, so his compare-and-swap comes second.
        var stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        relay.When(upstream: true, 512 * 1024, () =>
        {
            relay.Pause();
            stalled.TrySetResult();
        });
        using (var bobRepository = Repository.Open(bob.PathOf("work")))
        {
            var bobPush = bobRepository.PushAsync(options: bob.Options());
            await stalled.Task.WaitAsync(TimeSpan.FromSeconds(30));
            var alicePush = await alice.LmvpAsync("work", "push");
            alicePush.ExitCode.Should().Be(0, alicePush.ToString());
            relay.Resume();
            var refused = await FluentActions.Awaiting(() => bobPush).Should().ThrowAsync<RefConflictException>();
            refused.Which.Message.Should().Be(RejectedMessage);
        }

        (await ServerRefsAsync(name))["refs/heads/main"].Should().Be(aliceCommit.ToString(), "exactly one push won");

        var again = await bob.LmvpAsync("work", "push");
        again.ExitCode.Should().Be(1);
        again.Error.Should().Be($"error: {RejectedMessage}\n");

        var pull = await bob.LmvpAsync("work", "pull");
        pull.ExitCode.Should().Be(1, pull.ToString());
        pull.Error.Should().StartWith("error: Not possible to fast-forward: local and origin/main have diverged (1 and 1 different commits)");
        bob.Fingerprint("work").Should().ContainKey("bob.bin").And.NotContainKey("alice.bin", "a refused pull changes no file");

        (await bob.LmvpOkAsync("work", "pull", "--merge")).Out.Should().Contain("Merge made");
        var push = Json(await bob.LmvpOkAsync("work", "push", "--json")).GetProperty("transfer");
        push.GetProperty("chunkBytesSent").GetInt64().Should().Be(0, "the server kept the chunks of bob's refused push");

        using var carol = new ClientMachine(_carol.ReadToken);
        await carol.LmvpOkAsync("", "clone", url, "check");
        carol.Fingerprint("check").Should().Equal(bob.Fingerprint("work"));
        File.ReadAllBytes(carol.PathOf("check/bob.bin")).Should().Equal(bobFile);
        File.ReadAllBytes(carol.PathOf("check/alice.bin")).Should().Equal(File.ReadAllBytes(alice.PathOf("work/alice.bin")));
        var history = Json(await carol.LmvpOkAsync("check", "log", "--json")).EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList();
        history.Should().Contain([aliceCommit.ToString(), bobCommit.ToString()]);
    }

    [Test]
    public async Task TwoPushesToOneBranch_StartedTogether_ExactlyOneWins()
    {
        var (name, url) = await NewRepositoryAsync();
        using var alice = new ClientMachine(_alice.WriteToken);
        using var bob = new ClientMachine(_bob.WriteToken);
        await InitWithCommitAsync(alice, "work", url, new() { ["base.bin"] = TestData.Random(200_000, 30) });
        await alice.LmvpOkAsync("work", "push");
        await bob.LmvpOkAsync("", "clone", url, "work");
        alice.Write("work/a.bin", TestData.Random(2 * TestData.MiB, 31));
        bob.Write("work/b.bin", TestData.Random(2 * TestData.MiB, 32));
        var commits = new[] { await CommitAsync(alice, "work", "a"), await CommitAsync(bob, "work", "b") };

        using var a = Repository.Open(alice.PathOf("work"));
        using var b = Repository.Open(bob.PathOf("work"));
        var pushes = new[] { Task.Run(() => a.PushAsync(options: alice.Options())), Task.Run(() => b.PushAsync(options: bob.Options())) };
        try
        {
            await Task.WhenAll(pushes);
        }
        catch (RefConflictException)
        {
        }

        pushes.Count(p => p.IsCompletedSuccessfully).Should().Be(1);
        var loser = pushes.Single(p => p.IsFaulted);
        loser.Exception!.InnerException.Should().BeOfType<RefConflictException>().Which.Message.Should().Be(RejectedMessage);
        var winner = Array.FindIndex(pushes, p => p.IsCompletedSuccessfully);
        (await ServerRefsAsync(name))["refs/heads/main"].Should().Be(commits[winner].ToString());
    }

    [Test]
    public async Task PushesToDifferentBranches_BothSucceed()
    {
        var (name, url) = await NewRepositoryAsync();
        using var alice = new ClientMachine(_alice.WriteToken);
        using var bob = new ClientMachine(_bob.WriteToken);
        await InitWithCommitAsync(alice, "work", url, new() { ["base.bin"] = TestData.Random(200_000, 40) });
        await alice.LmvpOkAsync("work", "push");
        await bob.LmvpOkAsync("", "clone", url, "work");
        await bob.LmvpOkAsync("work", "branch", "experiment");
        await bob.LmvpOkAsync("work", "checkout", "experiment");
        alice.Write("work/a.bin", TestData.Random(TestData.MiB, 41));
        bob.Write("work/b.bin", TestData.Random(TestData.MiB, 42));
        var mainCommit = await CommitAsync(alice, "work", "on main");
        var experimentCommit = await CommitAsync(bob, "work", "on experiment");

        var runs = await Task.WhenAll(alice.LmvpAsync("work", "push"), bob.LmvpAsync("work", "push", "origin", "experiment"));
        runs.Should().OnlyContain(r => r.ExitCode == 0);
        var refs = await ServerRefsAsync(name);
        refs["refs/heads/main"].Should().Be(mainCommit.ToString());
        refs["refs/heads/experiment"].Should().Be(experimentCommit.ToString());

        var fetch = await alice.LmvpOkAsync("work", "fetch");
        fetch.Out.Should().Contain("* [new branch]").And.Contain("experiment -> origin/experiment");
        using var repository = Repository.Open(alice.PathOf("work"));
        repository.GetRef("refs/remotes/origin/experiment").Should().Be(experimentCommit);
    }

    [Test]
    public async Task StatusAndLog_ShowAheadAndBehindTheRemoteBranch()
    {
        var (_, url) = await NewRepositoryAsync();
        using var alice = new ClientMachine(_alice.WriteToken);
        using var bob = new ClientMachine(_bob.WriteToken);
        await InitWithCommitAsync(alice, "work", url, new() { ["a.txt"] = "1"u8.ToArray() });
        await alice.LmvpOkAsync("work", "push");
        await bob.LmvpOkAsync("", "clone", url, "work");

        bob.Write("work/b.txt", "bob"u8.ToArray());
        await CommitAsync(bob, "work", "bob 1");
        (await bob.LmvpOkAsync("work", "status")).Out.Should().StartWith("## main...origin/main [ahead 1]\n");
        (await bob.LmvpOkAsync("work", "log")).Out.Should().StartWith("Your branch is ahead of 'origin/main' by 1 commit.\n");

        alice.Write("work/a.txt", "2"u8.ToArray());
        await CommitAsync(alice, "work", "alice 2");
        alice.Write("work/a.txt", "3"u8.ToArray());
        await CommitAsync(alice, "work", "alice 3");
        await alice.LmvpOkAsync("work", "push");
        await bob.LmvpOkAsync("work", "fetch");

        (await bob.LmvpOkAsync("work", "status")).Out.Should().StartWith("## main...origin/main [ahead 1, behind 2]\n");
        (await bob.LmvpOkAsync("work", "log")).Out.Should()
            .StartWith("Your branch and 'origin/main' have diverged, and have 1 and 2 different commits each, respectively.\n");
        (await bob.LmvpOkAsync("work", "log", "--oneline")).Out.Should().NotContain("Your branch");
    }

    [Test]
    public async Task Push_WithReadToken_IsRefusedWithPermissionDenied()
    {
        var (name, url) = await NewRepositoryAsync();
        using var alice = new ClientMachine(_alice.WriteToken);
        await InitWithCommitAsync(alice, "work", url, new() { ["a.bin"] = TestData.Random(10_000, 50) });
        await alice.LmvpOkAsync("work", "push");

        using var carol = new ClientMachine(_carol.ReadToken);
        await carol.LmvpOkAsync("", "clone", url, "work");
        carol.Write("work/b.bin", TestData.Random(10_000, 51));
        await CommitAsync(carol, "work", "carol's change");
        var push = await carol.LmvpAsync("work", "push");
        push.ExitCode.Should().Be(1);
        push.Error.Should().StartWith("error: permission denied").And.Contain(_server.BaseUrl).And.NotContain("\n   at ");
        push.Error.TrimEnd('\n').Should().NotContain("\n", "the error is one line");

        // Bob's write token is fine, but pushing with his read token is not: the lower of role and scope counts.
        using var bobReading = new ClientMachine(_bob.ReadToken);
        await bobReading.LmvpOkAsync("", "clone", url, "work");
        bobReading.Write("work/c.bin", TestData.Random(10_000, 52));
        await CommitAsync(bobReading, "work", "bob with a read token");
        (await bobReading.LmvpAsync("work", "push")).Error.Should().StartWith("error: permission denied");
        (await ServerRefsAsync(name)).Should().HaveCount(1);
    }

    [Test]
    public async Task WithoutToken_CloneAndPushSayRunLmvpLogin_AndLeaveNoDirectory()
    {
        var (_, url) = await NewRepositoryAsync();
        using var nobody = new ClientMachine();
        var clone = await nobody.LmvpAsync("", "clone", url, "copy");
        clone.ExitCode.Should().Be(1);
        clone.Error.Should().Contain($"error: authentication failed for {_server.BaseUrl}: no token; run 'lmvp login {_server.BaseUrl}' (or set LMVP_TOKEN)");
        Directory.Exists(nobody.PathOf("copy")).Should().BeFalse("a clone that got nothing leaves no directory behind");

        nobody.Write("work/a.txt", "a"u8.ToArray());
        await InitWithCommitAsync(nobody, "work", url, new());
        var push = await nobody.LmvpAsync("work", "push");
        push.ExitCode.Should().Be(1);
        push.Error.Should().Be($"error: authentication failed for {_server.BaseUrl}: no token; run 'lmvp login {_server.BaseUrl}' (or set LMVP_TOKEN)\n");
    }

    [Test]
    public async Task Login_FromStdinSavesTokenWithMode0600_PushUsesIt_AndLmvpTokenOverridesIt()
    {
        var (name, url) = await NewRepositoryAsync();
        using var alice = new ClientMachine();
        var login = await alice.RunProcessAsync("", _alice.WriteToken + "\n", "login", _server.BaseUrl + "/", "--token-stdin");
        login.ExitCode.Should().Be(0, login.ToString());
        login.Out.Should().Contain($"Logged in to {_server.BaseUrl} as alice");
        (login.Out + login.Error).Should().NotContain(_alice.WriteToken, "a token is never printed");
        var file = Path.Combine(alice.ConfigDirectory, "credentials.json");
        if (!OperatingSystem.IsWindows())
        {
            File.GetUnixFileMode(file).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        await InitWithCommitAsync(alice, "work", url, new() { ["a.bin"] = TestData.Random(50_000, 60) });
        await alice.LmvpOkAsync("work", "push");
        (await ServerRefsAsync(name)).Should().ContainKey("refs/heads/main");

        // LMVP_TOKEN wins over the saved token: carol's read token cannot push.
        alice.Write("work/b.bin", TestData.Random(50_000, 61));
        await CommitAsync(alice, "work", "second");
        alice.Environment[CredentialStore.TokenVariable] = _carol.ReadToken;
        (await alice.LmvpAsync("work", "push")).Error.Should().StartWith("error: permission denied");

        alice.Environment[CredentialStore.TokenVariable] = "lmvp_pat_not-a-real-token";
        var bad = await alice.LmvpAsync("", "login", _server.BaseUrl);
        bad.ExitCode.Should().Be(1);
        bad.Error.Should().Contain("rejected the token");
        new CredentialStore(alice.ConfigDirectory).GetToken(url).Should().Be(_alice.WriteToken, "a rejected token is not saved");
    }

    [Test]
    public async Task PrivateRepository_IsNotFoundForNonMembers()
    {
        var (name, url) = await NewRepositoryAsync();
        using var dave = new ClientMachine(_dave.WriteToken);
        var clone = await dave.LmvpAsync("", "clone", url);
        clone.ExitCode.Should().Be(1);
        clone.Error.Should().Contain($"error: repository alice/{name} not found on {_server.BaseUrl}");
        Directory.Exists(dave.PathOf(name)).Should().BeFalse();
    }

    [Test]
    public async Task UnreachableServer_RetriesWithBackoffThenFailsWithOneLine()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        using var alice = new ClientMachine(_alice.WriteToken);
        await InitWithCommitAsync(alice, "work", $"http://127.0.0.1:{port}/alice/gone", new() { ["a.txt"] = "a"u8.ToArray() });
        var clock = Stopwatch.StartNew();
        var push = await alice.LmvpAsync("work", "push");
        clock.Stop();
        push.ExitCode.Should().Be(1);
        push.Error.Should().StartWith($"error: cannot reach http://127.0.0.1:{port}: ").And.EndWith("(gave up after 4 tries)\n");
        clock.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(3), "three waits of 0.5, 1 and 2 s come between the four tries");
    }

    [Test]
    public async Task Push_ConnectionDroppedMidUpload_IsRetriedAndCompletes()
    {
        var (name, url) = await NewRepositoryAsync();
        await using var relay = new TcpRelay(_server.Port);
        using var alice = new ClientMachine(_alice.WriteToken);
        await InitWithCommitAsync(alice, "work", ViaRelay(url, relay), new() { ["model.bin"] = TestData.Random(16 * TestData.MiB, 70) });
        relay.CutNextConnectionAfter(3 * TestData.MiB);

        using var repository = Repository.Open(alice.PathOf("work"));
        var result = await repository.PushAsync(options: alice.Options(requestBytes: 4 * TestData.MiB));
        result.Transfer.Retries.Should().BeGreaterThanOrEqualTo(1);
        (await ServerRefsAsync(name))["refs/heads/main"].Should().Be(repository.Head!.Value.ToString());
    }

    [Test]
    public async Task RemoteCommands_AddListSetUrlRemove()
    {
        using var machine = new ClientMachine();
        machine.Write("work/a.txt", "a"u8.ToArray());
        await machine.LmvpOkAsync("work", "init");
        await machine.LmvpOkAsync("work", "remote", "add", "origin", "http://127.0.0.1:8080/acme/model");
        await machine.LmvpOkAsync("work", "remote", "add", "backup", "http://Example.com:9000/prefix/acme/model/");
        (await machine.LmvpOkAsync("work", "remote", "list")).Out.Should()
            .Be("backup\thttp://example.com:9000/prefix/acme/model\norigin\thttp://127.0.0.1:8080/acme/model\n");
        (await machine.LmvpAsync("work", "remote", "add", "origin", "http://127.0.0.1:8080/a/b")).ExitCode.Should().Be(1);
        var bad = await machine.LmvpAsync("work", "remote", "add", "x", "ftp://host/a/b");
        bad.ExitCode.Should().Be(2);
        bad.Error.Should().Contain("not a repository URL");
        (await machine.LmvpAsync("work", "remote", "add", "x", "http://host/only-one")).ExitCode.Should().Be(2);
        await machine.LmvpOkAsync("work", "remote", "set-url", "origin", "http://127.0.0.1:9090/acme/model");
        await machine.LmvpOkAsync("work", "remote", "remove", "backup");
        (await machine.LmvpOkAsync("work", "remote")).Out.Should().Be("origin\n");
        (await machine.LmvpOkAsync("work", "remote", "-v")).Out.Should()
            .Be("origin\thttp://127.0.0.1:9090/acme/model (fetch)\norigin\thttp://127.0.0.1:9090/acme/model (push)\n");
        (await machine.LmvpAsync("work", "remote", "remove", "backup")).ExitCode.Should().Be(1);
        (await machine.LmvpAsync("work", "push", "nowhere")).Error.Should().Contain("No remote 'nowhere'");
    }

    [Test]
    public async Task Clone_IntoNonEmptyDirectory_IsRefusedAndTouchesNothing()
    {
        var (_, url) = await NewRepositoryAsync();
        using var bob = new ClientMachine(_bob.WriteToken);
        bob.Write("busy/keep.txt", "mine"u8.ToArray());
        var clone = await bob.LmvpAsync("", "clone", url, "busy");
        clone.ExitCode.Should().Be(1);
        clone.Error.Should().Contain("already exists and is not an empty directory");
        Directory.EnumerateFileSystemEntries(bob.PathOf("busy")).Select(Path.GetFileName).Should().Equal("keep.txt");
    }

    [Test]
    public async Task Clone_OfEmptyRepository_ThenFirstPushAndPull()
    {
        var (_, url) = await NewRepositoryAsync();
        using var bob = new ClientMachine(_bob.WriteToken);
        var clone = await bob.LmvpOkAsync("", "clone", url, "copy");
        clone.Error.Should().Contain("empty repository");

        using var alice = new ClientMachine(_alice.WriteToken);
        await InitWithCommitAsync(alice, "work", url, new() { ["a.bin"] = TestData.Random(100_000, 80) });
        await alice.LmvpOkAsync("work", "tag", "v1");
        (await alice.LmvpOkAsync("work", "push", "--tags")).Out.Should().Contain("[new tag]").And.Contain("v1 -> v1");
        var pull = await bob.LmvpOkAsync("copy", "pull");
        pull.Out.Should().Contain("Fast-forward").And.Contain("[new tag]");
        bob.Fingerprint("copy").Should().Equal(alice.Fingerprint("work"));
        using var repository = Repository.Open(bob.PathOf("copy"));
        repository.ListTags().Should().ContainSingle(t => t.Key == "v1" && t.Value == repository.Head);

        // A tag is never moved by a push without --force.
        await alice.LmvpOkAsync("work", "commit", "--allow-empty", "-m", "later", "--author", "Test <t@example.com>");
        await alice.LmvpOkAsync("work", "tag", "--force", "v1");
        var moved = await alice.LmvpAsync("work", "push", "--tags");
        moved.ExitCode.Should().Be(1);
        moved.Out.Should().Contain("! [rejected]").And.Contain("(already exists)");
        (await alice.LmvpOkAsync("work", "push", "--tags", "--force")).Out.Should().Contain("v1 -> v1").And.NotContain("rejected");
    }
}
