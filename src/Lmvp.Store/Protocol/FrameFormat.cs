namespace Lmvp.Store.Protocol;

/// <summary>The binary frame stream of the sync protocol (docs/PROTOCOL.md).</summary>
/// <remarks>
/// <code>
/// stream := "LMVPFRM1" frame* end
/// frame  := kind:u8 (an ObjectKind), id:32 bytes, length:u32 little-endian, data
/// end    := kind 0, 32 zero bytes, length 0
/// error  := kind 0xFF, the id it concerns (or 32 zero bytes), length, data: an ApiError as JSON; the last frame of a stream
/// </code>
/// A sender that cannot go on (its stored copy of the next object is damaged) sends an error frame instead of the rest, so the
/// receiver can tell that from a broken connection and not ask again.
/// </remarks>
public static class FrameFormat
{
    /// <summary>The media type of a frame stream.</summary>
    public const string MediaType = "application/x-lmvp-frames";

    /// <summary>Bytes before the data of each frame.</summary>
    public const int FrameHeaderSize = 1 + ObjectId.Size + 4;

    /// <summary>The kind byte of the end frame.</summary>
    internal const byte EndKind = 0;

    /// <summary>The kind byte of the error frame.</summary>
    internal const byte ErrorKind = 0xFF;

    /// <summary>The most data an error frame carries.</summary>
    internal const int MaxErrorFrame = 64 * 1024;

    /// <summary>The stream's leading magic.</summary>
    public static ReadOnlySpan<byte> Magic => "LMVPFRM1"u8;

    /// <summary>The exact size of a stream of <paramref name="frameCount"/> frames carrying <paramref name="payloadBytes"/> of data.</summary>
    public static long StreamSize(long payloadBytes, int frameCount) =>
        Magic.Length + payloadBytes + ((long)(frameCount + 1) * FrameHeaderSize);
}
