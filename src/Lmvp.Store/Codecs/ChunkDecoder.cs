using Lmvp.Store.Packs;

namespace Lmvp.Store.Codecs;

/// <summary>Turns stored bytes back into raw bytes, for every <see cref="ChunkEncoding"/>, never writing past the declared raw length.</summary>
/// <remarks>Each thread keeps one zstd context and one plane buffer: a context costs more to create than a chunk to decode.</remarks>
internal static class ChunkDecoder
{
    [ThreadStatic]
    private static ZstdDecompressor? t_decompressor;

    [ThreadStatic]
    private static byte[]? t_planes;

    /// <summary>Decodes <paramref name="stored"/> into exactly <paramref name="destination"/>; null when good, else what is wrong.</summary>
    public static string? Decode(ChunkEncoding encoding, ReadOnlySpan<byte> stored, Span<byte> destination, ZstdDecompressor? decompressor = null)
    {
        switch (encoding)
        {
            case ChunkEncoding.Raw:
                if (stored.Length != destination.Length)
                {
                    return "has different stored and raw lengths although it is not encoded";
                }

                stored.CopyTo(destination);
                return null;
            case ChunkEncoding.Zstd:
                // The destination is exactly the declared raw length: a frame that expands further fails, it cannot overrun.
                if ((decompressor ?? Decompressor()).TryDecompress(stored, destination, out var written) is { } failed)
                {
                    return $"does not decompress within {destination.Length} bytes ({failed})";
                }

                return written == destination.Length ? null : $"decompresses to {written} bytes, not {destination.Length}";
            case ChunkEncoding.BytePlanes:
                var planes = t_planes;
                if (planes is null || planes.Length < destination.Length)
                {
                    planes = t_planes = GC.AllocateUninitializedArray<byte>(Math.Max(destination.Length, 256 * 1024));
                }

                return PlaneCodec.Decode(stored, destination, decompressor ?? Decompressor(), planes);
            default:
                return $"has unknown encoding {(byte)encoding} (written by a newer lmvp?)";
        }
    }

    private static ZstdDecompressor Decompressor() => t_decompressor ??= new ZstdDecompressor();
}
