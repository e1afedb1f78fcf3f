using Lmvp.Store.Chunking;
using Lmvp.Store.Objects;
using Lmvp.Store.Packs;
using Lmvp.Store.Tests.Support;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.Objects;

public class FileManifestTests
{
    private static readonly ObjectId FileId = ObjectId.Compute("file"u8);

    internal static FileManifest Sample() => new(FileId, 100_000 + 70_000 + 1, [
        new ChunkRef(ObjectId.Compute("c1"u8), 100_000),
        new ChunkRef(ObjectId.Compute("c2"u8), 70_000),
        new ChunkRef(ObjectId.Compute("c3"u8), 1),
    ]);

    [Test]
    public void Encode_ThenDecode_GivesIdenticalChunksAndBytes()
    {
        var manifest = Sample();
        var encoded = manifest.Encode();

        var decoded = FileManifest.Decode(encoded, FileId);

        decoded.FileId.Should().Be(FileId);
        decoded.Size.Should().Be(manifest.Size);
        decoded.Chunks.Should().Equal(manifest.Chunks);
        decoded.Encode().Should().Equal(encoded);
    }

    [Test]
    public void EmptyFile_HasNoChunks_AndRoundTrips()
    {
        var empty = new FileManifest(ObjectId.Compute([]), 0, []);
        var decoded = FileManifest.Decode(empty.Encode(), empty.FileId);
        decoded.Size.Should().Be(0);
        decoded.Chunks.Should().BeEmpty();
    }

    [Test]
    public void Decode_ForAnotherFileId_IsCorrupt()
    {
        var decode = () => FileManifest.Decode(Sample().Encode(), ObjectId.Compute("other"u8));
        decode.Should().Throw<CorruptObjectException>().WithMessage($"*names file {FileId.ToShortString()}*");
    }

    [Test]
    public void Decode_TruncatedAtEveryLength_IsCorrupt()
    {
        var encoded = Sample().Encode();
        for (var length = 0; length < encoded.Length; length++)
        {
            DecodeFailure(encoded[..length]).Should().NotBeNull($"a manifest cut to {length} of {encoded.Length} bytes must be rejected");
        }
    }

    private static IEnumerable<TestCaseData> Malformed()
    {
        yield return Case(w => Write(w, size: 3, (ObjectId.Compute("x"u8), 1), (ObjectId.Compute("y"u8), 1)), "add up to 2, not 3", "LengthsShortOfSize");
        yield return Case(w => Write(w, size: 1, (ObjectId.Compute("x"u8), 1), (ObjectId.Compute("y"u8), 1)), "add up to 2, not 1", "LengthsPastSize");
        yield return Case(w => Write(w, size: 0, (ObjectId.Compute("x"u8), 0)), "bad chunk length", "ZeroLengthChunk");
        yield return Case(w => Write(w, size: PackFormat.MaxEntrySize + 1L, (ObjectId.Compute("x"u8), PackFormat.MaxEntrySize + 1u)), "bad chunk length", "ChunkLongerThanAnEntry");
        yield return Case(w => Write(w, size: (long)uint.MaxValue, (ObjectId.Compute("x"u8), uint.MaxValue)), "bad chunk length", "ChunkLengthMaxUInt");
        yield return Case(w => { Write(w, size: 1, (ObjectId.Compute("x"u8), 1)); w.WriteByte(0); }, "trailing", "TrailingByte");
        yield return Case(w => { w.WriteMagic("LMAN"u8, 1); w.WriteId(FileId); w.WriteUInt64(0); w.WriteVarUInt(1_000_000_000); }, "exceeds the limit", "HugeCount");
        yield return Case(w => { w.WriteMagic("LMAN"u8, 1); w.WriteId(FileId); w.WriteUInt64(0); w.WriteByte(0x80); w.WriteByte(0x00); }, "non-canonical", "NonCanonicalCount");
        yield return Case(w => { w.WriteMagic("LMAX"u8, 1); w.WriteId(FileId); w.WriteUInt64(0); w.WriteVarUInt(0); }, "wrong magic", "WrongMagic");
        yield return Case(w => { w.WriteMagic("LMAN"u8, 9); w.WriteId(FileId); w.WriteUInt64(0); w.WriteVarUInt(0); }, "unsupported version 9", "WrongVersion");
    }

    private static TestCaseData Case(Action<CanonicalWriter> write, string reason, string name)
    {
        var writer = new CanonicalWriter();
        write(writer);
        return new TestCaseData(writer.ToArray(), reason).SetName($"Decode_{name}_IsCorrupt");
    }

    private static void Write(CanonicalWriter w, long size, params (ObjectId Id, uint Length)[] chunks)
    {
        w.WriteMagic("LMAN"u8, 1);
        w.WriteId(FileId);
        w.WriteUInt64((ulong)size);
        w.WriteVarUInt((ulong)chunks.Length);
        foreach (var (id, length) in chunks)
        {
            w.WriteId(id);
            w.WriteUInt32(length);
        }
    }

    [TestCaseSource(nameof(Malformed))]
    public void Decode_Malformed_IsCorruptWithAReason(byte[] encoded, string reason)
    {
        var failure = DecodeFailure(encoded);
        failure.Should().NotBeNull();
        failure!.Message.Should().StartWith("Malformed manifest").And.Contain(reason);
    }

    internal static CorruptObjectException? DecodeFailure(byte[] encoded)
    {
        try
        {
            FileManifest.Decode(encoded, FileId);
            return null;
        }
        catch (CorruptObjectException e)
        {
            return e;
        }
    }

    [Test]
    public void ChunkLengthsOfAFile_AreItsManifest_AfterACommit()
    {
        using var scratch = new ScratchRepository("manifest");
        var content = TestData.Random(1_000_000, seed: 11);
        scratch.Write("w.bin", content);
        var commit = scratch.Commit().Commit;
        var entry = scratch.Entry(commit.Id, "w.bin")!;

        var manifest = scratch.Repository.Store.GetManifest(entry.Id);

        manifest.FileId.Should().Be(Hashes.Of(content));
        manifest.Size.Should().Be(content.Length);
        manifest.Chunks.Sum(c => (long)c.Length).Should().Be(content.Length);
        var position = 0;
        foreach (var chunk in manifest.Chunks)
        {
            chunk.Id.Should().Be(Hashes.Of(content.AsSpan(position, chunk.Length)));
            position += chunk.Length;
        }
    }
}
