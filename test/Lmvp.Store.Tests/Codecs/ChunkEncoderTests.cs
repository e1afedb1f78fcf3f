using System.Buffers.Binary;
using System.Text;
using Lmvp.Store.Codecs;
using Lmvp.Store.Packs;
using Lmvp.Testing;
using ZstdSharp;

namespace Lmvp.Store.Tests.Codecs;

[TestFixture]
public sealed class ChunkEncoderTests
{
    [Test]
    public void Float32Weights_AreStoredAsBytePlanes_SmallerThanZstd_AndDecodeByteExact()
    {
        var raw = ModelFiles.NormalFloats(16384, 1);
        using var encoder = new ChunkEncoder();
        var encoded = encoder.Encode(raw, ElementKind.Float32);
        encoded.Encoding.Should().Be(ChunkEncoding.BytePlanes);
        using var zstd = new Compressor(1);
        var plain = zstd.Wrap(raw).Length;
        encoded.Stored.Length.Should().BeLessThan((int)(raw.Length / 1.15), "the sign-and-exponent plane compresses about 3x");
        encoded.Stored.Length.Should().BeLessThan(plain, "byte planes beat plain zstd on float weights");
        Decode(encoded.Encoding, encoded.Stored.ToArray(), raw.Length).Should().Equal(raw);
    }

    [Test]
    public void BFloat16Weights_CompressAboutOneAndAHalfTimes_AndDecodeByteExact()
    {
        var raw = ModelFiles.ToBFloat16(ModelFiles.NormalFloats(32768, 2));
        using var encoder = new ChunkEncoder();
        var encoded = encoder.Encode(raw, ElementKind.BFloat16);
        encoded.Encoding.Should().Be(ChunkEncoding.BytePlanes);
        encoded.Stored.Length.Should().BeLessThan((int)(raw.Length / 1.4));
        Decode(encoded.Encoding, encoded.Stored.ToArray(), raw.Length).Should().Equal(raw);
    }

    [Test]
    public void FloatsOfUnknownContent_AreFoundByTheTrial_AndStoredAsPlanes()
    {
        using var encoder = new ChunkEncoder();
        var raw = ModelFiles.NormalFloats(16384, 3);
        var encoded = encoder.Encode(raw);
        encoded.Encoding.Should().Be(ChunkEncoding.BytePlanes);
        Decode(encoded.Encoding, encoded.Stored.ToArray(), raw.Length).Should().Equal(raw);
    }

    [Test]
    public void FloatsOfUnknownContent_CutAtAnyOffset_LineTheirPlanesUp_ChunkAfterChunk()
    {
        // Content-defined chunks of a raw float dump start anywhere: each chunk's lead puts the exponent bytes in the last plane.
        var floats = ModelFiles.NormalFloats(44 * 16384, 8);
        using var encoder = new ChunkEncoder();
        var random = new Random(8);
        long stored = 0, raw = 0;
        var offset = 0;
        for (var i = 0; i < 40; i++)
        {
            var length = 65536 + random.Next(-3000, 3000);
            var chunk = floats.AsSpan(offset, length).ToArray();
            offset += length;
            var encoded = encoder.Encode(chunk);
            encoded.Encoding.Should().Be(ChunkEncoding.BytePlanes, "chunk {0} at offset {1}", i, offset - length);
            Decode(encoded.Encoding, encoded.Stored.ToArray(), chunk.Length).Should().Equal(chunk);
            stored += encoded.Stored.Length;
            raw += length;
        }

        ((double)raw / stored).Should().BeGreaterThan(1.15);
    }

    [Test]
    public void Text_IsStoredAsZstd_AndRandomBytesRaw()
    {
        using var encoder = new ChunkEncoder();
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 3000).Select(i => $"{{\"step\": {i}, \"loss\": 0.{i % 97}}}\n")));
        var encoded = encoder.Encode(text);
        encoded.Encoding.Should().Be(ChunkEncoding.Zstd);
        Decode(encoded.Encoding, encoded.Stored.ToArray(), text.Length).Should().Equal(text);

        encoder.BeginStream();
        var random = TestData.Random(65536, 4);
        var stored = encoder.Encode(random);
        stored.Encoding.Should().Be(ChunkEncoding.Raw);
        stored.Stored.ToArray().Should().Equal(random);
    }

    [Test]
    public void EveryLength_RoundTrips_IncludingTailsThatAreNoWholeValue([Values(ElementKind.Float32, ElementKind.BFloat16, ElementKind.Unknown, ElementKind.Opaque)] ElementKind kind)
    {
        using var encoder = new ChunkEncoder();
        foreach (var length in new[] { 1, 511, 512, 513, 1023, 4097, 65535, 65537, 262144 })
        {
            var floats = ModelFiles.NormalFloats((length + 3) / 4, length);
            var raw = floats.AsSpan(0, length).ToArray();
            var encoded = encoder.Encode(raw, kind);
            Decode(encoded.Encoding, encoded.Stored.ToArray(), raw.Length).Should().Equal(raw, "{0} bytes of {1} as {2}", length, kind, encoded.Encoding);
        }
    }

    [Test]
    public void AStreamOfFloats_TriesEveryPlaneOnlyOnSamples_AndStillRoundTrips()
    {
        using var encoder = new ChunkEncoder();
        for (var i = 0; i < 40; i++)
        {
            var raw = ModelFiles.NormalFloats(16384, 100 + i);
            var encoded = encoder.Encode(raw, ElementKind.Float32);
            encoded.Encoding.Should().Be(ChunkEncoding.BytePlanes);
            Decode(encoded.Encoding, encoded.Stored.ToArray(), raw.Length).Should().Equal(raw);
        }
    }

    [Test]
    public void DamagedPlanes_AreRefused_NeverDecodedSilently()
    {
        var raw = ModelFiles.NormalFloats(16384, 5);
        using var encoder = new ChunkEncoder();
        var stored = encoder.Encode(raw, ElementKind.Float32).Stored.ToArray();
        var header = PlaneHeaderSize(4);
        var zstdPlane = Enumerable.Range(0, 4).First(k => stored[4 + (5 * k)] == 1);
        var zstdOffset = header + Enumerable.Range(0, zstdPlane).Sum(k => (int)BinaryPrimitives.ReadUInt32LittleEndian(stored.AsSpan(4 + (5 * k) + 1)));
        var rawPlane = Enumerable.Range(0, 4).First(k => stored[4 + (5 * k)] == 0);
        var rawOffset = header + Enumerable.Range(0, rawPlane).Sum(k => (int)BinaryPrimitives.ReadUInt32LittleEndian(stored.AsSpan(4 + (5 * k) + 1)));

        var cases = new Dictionary<string, byte[]>
        {
            ["a flipped byte in a raw (mantissa) plane"] = Flip(stored, rawOffset + 100),
            ["a flipped byte in the compressed exponent plane"] = Flip(stored, zstdOffset + 40),
            ["a newer version"] = With(stored, 0, 9),
            ["an unknown width"] = With(stored, 1, 3),
            ["an unknown transform"] = With(stored, 2, 1),
            ["a plane length past the end"] = With(stored, 5, 0xFF),
            ["a truncated chunk"] = stored[..^10],
        };
        var id = ObjectId.Compute(raw);
        foreach (var (what, bytes) in cases)
        {
            var entry = new PackEntry(id, ObjectKind.Chunk, ChunkEncoding.BytePlanes, 16, bytes.Length, raw.Length);
            var act = () => PackFormat.DecodeEntry(entry, bytes, new byte[raw.Length]);
            act.Should().Throw<CorruptObjectException>(what);
        }
    }

    [Test]
    public void ADecompressionBomb_IsRefused_WithinTheDeclaredLength()
    {
        // 64 MiB of zeros in a few KiB: declared as a 64 KiB chunk, it must fail, not allocate or write past 64 KiB.
        using var compressor = new Compressor(19);
        var bomb = compressor.Wrap(new byte[64 << 20]).ToArray();
        bomb.Length.Should().BeLessThan(100_000);
        var destination = new byte[65536];
        var entry = new PackEntry(ObjectId.Compute(destination), ObjectKind.Chunk, ChunkEncoding.Zstd, 16, bomb.Length, destination.Length);
        var act = () => PackFormat.DecodeEntry(entry, bomb, destination);
        act.Should().Throw<CorruptObjectException>().WithMessage("*within 65536 bytes*");

        // The same bomb as the exponent plane of a byte-plane chunk.
        var planes = new byte[PlaneHeaderSize(4) + (3 * 16384) + bomb.Length];
        planes[0] = 1;
        planes[1] = 4;
        for (var k = 0; k < 4; k++)
        {
            planes[4 + (5 * k)] = (byte)(k == 3 ? 1 : 0);
            BinaryPrimitives.WriteUInt32LittleEndian(planes.AsSpan(4 + (5 * k) + 1), (uint)(k == 3 ? bomb.Length : 16384));
        }

        bomb.CopyTo(planes, PlaneHeaderSize(4) + (3 * 16384));
        var planeEntry = new PackEntry(entry.Id, ObjectKind.Chunk, ChunkEncoding.BytePlanes, 16, planes.Length, 65536);
        var planeAct = () => PackFormat.DecodeEntry(planeEntry, planes, new byte[65536]);
        planeAct.Should().Throw<CorruptObjectException>().WithMessage("*does not decompress within 16384 bytes*");
    }

    private static int PlaneHeaderSize(int width) => 4 + (5 * width);

    private static byte[] Decode(ChunkEncoding encoding, byte[] stored, int rawLength)
    {
        var raw = new byte[rawLength];
        var entry = new PackEntry(ObjectId.Zero, ObjectKind.Chunk, encoding, 16, stored.Length, rawLength);
        PackFormat.DecodeEntry(entry, stored, raw, verify: false);
        return raw;
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 0x5A;
        return copy;
    }

    private static byte[] With(byte[] bytes, int at, byte value)
    {
        var copy = bytes.ToArray();
        copy[at] = value;
        return copy;
    }
}
