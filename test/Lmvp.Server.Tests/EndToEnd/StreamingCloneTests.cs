using System.Text.Json;
using Lmvp.Store;
using Lmvp.Store.WorkingTree;
using Lmvp.Testing;

namespace Lmvp.Server.Tests.EndToEnd;

/// <summary>Clone writes the checked-out files while their chunks arrive: each file appears under its name only once it is whole
/// and verified, a kill or a corrupt chunk leaves no half-written or wrong file under a name, and the stat cache ends as after a
/// checkout.</summary>
[TestFixture]
[NonParallelizable]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class StreamingCloneTests : ServerWithAliceFixture
{
    private const int Request = 2 * TestData.MiB;

    private static string ViaRelay(string url, TcpRelay relay) => new UriBuilder(url) { Port = relay.Port }.Uri.ToString().TrimEnd('/');

    private static JsonElement Json(ProcessResult run) => JsonDocument.Parse(run.Out).RootElement;

    /// <summary>A new repository of alice's holding <paramref name="files"/> in one commit per entry (each replaces the working
    /// tree's files), pushed; returns its URL and alice's machine (the last commit's files are in "work").</summary>
    private async Task<(string Url, ClientMachine Alice)> PushAsync(params Dictionary<string, byte[]>[] commits)
    {
        var url = $"{Server.BaseUrl}/{await Server.CreateRepositoryAsync(Alice.WriteToken, "stream-" + Guid.NewGuid().ToString("N")[..10])}";
        var alice = new ClientMachine(Alice.WriteToken);
        Directory.CreateDirectory(alice.PathOf("work"));
        await alice.LmvpOkAsync("work", "init");
        foreach (var files in commits)
        {
            foreach (var path in Directory.EnumerateFiles(alice.PathOf("work")).Where(p => !p.Contains("/.lmvp", StringComparison.Ordinal)))
            {
                File.Delete(path);
            }

            foreach (var (path, content) in files)
            {
                alice.Write($"work/{path}", content);
            }

            await alice.LmvpOkAsync("work", "commit", "-m", $"{files.Count} files", "--author", "Test <t@example.com>");
        }

        await alice.LmvpOkAsync("work", "remote", "add", "origin", url);
        await alice.LmvpOkAsync("work", "push");
        return (url, alice);
    }

    /// <summary>Names under <paramref name="root"/> (outside .lmvp) that are checkout temporaries.</summary>
    private static List<string> Temporaries(string root) =>
        [.. Directory.EnumerateFiles(root, CheckoutNames.TempPrefix + "*", SearchOption.AllDirectories).Where(p => !p.Contains("/.lmvp/", StringComparison.Ordinal))];

    /// <summary>The clone's status is clean, and every file of HEAD is in the stat cache with its current stat (status reads none).</summary>
    private static void AssertCheckedOutAsByCheckout(string directory)
    {
        using var repository = Repository.Open(directory);
        repository.GetStatus().IsClean.Should().BeTrue("a clone's status is clean right after it");
        var cache = repository.Database.LoadStatCache();
        foreach (var (path, entry) in repository.ListFiles(repository.Head!.Value).Where(f => f.Value.Kind == TreeEntryKind.File))
        {
            cache.Should().ContainKey(path, "every checked-out file is in the stat cache");
            var stat = FileStatReader.TryLstat(Path.Combine(directory, path))!.Value;
            cache[path].Should().Be(new Lmvp.Store.Index.StatCacheEntry(stat.Size, stat.MtimeNs, stat.CtimeNs, stat.Inode, entry.Id), path);
        }
    }

    [Test]
    public async Task Clone_PlacesEachFileOnceItsChunksArrive_AKillLeavesNoHalfWrittenFileUnderItsName_AndARerunFinishesByteIdentical()
    {
        const int first = 6 * TestData.MiB;
        const int second = 12 * TestData.MiB;
        var (url, alice) = await PushAsync(new Dictionary<string, byte[]>
        {
            ["a.bin"] = TestData.Random(first, 21),
            ["b.bin"] = TestData.Random(second, 22),
            ["c/notes.txt"] = "streamed last\n"u8.ToArray(),
        });
        using var _ = alice;
        await using var relay = new TcpRelay(Server.Port);
        var relayed = ViaRelay(url, relay);
        using var bob = new ClientMachine(Alice.ReadToken);

        // Held once all of a.bin and half of b.bin went down: the clone is still fetching, and cannot finish.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        relay.HoldWhen(upstream: false, first + (second / 2), () => held.TrySetResult());
        using var process = bob.StartLmvp("", "clone", "-c", $"sync.requestBytes={Request}", relayed, "copy");
        await held.Task.WaitAsync(LmvpProcess.Timeout);
        await Poll.UntilAsync(() => File.Exists(bob.PathOf("copy/a.bin")), "a.bin to be checked out while b.bin is still arriving");
        File.ReadAllBytes(bob.PathOf("copy/a.bin")).Should().Equal(TestData.Random(first, 21), "a file takes its name only whole and verified");
        File.Exists(bob.PathOf("copy/b.bin")).Should().BeFalse("b.bin is half-way: it has no name yet");
        Temporaries(bob.PathOf("copy")).Should().ContainSingle("b.bin is being written under a temporary name");

        process.Kill(entireProcessTree: true);
        var killed = await LmvpProcess.WaitAsync(process);
        relay.CutHeld();
        killed.ExitCode.Should().NotBe(0, "the clone was killed half-way: {0}", killed);
        bob.Fingerprint("copy").Keys.Where(k => !k.Contains(CheckoutNames.TempPrefix, StringComparison.Ordinal)).Should().Equal(["a.bin"],
            "only the file that was whole has a name");

        relay.ResetCounters();
        var resumed = Json(await bob.LmvpOkAsync("", "clone", relayed, "copy", "--json"));
        resumed.GetProperty("resumed").GetBoolean().Should().BeTrue();
        var received = resumed.GetProperty("fetch").GetProperty("transfer").GetProperty("chunkBytesReceived").GetInt64();
        TestContext.Out.WriteLine($"resumed clone received {received} chunk bytes; relay saw {relay.Downstream} bytes down");
        received.Should().BeLessThanOrEqualTo((second / 2) + (2 * Request), "what the killed clone kept is not fetched again");
        bob.Fingerprint("copy").Should().Equal(alice.Fingerprint("work"), "byte-identical, and no temporary file is left");
        AssertCheckedOutAsByCheckout(bob.PathOf("copy"));
    }

    [Test]
    public async Task Clone_ChunkCorruptedMidStream_FailsInOneLine_LeavesNoWrongFileUnderAName_AndKeepsNothingBad()
    {
        const int first = 4 * TestData.MiB;
        const int second = 8 * TestData.MiB;
        var (url, alice) = await PushAsync(new Dictionary<string, byte[]> { ["a.bin"] = TestData.Random(first, 31), ["b.bin"] = TestData.Random(second, 32) });
        using var _ = alice;
        await using var relay = new TcpRelay(Server.Port);
        using var bob = new ClientMachine(Alice.ReadToken);

        relay.CorruptDownstreamAt(first + (second / 2) + 12_345);
        var corrupted = await bob.LmvpAsync("", "clone", "-c", $"sync.requestBytes={Request}", ViaRelay(url, relay), "copy");
        corrupted.ExitCode.Should().Be(1, corrupted.ToString());
        corrupted.Error.Split('\n').Where(l => l.StartsWith("error:", StringComparison.Ordinal)).Should().ContainSingle()
            .Which.Should().MatchRegex(@"^error: Chunk [0-9a-f]{12} from http://127\.0\.0\.1:\d+ is corrupt: its bytes do not hash to its id\. It was not kept\.$");

        File.ReadAllBytes(bob.PathOf("copy/a.bin")).Should().Equal(TestData.Random(first, 31), "a.bin was whole and verified before the bad chunk came");
        File.Exists(bob.PathOf("copy/b.bin")).Should().BeFalse("b.bin never became whole");
        Temporaries(bob.PathOf("copy")).Should().BeEmpty("a failed clone removes its temporary files");
        var fsck = await bob.LmvpAsync("copy", "fsck");
        fsck.ExitCode.Should().Be(0, "every chunk kept verifies: {0}", fsck);

        var clean = await bob.LmvpAsync("", "clone", ViaRelay(url, relay), "copy");
        clean.ExitCode.Should().Be(0, clean.ToString());
        bob.Fingerprint("copy").Should().Equal(alice.Fingerprint("work"));
        AssertCheckedOutAsByCheckout(bob.PathOf("copy"));
    }

    [Test]
    public async Task Clone_IntoAnEmptyDirectory_CorruptChunkInTheFirstBatch_LeavesTheDirectoryEmpty_EvenOfFilesAlreadyPlaced()
    {
        var (url, alice) = await PushAsync(new Dictionary<string, byte[]> { ["a.txt"] = "placed first\n"u8.ToArray(), ["b.bin"] = TestData.Random(4 * TestData.MiB, 33) });
        using var _ = alice;
        await using var relay = new TcpRelay(Server.Port);
        using var bob = new ClientMachine(Alice.ReadToken);
        Directory.CreateDirectory(bob.PathOf("empty"));

        relay.CorruptDownstreamAt(3 * TestData.MiB);
        var corrupted = await bob.LmvpAsync("", "clone", ViaRelay(url, relay), "empty");

        corrupted.ExitCode.Should().Be(1, corrupted.ToString());
        corrupted.Error.Should().Contain("is corrupt: its bytes do not hash to its id");
        Directory.EnumerateFileSystemEntries(bob.PathOf("empty")).Should().BeEmpty("nothing arrived that a re-run could use, so nothing is left, as before any file was streamed");
    }

    [Test]
    public async Task Clone_SnapshotWithSharedChunks_WritesEveryCopyAtEveryOffset_WithModesLinksAndHoles_AndAllChunksCloneToo()
    {
        var a = TestData.Random(3 * TestData.MiB, 41);
        var b = TestData.Random(2 * TestData.MiB, 42);
        var zeros = new byte[3 * TestData.MiB];
        byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
        var older = new Dictionary<string, byte[]> { ["old.bin"] = TestData.Random(TestData.MiB, 40), ["x.bin"] = a };
        var newest = new Dictionary<string, byte[]>
        {
            ["x.bin"] = Concat(a, b),
            ["y.bin"] = Concat(b, a), // every chunk also in x.bin, in the other order: its prefix arrives last
            ["z.bin"] = Concat(a, a, b), // one chunk at several offsets of one file
            ["deep/copy/x.bin"] = Concat(a, b), // one file at two paths
            ["sparse.bin"] = Concat(zeros, b, zeros),
            ["empty.txt"] = [],
            ["run.sh"] = "#!/bin/sh\necho trained\n"u8.ToArray(),
        };
        var (url, alice) = await PushAsync(older, newest);
        using var _ = alice;
        File.SetUnixFileMode(alice.PathOf("work/run.sh"), (UnixFileMode)0b111_101_101);
        File.CreateSymbolicLink(alice.PathOf("work/latest"), "x.bin");
        await alice.LmvpOkAsync("work", "commit", "-m", "link and mode", "--author", "Test <t@example.com>");
        await alice.LmvpOkAsync("work", "push");
        using var bob = new ClientMachine(Alice.ReadToken);

        var partial = Json(await bob.LmvpOkAsync("", "clone", "-c", $"sync.requestBytes={Request}", url, "partial", "--json"));
        bob.Fingerprint("partial").Should().Equal(alice.Fingerprint("work"));
        partial.GetProperty("fetch").GetProperty("transfer").GetProperty("chunkBytesReceived").GetInt64()
            .Should().BeLessThan(a.Length + b.Length + (2 * TestData.MiB), "each shared chunk travels once (the snapshot is 29 MiB)");
        File.GetUnixFileMode(bob.PathOf("partial/run.sh")).HasFlag(UnixFileMode.UserExecute).Should().BeTrue();
        new FileInfo(bob.PathOf("partial/latest")).LinkTarget.Should().Be("x.bin");
        AssertCheckedOutAsByCheckout(bob.PathOf("partial"));

        await bob.LmvpOkAsync("", "clone", "--all-chunks", url, "full");
        bob.Fingerprint("full").Should().Equal(alice.Fingerprint("work"));
        AssertCheckedOutAsByCheckout(bob.PathOf("full"));
        Json(await bob.LmvpOkAsync("full", "fsck", "--json")).GetProperty("fsck").GetProperty("promisedChunks").GetInt64().Should().Be(0);
        await bob.LmvpOkAsync("full", "checkout", "HEAD~2");
        File.ReadAllBytes(bob.PathOf("full/old.bin")).Should().Equal(older["old.bin"]);
    }
}
