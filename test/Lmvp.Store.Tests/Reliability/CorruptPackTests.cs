using System.Text.Json;
using Lmvp.Testing;
using static Lmvp.Store.Tests.Maintenance.MaintenanceFixture;

namespace Lmvp.Store.Tests.Reliability;

/// <summary>One flipped byte in a pack, seen through the real <c>lmvp</c> program.</summary>
public sealed class CorruptPackTests
{
    [Test]
    public async Task FlippedByteInAChunk_FsckNamesChunkFileAndCommits_AndCheckoutOfThatFileFailsCleanly()
    {
        using var dir = new TempDirectory("flip");
        var content = new Dictionary<string, byte[]>
        {
            ["a.bin"] = TestData.Random(900_000, 1),
            ["b.bin"] = TestData.Random(900_000, 2),
            ["c.bin"] = TestData.Random(900_000, 3),
            ["sub/d.txt"] = System.Text.Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 30_000).Select(i => $"row {i}"))),
        };
        (await LmvpProcess.RunAsync(dir.Path, "init")).ExitCode.Should().Be(0);
        foreach (var (path, bytes) in content)
        {
            dir.WriteFile(path, bytes);
        }

        (await LmvpProcess.RunAsync(dir.Path, "commit", "-m", "one")).ExitCode.Should().Be(0);
        content["a.bin"] = TestData.Random(900_000, 4);
        dir.WriteFile("a.bin", content["a.bin"]);
        (await LmvpProcess.RunAsync(dir.Path, "commit", "-m", "two")).ExitCode.Should().Be(0);

        ObjectId first, second, chunk;
        using (var repository = Repository.Open(dir.Path))
        {
            second = repository.Head!.Value;
            first = repository.GetCommit(second).Parents[0];
            chunk = ChunksOf(repository, second, "c.bin")[2];
            var (pack, dataOffset, stored) = LocateChunk(repository, chunk);
            FlipByte(pack, dataOffset + (stored / 2));
        }

        var fsck = await LmvpProcess.RunAsync(dir.Path, "fsck");

        fsck.ExitCode.Should().Be(1, fsck.ToString());
        fsck.OutLines.Should().Contain(l => l.StartsWith($"broken chunk {chunk.ToShortString()}: pack-", StringComparison.Ordinal) && l.EndsWith("its bytes do not hash to its id", StringComparison.Ordinal));
        fsck.OutLines.Should().Contain(l => l.Trim() == $"used by c.bin in commits {second.ToShortString()} (HEAD -> main), {first.ToShortString()}"
            || l.Trim() == $"used by c.bin in commits {first.ToShortString()}, {second.ToShortString()} (HEAD -> main)");
        fsck.OutLines[^1].Should().EndWith(": 1 problem");
        fsck.ErrorLines.Should().Equal("error: fsck found 1 problem");

        var json = await LmvpProcess.RunAsync(dir.Path, "fsck", "--json");
        json.ExitCode.Should().Be(1);
        using (var doc = JsonDocument.Parse(json.Out))
        {
            var report = doc.RootElement.GetProperty("fsck");
            report.GetProperty("ok").GetBoolean().Should().BeFalse();
            var problem = report.GetProperty("problems").EnumerateArray().Should().ContainSingle().Subject;
            problem.GetProperty("kind").GetString().Should().Be("chunk");
            problem.GetProperty("subject").GetString().Should().Be(chunk.ToString());
            problem.GetProperty("usedBy").EnumerateArray().Select(u => (u.GetProperty("path").GetString(), u.GetProperty("commit").GetString()))
                .Should().BeEquivalentTo([("c.bin", second.ToString()), ("c.bin", first.ToString())]);
        }

        File.Delete(dir.Combine("c.bin"));
        var restore = await LmvpProcess.RunAsync(dir.Path, "restore", "c.bin");
        restore.ExitCode.Should().Be(1, restore.ToString());
        restore.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: Cannot check out c.bin: ").And.Contain(chunk.ToShortString());
        AssertNoCorruptOrTemporaryFile(dir);

        var checkout = await LmvpProcess.RunAsync(dir.Path, "checkout", "--force", "main");
        checkout.ExitCode.Should().Be(1, checkout.ToString());
        checkout.ErrorLines.Should().ContainSingle().Which.Should().StartWith("error: Cannot check out c.bin: ");
        AssertNoCorruptOrTemporaryFile(dir);

        foreach (var path in new[] { "a.bin", "b.bin", "sub/d.txt" })
        {
            File.Delete(dir.Combine(path.Split('/')));
        }

        var unaffected = await LmvpProcess.RunAsync(dir.Path, "restore", "a.bin", "b.bin", "sub");
        unaffected.ExitCode.Should().Be(0, unaffected.ToString());
        foreach (var path in new[] { "a.bin", "b.bin", "sub/d.txt" })
        {
            File.ReadAllBytes(dir.Combine(path.Split('/'))).Should().Equal(content[path], $"{path} does not use the broken chunk");
        }
    }

    private static void AssertNoCorruptOrTemporaryFile(TempDirectory dir)
    {
        File.Exists(dir.Combine("c.bin")).Should().BeFalse("a file that fails verification is never put in place");
        Directory.EnumerateFiles(dir.Path, "*", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}{Repository.DirectoryName}{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(p => Path.GetRelativePath(dir.Path, p))
            .Should().OnlyContain(p => p == "a.bin" || p == "b.bin" || p == Path.Combine("sub", "d.txt"), "no temporary file is left behind");
    }
}
