using System.Text;
using Lmvp.Store.Index;
using Lmvp.Store.Packs;
using Lmvp.Store.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.Packs;

public class PackWriterReaderTests
{
    private TempDirectory _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempDirectory("packs");

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private static byte[] Compressible(int length) =>
        Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, (length / 10) + 1).Select(i => $"line {i:D10} ok\n")))[..length];

    /// <summary>A pack of a compressible chunk, an incompressible chunk, a small one, an empty one and a tree object.</summary>
    private (string Path, List<(ObjectId Id, ObjectKind Kind, byte[] Data)> Written, List<PackEntry> Entries) WritePack()
    {
        var written = new List<(ObjectId, ObjectKind, byte[])>
        {
            (default, ObjectKind.Chunk, Compressible(64 * 1024)),
            (default, ObjectKind.Chunk, TestData.Random(64 * 1024, seed: 1)),
            (default, ObjectKind.Chunk, Compressible(300)),
            (default, ObjectKind.Chunk, []),
            (default, ObjectKind.Tree, Tree.Create([new TreeEntry("f", TreeEntryKind.File, false, 1, ObjectId.Compute("f"u8))]).Encoded),
            (default, ObjectKind.Chunk, TestData.Random(256 * 1024, seed: 2)),
        };
        written = written.Select(w => (ObjectId.Compute(w.Item3), w.Item2, w.Item3)).ToList();

        using var writer = new PackFile(_dir.Path);
        foreach (var (id, kind, data) in written)
        {
            writer.Writer.Append(kind, id, data, tryCompress: true);
        }

        var entries = writer.Writer.Entries.ToList();
        var name = writer.Publish();
        return (Path.Combine(_dir.Path, name), written, entries);
    }

    [Test]
    public void Finish_ThenReadTrailer_ListsEveryEntry_AndEachReadsBackVerified()
    {
        var (path, written, entries) = WritePack();

        using var reader = PackReader.Open(path);
        var trailer = reader.ReadTrailer();

        trailer.Should().Equal(entries);
        trailer.Select(e => e.Id).Should().Equal(written.Select(w => w.Id));
        trailer.Select(e => e.Kind).Should().Equal(written.Select(w => w.Kind));
        for (var i = 0; i < written.Count; i++)
        {
            var buffer = new byte[trailer[i].RawLength];
            reader.ReadEntry(trailer[i], buffer);
            buffer.Should().Equal(written[i].Data);
        }
    }

    [Test]
    public void Append_CompressesOnlyWhereItPays()
    {
        var (_, _, entries) = WritePack();

        entries[0].Encoding.Should().Be(ChunkEncoding.Zstd, "repetitive text compresses");
        entries[0].StoredLength.Should().BeLessThan(entries[0].RawLength / 2);
        entries[1].Encoding.Should().Be(ChunkEncoding.Raw, "random bytes do not compress");
        entries[1].StoredLength.Should().Be(entries[1].RawLength);
        entries[2].Encoding.Should().Be(ChunkEncoding.Raw, "tiny entries are never worth a zstd frame");
        entries[5].Encoding.Should().Be(ChunkEncoding.Raw);
    }

    [Test]
    public void Append_WithoutTryCompress_StoresRaw()
    {
        using var writer = new PackFile(_dir.Path);
        var data = Compressible(100_000);
        var entry = writer.Writer.Append(ObjectKind.Chunk, ObjectId.Compute(data), data, tryCompress: false);
        var compressed = entry.Encoding != ChunkEncoding.Raw;
        compressed.Should().BeFalse();
        entry.StoredLength.Should().Be(data.Length);
    }

    [Test]
    public void Finish_NamesThePackByItsTrailerHash_AndLeavesNoTemporaryFile()
    {
        var (path, _, entries) = WritePack();

        Directory.GetFiles(_dir.Path).Should().Equal(path);
        var bytes = File.ReadAllBytes(path);
        bytes.AsSpan(0, 8).SequenceEqual(PackFormat.HeaderMagic).Should().BeTrue();
        bytes.AsSpan(bytes.Length - 8).SequenceEqual(PackFormat.FooterMagic).Should().BeTrue();
        var trailer = bytes.AsSpan(bytes.Length - PackFormat.FooterSize - (entries.Count * PackFormat.TrailerEntrySize), entries.Count * PackFormat.TrailerEntrySize);
        Path.GetFileName(path).Should().Be("pack-" + Hashes.Of(trailer).ToString()[..32] + ".pack");
    }

    [Test]
    public void ScanEntries_WithoutTheTrailer_FindsTheSameEntries()
    {
        var (path, _, entries) = WritePack();
        using var reader = PackReader.Open(path);
        reader.ScanEntries().Should().Equal(entries);
    }

    [Test]
    public void ScanEntries_OnAPackCutMidEntry_ReturnsTheEntriesBeforeTheCut()
    {
        var (path, written, entries) = WritePack();
        var cut = entries[4].DataOffset + 10; // inside the fifth entry's body
        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(cut);
        }

        using var reader = PackReader.Open(path);
        var scanned = reader.ScanEntries().ToList();
        scanned.Should().Equal(entries.Take(4));
        var read = () => reader.ReadTrailer();
        read.Should().Throw<CorruptObjectException>().WithMessage($"*{Path.GetFileName(path)}*");
        foreach (var entry in scanned)
        {
            var buffer = new byte[entry.RawLength];
            reader.ReadEntry(entry, buffer);
            buffer.Should().Equal(written[entries.IndexOf(entry)].Data);
        }
    }

    [Test]
    public void ReadEntry_FlippedByteInAnyEntryBody_ThrowsCorruptObjectNamingTheEntry()
    {
        var (path, _, entries) = WritePack();
        foreach (var entry in entries.Where(e => e.StoredLength > 0))
        {
            var offset = entry.DataOffset + (entry.StoredLength / 2);
            FlipByte(path, offset);
            using (var reader = PackReader.Open(path))
            {
                var buffer = new byte[entry.RawLength];
                var read = () => reader.ReadEntry(entry, buffer);
                read.Should().Throw<CorruptObjectException>()
                    .WithMessage($"*{entry.Id.ToShortString()}*{Path.GetFileName(path)}*offset {entry.Offset}*");

                // The other entries are untouched and still verify.
                foreach (var other in entries.Where(o => o != entry))
                {
                    reader.ReadEntry(other, new byte[other.RawLength]);
                }
            }

            FlipByte(path, offset);
        }
    }

    [Test]
    public void ReadEntry_EveryByteOfACompressedEntryFlipped_OnlyEverThrowsCorruptObject()
    {
        var (path, _, entries) = WritePack();
        var entry = entries[0];
        entry.Encoding.Should().Be(ChunkEncoding.Zstd);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        using var reader = PackReader.Open(path);
        var original = new byte[entry.RawLength];
        reader.ReadEntry(entry, original);
        var buffer = new byte[entry.RawLength];
        var one = new byte[1];
        var random = new Random(5);
        var harmless = 0;
        for (var i = 0; i < entry.StoredLength; i++)
        {
            var at = entry.DataOffset + i;
            RandomAccess.Read(handle, one, at);
            var before = one[0];
            one[0] ^= (byte)(1 << random.Next(8));
            RandomAccess.Write(handle, one, at);
            try
            {
                // Some bits of a zstd frame do not change what it decodes to (a checksum flag, padding): the bytes that
                // come out must then still be exactly the original, which the hash check guarantees.
                reader.ReadEntry(entry, buffer);
                buffer.Should().Equal(original, $"flipping byte {i} went unnoticed, so it must not have changed the content");
                harmless++;
            }
            catch (CorruptObjectException e)
            {
                e.Message.Should().Contain(entry.Id.ToShortString());
            }
            catch (Exception e) when (e is not AssertionException)
            {
                Assert.Fail($"Flipping byte {i} threw {e.GetType().Name}: {e.Message}");
            }

            one[0] = before;
            RandomAccess.Write(handle, one, at);
        }

        harmless.Should().BeLessThan(entry.StoredLength / 10);
        reader.ReadEntry(entry, buffer);
    }

    [Test]
    public void AnyByteOfAPackFlipped_ReadingItOnlyEverThrowsCorruptObject_OrGivesVerifiedBytes()
    {
        var (path, written, _) = WritePack();
        var length = new FileInfo(path).Length;
        var random = new Random(6);
        var byId = written.ToDictionary(w => w.Id, w => w.Data);
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        using var reader = PackReader.Open(path);
        var one = new byte[1];
        for (var i = 0; i < 200; i++)
        {
            var flipped = new List<(long At, byte Original)>();
            var flips = 1 + random.Next(3);
            for (var f = 0; f < flips; f++)
            {
                // Half the time aim at the trailer and footer, where the structure lives.
                var at = random.Next(2) == 0 ? random.NextInt64(length) : length - 1 - random.Next((int)Math.Min(length, 400));
                RandomAccess.Read(handle, one, at);
                flipped.Add((at, one[0]));
                one[0] ^= (byte)(1 << random.Next(8));
                RandomAccess.Write(handle, one, at);
            }

            foreach (var listing in new Func<IEnumerable<PackEntry>>[] { reader.ReadTrailer, reader.ScanEntries })
            {
                try
                {
                    foreach (var entry in listing().ToList())
                    {
                        var buffer = new byte[entry.RawLength];
                        reader.ReadEntry(entry, buffer);
                        byId.Should().ContainKey(entry.Id);
                        buffer.Should().Equal(byId[entry.Id], "whatever reads back verified is the original content");
                    }
                }
                catch (CorruptObjectException e)
                {
                    e.Message.Should().NotBeNullOrWhiteSpace().And.NotContain("\n");
                }
                catch (Exception e) when (e is not AssertionException)
                {
                    Assert.Fail($"Damage #{i} made the reader throw {e.GetType().Name}: {e.Message}");
                }
            }

            flipped.Reverse(); // the same byte may have been flipped twice
            foreach (var (at, original) in flipped)
            {
                one[0] = original;
                RandomAccess.Write(handle, one, at);
            }
        }

        reader.ReadTrailer().Should().HaveCount(written.Count, "the pack is whole again");
    }

    [Test]
    public void ReadTrailer_DamagedTrailer_IsDetected_AndEntriesCanStillBeScanned()
    {
        var (path, written, entries) = WritePack();
        var length = new FileInfo(path).Length;
        FlipByte(path, length - PackFormat.FooterSize - 10);

        using var reader = PackReader.Open(path);
        var read = () => reader.ReadTrailer();
        read.Should().Throw<CorruptObjectException>().WithMessage($"Pack {Path.GetFileName(path)} has a damaged trailer.");

        var scanned = reader.ScanEntries().ToList();
        scanned.Should().Equal(entries);
        for (var i = 0; i < scanned.Count; i++)
        {
            var buffer = new byte[scanned[i].RawLength];
            reader.ReadEntry(scanned[i], buffer);
            buffer.Should().Equal(written[i].Data);
        }
    }

    [TestCase(-1, "no valid footer")] // the last byte of the footer magic
    [TestCase(-PackFormat.FooterSize, "inconsistent footer")] // the trailer offset
    [TestCase(-PackFormat.FooterSize + 8, "inconsistent footer")] // the entry count
    [TestCase(-PackFormat.FooterSize + 20, "damaged trailer")] // the trailer hash
    public void ReadTrailer_DamagedFooter_IsDetected(int fromEnd, string reason)
    {
        var (path, _, _) = WritePack();
        FlipByte(path, new FileInfo(path).Length + fromEnd);
        using var reader = PackReader.Open(path);
        var read = () => reader.ReadTrailer();
        read.Should().Throw<CorruptObjectException>().WithMessage($"*{Path.GetFileName(path)}*{reason}*");
    }

    [TestCase(0)]
    [TestCase(10)]
    [TestCase(PackFormat.HeaderSize + PackFormat.FooterSize - 1)]
    public void ReadTrailer_TruncatedPack_IsDetected(int keep)
    {
        var (path, _, _) = WritePack();
        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(keep);
        }

        using var reader = PackReader.Open(path);
        var read = () => reader.ReadTrailer();
        read.Should().Throw<CorruptObjectException>().WithMessage("*truncated*");
        reader.ScanEntries().Should().BeEmpty();
    }

    [Test]
    public void ReadEntry_PastTheEndOfATruncatedPack_IsCorruptNotAnIOError()
    {
        var (path, _, entries) = WritePack();
        var last = entries[^1];
        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(last.DataOffset + 100);
        }

        using var reader = PackReader.Open(path);
        var read = () => reader.ReadEntry(last, new byte[last.RawLength]);
        read.Should().Throw<CorruptObjectException>().WithMessage("*ends early*");
    }

    /// <summary>A pack file (written around the page cache in whole 4 MiB blocks, its tail through it) holds exactly the bytes a
    /// pack writer puts into a plain stream, on a disk and on tmpfs alike.</summary>
    [Test]
    public void PackFile_OfSeveralBlocks_HoldsExactlyWhatAPlainStreamGets([Values(false, true)] bool memoryBacked)
    {
        if (memoryBacked && TempDirectory.MemoryBacked is null)
        {
            Assert.Ignore("no tmpfs on this machine");
        }

        using var dir = new TempDirectory("packs-direct", memoryBacked ? TempDirectory.MemoryBacked : null);
        // 150 chunks of 64 KiB + 1: the entries straddle block boundaries and the pack ends in a partial block.
        var chunks = Enumerable.Range(0, 150).Select(i => TestData.Random((64 * 1024) + 1, seed: 100 + i)).ToList();
        using var plain = new MemoryStream();
        using (var reference = new PackWriter(plain, leaveOpen: true))
        {
            foreach (var c in chunks)
            {
                reference.Append(ObjectKind.Chunk, ObjectId.Compute(c), c, tryCompress: false);
            }

            reference.Finish();
        }

        string name;
        using (var file = new PackFile(dir.Path))
        {
            foreach (var c in chunks)
            {
                file.Writer.Append(ObjectKind.Chunk, ObjectId.Compute(c), c, tryCompress: false);
            }

            name = file.Publish();
        }

        var written = File.ReadAllBytes(Path.Combine(dir.Path, name));
        written.Length.Should().BeGreaterThan(2 * 4 * 1024 * 1024);
        written.Should().Equal(plain.ToArray());
        using var reader = PackReader.Open(Path.Combine(dir.Path, name));
        reader.ReadTrailer().Should().HaveCount(chunks.Count);
    }

    [Test]
    public void Dispose_WithoutFinish_DeletesTheTemporaryPack()
    {
        using (var writer = new PackFile(_dir.Path))
        {
            writer.Writer.Append(ObjectKind.Chunk, ObjectId.Compute("x"u8), "x"u8, tryCompress: false);
            Directory.GetFiles(_dir.Path).Should().ContainSingle().Which.Should().Contain(PackFormat.TempPrefix);
        }

        Directory.GetFiles(_dir.Path).Should().BeEmpty();
    }

    [Test]
    public void Append_AfterFinish_Throws_AndOversizedEntriesAreRefused()
    {
        using var writer = new PackFile(_dir.Path);
        var tooBig = () => writer.Writer.Append(ObjectKind.Chunk, ObjectId.Zero, new byte[PackFormat.MaxEntrySize + 1], tryCompress: false);
        tooBig.Should().Throw<ArgumentException>();
        writer.Publish();
        var append = () => writer.Writer.Append(ObjectKind.Chunk, ObjectId.Zero, "x"u8.ToArray(), tryCompress: false);
        append.Should().Throw<ObjectDisposedException>();
    }

    [Test]
    public void Finish_EmptyPack_IsValid()
    {
        using var writer = new PackFile(_dir.Path);
        var name = writer.Publish();
        using var reader = PackReader.Open(Path.Combine(_dir.Path, name));
        reader.ReadTrailer().Should().BeEmpty();
        reader.ScanEntries().Should().BeEmpty();
    }

    [Test]
    public void RemoveStaleTemporaries_DeletesOnlyOldTemporaryPacks()
    {
        var (packPath, _, _) = WritePack();
        var stale = Path.Combine(_dir.Path, PackFormat.TempPrefix + "stale" + PackFormat.Extension);
        var fresh = Path.Combine(_dir.Path, PackFormat.TempPrefix + "fresh" + PackFormat.Extension);
        File.WriteAllBytes(stale, [1]);
        File.WriteAllBytes(fresh, [1]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(packPath, DateTime.UtcNow.AddHours(-2));

        using var database = RepositoryDatabase.Open(_dir.Combine("index.db"), create: true);
        using var packs = new PackSet(_dir.Path, database);
        packs.RemoveStaleTemporaries(TimeSpan.FromHours(1));

        File.Exists(stale).Should().BeFalse();
        File.Exists(fresh).Should().BeTrue("a writer may still be filling it");
        File.Exists(packPath).Should().BeTrue("finished packs are never temporaries");
    }

    private static void FlipByte(string path, long offset)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        stream.Position = offset;
        var b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x40));
    }
}
