using System.Text.Json;
using Lmvp.Testing;
using static Lmvp.Store.Tests.Maintenance.MaintenanceFixture;

namespace Lmvp.Store.Tests.Reliability;

/// <summary><c>lmvp gc</c> through the real program: it frees what a deleted branch alone held, and nothing reachable.</summary>
public sealed class GcCliTests
{
    [Test]
    public async Task DeletedBranch_DryRunReportsTheBytes_GcFreesThem_FsckPasses_AndReachableFilesCheckOut()
    {
        using var dir = new TempDirectory("gc-cli");
        var shared = TestData.Random(1_000_000, 1);
        (await LmvpProcess.RunAsync(dir.Path, "init")).ExitCode.Should().Be(0);
        dir.WriteFile("model.bin", shared);
        dir.WriteFile("notes.txt", System.Text.Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 20_000).Select(i => $"note {i}"))));
        (await LmvpProcess.RunAsync(dir.Path, "commit", "-m", "base")).ExitCode.Should().Be(0);
        (await LmvpProcess.RunAsync(dir.Path, "checkout", "-b", "scratch")).ExitCode.Should().Be(0);
        dir.WriteFile("scratch.bin", TestData.Random(2_000_000, 2));
        dir.WriteFile("model.bin", shared.Concat(TestData.Random(100_000, 3)).ToArray());
        (await LmvpProcess.RunAsync(dir.Path, "commit", "-m", "scratch work")).ExitCode.Should().Be(0);
        (await LmvpProcess.RunAsync(dir.Path, "checkout", "main")).ExitCode.Should().Be(0);
        var deleted = await LmvpProcess.RunAsync(dir.Path, "branch", "-D", "scratch");
        deleted.ExitCode.Should().Be(0, deleted.ToString());
        deleted.Error.Should().Contain("hint: to get it back: lmvp branch scratch ");
        using (var kept = JsonDocument.Parse((await LmvpProcess.RunAsync(dir.Path, "gc", "--dry-run", "--json")).Out))
        {
            kept.RootElement.GetProperty("bytesFreed").GetInt64().Should().BeLessThan(100_000, "without --prune=now the reflog keeps the deleted branch for 14 days");
        }

        var packs = dir.Combine(Repository.DirectoryName, "packs");
        var packsBefore = Directory.GetFiles(packs).ToDictionary(p => p, p => File.ReadAllBytes(p).Length);

        var dry = await LmvpProcess.RunAsync(dir.Path, "gc", "--prune=now", "--dry-run", "--json");

        dry.ExitCode.Should().Be(0, dry.ToString());
        long wouldFree;
        using (var doc = JsonDocument.Parse(dry.Out))
        {
            doc.RootElement.GetProperty("dryRun").GetBoolean().Should().BeTrue();
            wouldFree = doc.RootElement.GetProperty("bytesFreed").GetInt64();
        }

        wouldFree.Should().BeGreaterThan(2_000_000, "scratch.bin is random and only the deleted branch had it");
        Directory.GetFiles(packs).ToDictionary(p => p, p => File.ReadAllBytes(p).Length).Should().Equal(packsBefore, "a dry run changes nothing");
        var dryText = await LmvpProcess.RunAsync(dir.Path, "gc", "--prune=now", "--dry-run");
        dryText.OutLines.Should().ContainSingle().Which.Should().StartWith("would free ").And.Contain($"({wouldFree} bytes)");

        var gc = await LmvpProcess.RunAsync(dir.Path, "gc", "--prune=now");

        gc.ExitCode.Should().Be(0, gc.ToString());
        gc.OutLines.Should().ContainSingle().Which.Should().StartWith("freed ").And.Contain($"({wouldFree} bytes)");
        Directory.GetFiles(packs).Sum(p => new FileInfo(p).Length).Should().Be(packsBefore.Values.Sum(v => (long)v) - wouldFree);
        var fsck = await LmvpProcess.RunAsync(dir.Path, "fsck");
        fsck.ExitCode.Should().Be(0, fsck.ToString());

        File.Delete(dir.Combine("model.bin"));
        File.Delete(dir.Combine("notes.txt"));
        (await LmvpProcess.RunAsync(dir.Path, "checkout", "--force", "main")).ExitCode.Should().Be(0);
        File.ReadAllBytes(dir.Combine("model.bin")).Should().Equal(shared);
        using (var repository = Repository.Open(dir.Path))
        {
            AssertEveryFileReadsBack(repository, repository.Head!.Value);
        }

        var again = await LmvpProcess.RunAsync(dir.Path, "gc", "--json");
        using (var doc = JsonDocument.Parse(again.Out))
        {
            doc.RootElement.GetProperty("bytesFreed").GetInt64().Should().Be(0, "gc never removes reachable data");
        }
    }
}
