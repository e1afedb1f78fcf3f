using System.Text;
using Lmvp.Store.Codecs;
using Lmvp.Store.Packs;
using Lmvp.Testing;

namespace Lmvp.Store.Tests.Codecs;

/// <summary>libzstd and its ZstdSharp fallback: either reads what the other writes, chunk encodings included, so packs
/// written before (by ZstdSharp) and after (by libzstd) decode the same, and a machine without libzstd still works.</summary>
[TestFixture]
public sealed class ZstdTests
{
    private static IEnumerable<(string What, byte[] Bytes)> Inputs()
    {
        yield return ("text", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 4000).Select(i => $"step {i} loss 0.{i % 89}\n"))));
        yield return ("random bytes", TestData.Random(70_000, 1));
        yield return ("float weights", ModelFiles.NormalFloats(20_000, 2));
        yield return ("zeros", new byte[100_000]);
        yield return ("one byte", [42]);
        yield return ("nothing", []);
    }

    [Test]
    public void LibZstd_Loads_OnThisMachine_UnlessTheFallbackIsForced()
    {
        // Every Debian system has libzstd.so.1 (dpkg depends on it); LMVP_ZSTD=managed is the one way to turn it off.
        var forced = string.Equals(Environment.GetEnvironmentVariable(NativeZstd.EnvironmentVariable), "managed", StringComparison.OrdinalIgnoreCase);
        NativeZstd.IsLoaded.Should().Be(!forced);
        using var compressor = new ZstdCompressor(1);
        using var decompressor = new ZstdDecompressor();
        compressor.IsNative.Should().Be(!forced);
        decompressor.IsNative.Should().Be(!forced);
        using var managed = new ZstdCompressor(1, native: false);
        managed.IsNative.Should().BeFalse();
    }

    [Test]
    public void Frames_OfEitherImplementation_DecodeByteExact_WithBoth([Values(true, false)] bool writtenNatively)
    {
        using var compressor = new ZstdCompressor(1, native: writtenNatively);
        using var planes = new ZstdCompressor(1, hashLog: 6, minMatch: 7, native: writtenNatively);
        using var native = new ZstdDecompressor(native: true);
        using var managed = new ZstdDecompressor(native: false);
        foreach (var (what, bytes) in Inputs())
        {
            foreach (var frame in new[] { compressor.Compress(bytes), planes.Compress(bytes) })
            {
                foreach (var decompressor in new[] { native, managed })
                {
                    var back = new byte[bytes.Length];
                    decompressor.TryDecompress(frame, back, out var written).Should().BeNull(what);
                    written.Should().Be(bytes.Length, what);
                    back.Should().Equal(bytes, "{0} written by {1}, read by {2}", what, writtenNatively ? "libzstd" : "ZstdSharp",
                        decompressor.IsNative ? "libzstd" : "ZstdSharp");
                }
            }
        }
    }

    [Test]
    public void ADestinationTooSmall_IsAMiss_ForTheCompressor_AndAnError_ForTheDecompressor([Values(true, false)] bool native)
    {
        var text = Inputs().First().Bytes;
        using var compressor = new ZstdCompressor(1, native: native);
        compressor.TryCompress(text, new byte[16], out _).Should().BeFalse();
        var frame = compressor.Compress(text);
        using var decompressor = new ZstdDecompressor(native);
        decompressor.TryDecompress(frame, new byte[text.Length - 1], out _).Should().NotBeNull("a frame never expands past its destination");
        decompressor.TryDecompress(frame.AsSpan(0, frame.Length / 2), new byte[text.Length], out _).Should().NotBeNull("a truncated frame is refused");
    }

    [Test]
    public void ChunkEncodings_OfEitherImplementation_DecodeTheSame_AndCompressAlike()
    {
        // A stream of fp32, bf16, opaque and unknown chunks, as a commit encodes them: libzstd's and ZstdSharp's encodings
        // both decode (with the decoder of this process) to the raw bytes, and neither is meaningfully larger.
        var chunks = new List<(byte[] Raw, ElementKind Kind)>();
        for (var i = 0; i < 40; i++)
        {
            chunks.Add((ModelFiles.NormalFloats(16384, 10 + i), ElementKind.Float32));
        }

        chunks.Add((ModelFiles.ToBFloat16(ModelFiles.NormalFloats(32768, 3)), ElementKind.BFloat16));
        chunks.Add((Inputs().First().Bytes, ElementKind.Opaque));
        chunks.Add((ModelFiles.NormalFloats(16384, 4).AsSpan(3).ToArray(), ElementKind.Unknown));
        chunks.Add((TestData.Random(65536, 5), ElementKind.Unknown));

        var stored = new Dictionary<bool, long>();
        foreach (var native in new[] { true, false })
        {
            using var encoder = new ChunkEncoder(nativeZstd: native);
            long total = 0;
            foreach (var (raw, kind) in chunks)
            {
                var encoded = encoder.Encode(raw, kind);
                total += encoded.Stored.Length;
                var back = new byte[raw.Length];
                var entry = new PackEntry(ObjectId.Compute(raw), ObjectKind.Chunk, encoded.Encoding, 16, encoded.Stored.Length, raw.Length);
                PackFormat.DecodeEntry(entry, encoded.Stored.ToArray(), back);
                back.Should().Equal(raw);
            }

            stored[native] = total;
        }

        ((double)stored[true] / stored[false]).Should().BeInRange(0.98, 1.02, "both are zstd with the same parameters");
    }
}
