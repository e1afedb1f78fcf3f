using System.Diagnostics;
using Lmvp.Store.Packs;
using Lmvp.Store.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.Reliability;

/// <summary>kill -9 of a real <c>lmvp commit</c> at random moments: the repository must always hold the old or the new commit.</summary>
public sealed class KillDuringCommitTests
{
    private const int Kills = 20;
    private const int FileCount = 3;
    private const int FileSize = 8 << 20;
    private const int PatchesPerFile = 2;
    private const int PatchSize = 256 << 10;

    [Test]
    public async Task Commit_KilledAtTwentyRandomMoments_FsckPassesHeadIsOldOrNewAndTheCommitCanBeRun()
    {
        using var dir = new TempDirectory("kill");
        Repository.Init(dir.Path).Dispose();
        var packs = Path.Combine(dir.Path, Repository.DirectoryName, "packs");

        // Two uninterrupted commits: the first stores everything, the second times a commit like the ones that get killed.
        WriteGeneration(dir, 0);
        (await LmvpProcess.RunAsync(dir.Path, CommitArgs(0))).ExitCode.Should().Be(0);
        WriteGeneration(dir, 1);
        var clock = Stopwatch.StartNew();
        var calibration = await LmvpProcess.RunAsync(dir.Path, CommitArgs(1));
        var full = clock.Elapsed;
        calibration.ExitCode.Should().Be(0, calibration.ToString());

        var seed = Environment.TickCount;
        var random = new Random(seed);
        TestContext.Out.WriteLine($"seed {seed}; an uninterrupted commit takes {full.TotalMilliseconds:F0} ms");
        int headUnchanged = 0, tempPackLeft = 0;
        for (var generation = 2; generation < 2 + Kills; generation++)
        {
            WriteGeneration(dir, generation);
            var old = Head(dir.Path);
            var tempsBefore = TempPacks(packs);
            // By progress, not by time: the kill lands once the commit has read a random part of the 24 MiB it reads.
            var threshold = (long)(FileCount * (long)FileSize * (0.1 + (0.8 * random.NextDouble())));
            bool finishedFirst;
            using (var process = LmvpProcess.Start(dir.Path, CommitArgs(generation)))
            {
                await UntilReadAsync(process, threshold);
                finishedFirst = process.HasExited;
                if (!finishedFirst)
                {
                    process.Kill(entireProcessTree: true);
                }

                await LmvpProcess.WaitAsync(process);
            }

            var what = $"kill {generation - 1} after {threshold} bytes read (seed {seed})";
            if (TempPacks(packs) > tempsBefore)
            {
                tempPackLeft++;
            }

            var fsck = await LmvpProcess.RunAsync(dir.Path, "fsck");
            fsck.ExitCode.Should().Be(0, $"{what}: {fsck}");
            fsck.OutLines[^1].Should().EndWith(": ok");

            var head = Head(dir.Path);
            if (head == old)
            {
                headUnchanged++;
                finishedFirst.Should().BeFalse($"{what}: a commit that exited by itself must have moved HEAD");
                var again = await LmvpProcess.RunAsync(dir.Path, CommitArgs(generation));
                again.ExitCode.Should().Be(0, $"{what}: running the commit again must succeed: {again}");
                head = Head(dir.Path);
            }

            AssertHeadIsGeneration(dir, head, old, generation, what);
        }

        TestContext.Out.WriteLine($"{headUnchanged} of {Kills} kills left HEAD unchanged; {tempPackLeft} left a temporary pack behind");
        headUnchanged.Should().BeGreaterThanOrEqualTo(Kills / 4, "most kills must land before the commit finishes");
        tempPackLeft.Should().BeGreaterThanOrEqualTo(3, "some kills must land while pack bytes are being written");

        var gc = await LmvpProcess.RunAsync(dir.Path, "gc");
        gc.ExitCode.Should().Be(0, gc.ToString());
        TempPacks(packs).Should().Be(0, "gc removes the temporary packs of killed commits");
        (await LmvpProcess.RunAsync(dir.Path, "fsck")).ExitCode.Should().Be(0);
    }

    /// <summary>Returns once the process has read <paramref name="bytes"/> (its /proc rchar) or has exited.</summary>
    private static async Task UntilReadAsync(Process process, long bytes)
    {
        var io = $"/proc/{process.Id}/io";
        while (!process.HasExited)
        {
            try
            {
                var rchar = File.ReadLines(io).First(l => l.StartsWith("rchar:", StringComparison.Ordinal));
                if (long.Parse(rchar.AsSpan(6).Trim(), System.Globalization.CultureInfo.InvariantCulture) >= bytes)
                {
                    return;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
            {
                return; // gone between the check and the read
            }

            await Task.Delay(1);
        }
    }

    private static string[] CommitArgs(int generation) => ["commit", "-m", $"generation {generation}", "--author", "Kill Test <kill@example.com>"];

    /// <summary>Generation 0 writes every file; later ones overwrite a few regions of each file in place, as a fine-tune does.</summary>
    /// <remarks>Every commit then reads all 24 MiB again while writing only the changed chunks, so the repository (and each
    /// fsck) stays small, and a temporary pack is open for most of the commit.</remarks>
    private static void WriteGeneration(TempDirectory dir, int generation)
    {
        for (var f = 0; f < FileCount; f++)
        {
            if (generation == 0)
            {
                dir.WriteFile($"weights/layer{f}.bin", TestData.Random(FileSize, f));
                continue;
            }

            var random = new Random((generation * 31) + f);
            using var stream = new FileStream(dir.Combine("weights", $"layer{f}.bin"), FileMode.Open, FileAccess.Write);
            for (var patch = 0; patch < PatchesPerFile; patch++)
            {
                stream.Position = random.NextInt64(FileSize - PatchSize);
                stream.Write(TestData.Random(PatchSize, random.Next()));
            }
        }
    }

    private static int TempPacks(string packs) => Directory.GetFiles(packs, PackFormat.TempPrefix + "*").Length;

    private static ObjectId? Head(string path)
    {
        using var repository = Repository.Open(path);
        return repository.Head;
    }

    private static void AssertHeadIsGeneration(TempDirectory dir, ObjectId? head, ObjectId? parent, int generation, string what)
    {
        using var repository = Repository.Open(dir.Path);
        var commit = repository.GetCommit(head!.Value);
        commit.Message.Should().Be($"generation {generation}", what);
        commit.Parents.Should().Equal([parent!.Value], what);
        foreach (var (path, entry) in repository.ListFiles(commit.Id))
        {
            entry.Id.Should().Be(Hashes.OfFile(dir.Combine(path.Split('/'))), $"{what}: {path} in HEAD must be the working file");
        }
    }
}
