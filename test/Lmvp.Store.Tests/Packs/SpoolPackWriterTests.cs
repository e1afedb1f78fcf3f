using Lmvp.Store.Packs;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.Packs;

/// <summary><see cref="PackWriter.ForSpool"/>: the writer lmvp-server spools each upload with, many at once, around the page cache
/// in pooled pinned blocks shared by every writer of the process.</summary>
public class SpoolPackWriterTests
{
    /// <summary>Writers running at the same time, twice over (the second round lends the blocks the first gave back), each file
    /// holding exactly the bytes a pack writer puts into a plain stream, on a disk and on tmpfs alike.</summary>
    [Test]
    public void ForSpool_ManyWritersAtOnce_EachFileHoldsExactlyWhatAPlainStreamGets([Values(false, true)] bool memoryBacked)
    {
        if (memoryBacked && TempDirectory.MemoryBacked is null)
        {
            Assert.Ignore("no tmpfs on this machine");
        }

        using var dir = new TempDirectory("packs-spool", memoryBacked ? TempDirectory.MemoryBacked : null);
        for (var round = 0; round < 2; round++)
        {
            var writers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
            {
                // 60 chunks of 64 KiB + 1 (about 4 MiB, so every writer fills and reuses its 1 MiB blocks and ends in a partial
                // one), different in every writer and round.
                var chunks = Enumerable.Range(0, 60).Select(i => TestData.Random((64 * 1024) + 1, seed: (round * 1000) + (w * 100) + i)).ToList();
                using var plain = new MemoryStream();
                using (var reference = new PackWriter(plain, leaveOpen: true))
                {
                    chunks.ForEach(c => reference.Append(ObjectKind.Chunk, ObjectId.Compute(c), c, tryCompress: false));
                    reference.Finish();
                }

                var path = Path.Combine(dir.Path, $"spool-{round}-{w}");
                using (var spool = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 0))
                using (var writer = PackWriter.ForSpool(spool, leaveOpen: true))
                {
                    chunks.ForEach(c => writer.Append(ObjectKind.Chunk, ObjectId.Compute(c), c, tryCompress: false));
                    writer.Finish();
                    spool.Length.Should().Be(plain.Length);
                }

                return (Path: path, Expected: plain.ToArray());
            })).ToArray();

            foreach (var (path, expected) in Task.WhenAll(writers).GetAwaiter().GetResult())
            {
                File.ReadAllBytes(path).Should().Equal(expected, $"{Path.GetFileName(path)} is what a plain stream gets");
            }
        }
    }
}
