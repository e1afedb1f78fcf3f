namespace Lmvp.Store.Protocol;

/// <summary>The binary frame stream of the sync protocol (docs/PROTOCOL.md).</summary>
/// <remarks>
/// <code>
/// stream := "LMVPFRM1" frame* end
/// frame  := kind:u8 (an ObjectKind), id:32 bytes, length:u32 little-endian, data
/// end    := kind 0, 32 zero bytes, length 0
/// </code>
/// </remarks>
public static class FrameFormat
{
    /// <summary>The media type of a frame stream.</summary>
    public const string MediaType = "application/x-lmvp-frames";

    /// <summary>Bytes before the data of each frame.</summary>
    public const int FrameHeaderSize = 1 + ObjectId.Size + 4;

    /// <summary>The kind byte of the end frame.</summary>
    internal const byte EndKind = 0;

    /// <summary>The stream's leading magic.</summary>
    public static ReadOnlySpan<byte> Magic => "LMVPFRM1"u8;

    /// <summary>The exact size of a stream of <paramref name="frameCount"/> frames carrying <paramref name="payloadBytes"/> of data.</summary>
    public static long StreamSize(long payloadBytes, int frameCount) =>
        Magic.Length + payloadBytes + ((long)(frameCount + 1) * FrameHeaderSize);
}
