using System.Buffers.Binary;

namespace Lmvp.Store.Codecs;

/// <summary>The stored form of <see cref="Packs.ChunkEncoding.BytePlanes"/>: a chunk of floats split into byte planes, each
/// plane entropy-coded with zstd or kept raw.</summary>
/// <remarks>
/// Layout, version 1 (all integers little-endian):
/// <code>
/// u8  version (1)
/// u8  width: bytes per value, 2 (fp16, bf16) or 4 (fp32)
/// u8  transform: 0 none (1 is reserved for an XOR against a base chunk: the same tensor piece one version earlier)
/// u8  lead: bytes before the first whole value (less than width), kept as they are
/// per plane (width of them): u8 codec (0 raw, 1 zstd frame), u32 stored length
/// lead bytes, then tail bytes: the ((raw length - lead) mod width) bytes after the last whole value, as they are
/// plane 0 .. plane width-1: each decodes to exactly (raw length - lead) / width bytes
/// </code>
/// A chunk cut at a value boundary (inside a tensor) has lead 0; a chunk of unknown content cut anywhere has the lead that puts
/// its least varied byte lane (the exponents) in the last plane, so planes line up from chunk to chunk.
/// Plane k holds byte k of every value, so for fp32 plane 3 holds the sign and 7 exponent bits and compresses about 3x,
/// while the mantissa planes are kept raw. A decoder refuses anything it does not know (a newer version or transform), and
/// never writes past the raw length the entry declares: a plane that would expand further is corrupt.
/// </remarks>
internal static class PlaneCodec
{
    public const byte Version = 1;
    public const byte PlaneRaw = 0;
    public const byte PlaneZstd = 1;
    public const int FixedHeaderSize = 4;
    public const int PlaneHeaderSize = 5;

    public static int HeaderSize(int width) => FixedHeaderSize + (PlaneHeaderSize * width);

    /// <summary>True for the widths version 1 knows.</summary>
    public static bool IsWidth(int width) => width is 2 or 4;

    /// <summary>Decodes into <paramref name="destination"/> (exactly the raw length); null when good, else what is wrong.</summary>
    public static string? Decode(ReadOnlySpan<byte> stored, Span<byte> destination, ZstdDecompressor decompressor, Span<byte> scratch)
    {
        if (stored.Length < FixedHeaderSize)
        {
            return "has a truncated byte-plane header";
        }

        if (stored[0] != Version)
        {
            return $"uses byte-plane encoding version {stored[0]}, which this lmvp does not know (upgrade lmvp)";
        }

        var width = stored[1];
        if (!IsWidth(width))
        {
            return $"has a byte-plane width of {width}";
        }

        if (stored[2] != 0)
        {
            return $"uses byte-plane transform {stored[2]}, which this lmvp does not know (upgrade lmvp)";
        }

        var header = HeaderSize(width);
        var lead = stored[3];
        if (stored.Length < header || lead >= width || lead > destination.Length)
        {
            return "has a truncated or malformed byte-plane header";
        }

        var count = (destination.Length - lead) / width;
        var tail = destination.Length - lead - (count * width);
        var offset = header + lead + tail;
        for (var k = 0; k < width; k++)
        {
            var codec = stored[FixedHeaderSize + (k * PlaneHeaderSize)];
            var length = BinaryPrimitives.ReadUInt32LittleEndian(stored[(FixedHeaderSize + (k * PlaneHeaderSize) + 1)..]);
            if (codec > PlaneZstd || (codec == PlaneRaw && length != count) || length > stored.Length - offset)
            {
                return $"has a malformed byte-plane header (plane {k})";
            }

            offset += (int)length;
        }

        if (offset != stored.Length)
        {
            return "has byte planes that do not add up to its stored length";
        }

        if (scratch.Length < count * width)
        {
            throw new ArgumentException("The scratch buffer is too small.", nameof(scratch));
        }

        stored.Slice(header, lead).CopyTo(destination);
        stored.Slice(header + lead, tail).CopyTo(destination[(lead + (count * width))..]);
        offset = header + lead + tail;
        // Raw planes are joined from where they lie in the stored bytes; only compressed ones are expanded (into scratch).
        Span<int> at = stackalloc int[width];
        Span<bool> inScratch = stackalloc bool[width];
        for (var k = 0; k < width; k++)
        {
            var codec = stored[FixedHeaderSize + (k * PlaneHeaderSize)];
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(stored[(FixedHeaderSize + (k * PlaneHeaderSize) + 1)..]);
            var payload = stored.Slice(offset, length);
            at[k] = offset;
            offset += length;
            if (codec == PlaneRaw)
            {
                continue;
            }

            var plane = scratch.Slice(k * count, count);
            at[k] = k * count;
            inScratch[k] = true;
            // The destination is exactly one plane: a frame that would expand past it fails here, it cannot overrun.
            if (decompressor.TryDecompress(payload, plane, out var written) is { } failed)
            {
                return $"has byte plane {k} that does not decompress within {count} bytes ({failed})";
            }

            if (written != count)
            {
                return $"has byte plane {k} that decompresses to {written} bytes, not {count}";
            }
        }

        ReadOnlySpan<byte> from = scratch;
        if (width == 4)
        {
            BytePlanes.Join4((inScratch[0] ? from : stored).Slice(at[0], count), (inScratch[1] ? from : stored).Slice(at[1], count),
                (inScratch[2] ? from : stored).Slice(at[2], count), (inScratch[3] ? from : stored).Slice(at[3], count), destination[lead..]);
        }
        else
        {
            BytePlanes.Join2((inScratch[0] ? from : stored).Slice(at[0], count), (inScratch[1] ? from : stored).Slice(at[1], count), destination[lead..]);
        }

        return null;
    }
}
