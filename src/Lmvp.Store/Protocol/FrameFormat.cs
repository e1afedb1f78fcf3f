using Lmvp.Store.Packs;

namespace Lmvp.Store.Protocol;

/// <summary>The binary frame streams of the sync protocol (docs/PROTOCOL.md).</summary>
/// <remarks>
/// <code>
/// version 1: stream := "LMVPFRM1" frame* end
///            frame  := kind:u8 (an ObjectKind), id:32 bytes, length:u32, data
///            end    := kind 0, 32 zero bytes, length 0
/// version 2: stream := "LMVPFRM2" frame* end
///            frame  := kind:u8, encoding:u8 (a ChunkEncoding), id:32 bytes, stored length:u32, raw length:u32, stored bytes
///            end    := kind 0, encoding 0, 32 zero bytes, lengths 0
/// </code>
/// Integers are little-endian. Version 2 carries chunks in their stored encoding (so the wire carries the compressed bytes);
/// the receiver decodes each into exactly its declared raw length, hashes it, and only then keeps it. Metadata frames are
/// always raw. A reader accepts either version; a client asks for version 2 answers with <see cref="AcceptVersion2"/>.
/// </remarks>
public static class FrameFormat
{
    /// <summary>The media type of a frame stream.</summary>
    public const string MediaType = "application/x-lmvp-frames";

    /// <summary>The Accept header value a client sends for a version 2 answer (chunks in their stored encoding).</summary>
    public const string AcceptVersion2 = MediaType + "; version=2";

    /// <summary>Bytes before the data of each frame, version 1.</summary>
    public const int FrameHeaderSize = 1 + ObjectId.Size + 4;

    /// <summary>Bytes before the data of each frame, version 2.</summary>
    public const int FrameHeaderSizeV2 = 1 + 1 + ObjectId.Size + 4 + 4;

    /// <summary>The kind byte of the end frame.</summary>
    internal const byte EndKind = 0;

    /// <summary>The stream's leading magic, version 1.</summary>
    public static ReadOnlySpan<byte> Magic => "LMVPFRM1"u8;

    /// <summary>The stream's leading magic, version 2.</summary>
    public static ReadOnlySpan<byte> MagicV2 => "LMVPFRM2"u8;

    /// <summary>The exact size of a version 1 stream of <paramref name="frameCount"/> frames carrying <paramref name="payloadBytes"/> of data.</summary>
    public static long StreamSize(long payloadBytes, int frameCount) => StreamSize(payloadBytes, frameCount, 1);

    /// <summary>The exact size of a stream of the given version with <paramref name="frameCount"/> frames carrying <paramref name="payloadBytes"/> of data.</summary>
    public static long StreamSize(long payloadBytes, int frameCount, int version) =>
        Magic.Length + payloadBytes + ((long)(frameCount + 1) * (version == 2 ? FrameHeaderSizeV2 : FrameHeaderSize));

    /// <summary>True when an Accept header asks for version 2 frames.</summary>
    public static bool AcceptsVersion2(string? accept) =>
        accept is not null && accept.Split(',').Any(part =>
        {
            var pieces = part.Split(';');
            return pieces[0].Trim().Equals(MediaType, StringComparison.OrdinalIgnoreCase)
                && pieces.Skip(1).Any(p => p.Trim().Replace(" ", "", StringComparison.Ordinal).Equals("version=2", StringComparison.OrdinalIgnoreCase));
        });

    /// <summary>Null when a frame header's lengths fit its kind and encoding, else why not.</summary>
    internal static string? Check(ObjectKind kind, ChunkEncoding encoding, uint stored, uint raw, int maxFrame)
    {
        if (!Enum.IsDefined(encoding))
        {
            return $"unknown chunk encoding {(byte)encoding} (sent by a newer lmvp?)";
        }

        if (kind != ObjectKind.Chunk && encoding != ChunkEncoding.Raw)
        {
            return $"a {kind.ToString().ToLowerInvariant()} frame must not be encoded";
        }

        if (encoding == ChunkEncoding.Raw && stored != raw)
        {
            return $"a raw frame declares {stored} stored and {raw} raw bytes";
        }

        var limit = kind == ObjectKind.Chunk ? Math.Min(maxFrame, ProtocolLimits.MaxChunkFrame) : maxFrame;
        return stored > limit || raw > limit ? $"frame of {Math.Max(stored, raw)} bytes exceeds the limit of {limit}" : null;
    }
}
