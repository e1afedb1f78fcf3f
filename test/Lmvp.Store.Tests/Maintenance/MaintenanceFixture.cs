using Lmvp.Store.Packs;
using Lmvp.Store.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.Maintenance;

/// <summary>Helpers shared by the fsck, gc and rebuild tests: where things sit on disk, and how to damage them.</summary>
internal static class MaintenanceFixture
{
    /// <summary>The pack file and byte offset of the stored bytes of a chunk, as the index records them.</summary>
    public static (string PackPath, long DataOffset, int StoredLength) LocateChunk(Repository repository, ObjectId chunkId)
    {
        repository.Database.TryGetChunk(chunkId, out var location).Should().BeTrue();
        var name = repository.Database.ListPacks().Single(p => p.Id == location.PackId).Name;
        return (Path.Combine(repository.RepositoryDirectory, "packs", name), location.Offset + PackFormat.EntryHeaderSize, location.StoredLength);
    }

    /// <summary>The chunks of a file at a path in a commit.</summary>
    public static IReadOnlyList<ObjectId> ChunksOf(Repository repository, ObjectId commit, string path)
    {
        var entry = repository.ListFiles(commit).Single(f => f.Key == path).Value;
        return repository.Store.GetManifest(entry.Id).Chunks.Select(c => c.Id).ToList();
    }

    public static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
        stream.Position = offset;
        var b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x5A));
    }

    public static string[] PackFiles(Repository repository) =>
        Directory.GetFiles(Path.Combine(repository.RepositoryDirectory, "packs"), "*.pack").Order(StringComparer.Ordinal).ToArray();

    /// <summary>Every file of every commit reachable from <paramref name="commit"/> reads back (verified) to its id.</summary>
    public static void AssertEveryFileReadsBack(Repository repository, ObjectId commit)
    {
        foreach (var c in repository.Log(commit.ToString()))
        {
            foreach (var (path, entry) in repository.ListFiles(c.Id))
            {
                if (entry.Kind != TreeEntryKind.File)
                {
                    continue;
                }

                using var stream = repository.OpenFile(entry.Id);
                Hashes.OfStream(stream).Should().Be(entry.Id, $"{path} in {c.Id.ToShortString()} must read back intact");
            }
        }
    }

    /// <summary>A small repository with varied content: random (raw) and text (compressed) files, an empty one, nested paths.</summary>
    public static ScratchRepository SmallRepository(out ObjectId first, out ObjectId second)
    {
        var repo = new ScratchRepository("maint");
        repo.Write("weights/a.bin", TestData.Random(700_000, 1));
        repo.Write("weights/b.bin", TestData.Random(300_000, 2));
        repo.Write("notes.txt", System.Text.Encoding.UTF8.GetBytes(string.Join('\n', Enumerable.Range(0, 40_000).Select(i => $"line {i}"))));
        repo.Write("empty", []);
        first = repo.Commit("first").Commit.Id;
        repo.Write("weights/a.bin", TestData.Random(700_000, 3));
        second = repo.Commit("second").Commit.Id;
        return repo;
    }
}
