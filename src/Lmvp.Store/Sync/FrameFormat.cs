namespace Lmvp.Store.Sync;

/// <summary>The binary frame stream of the sync protocol (docs/PROTOCOL.md).</summary>
/// <remarks>
/// <code>
/// stream := "LMVPFRM1" frame* end
/// frame  := kind:u8, id:32 bytes, length:u32 little-endian, data
/// end    := kind 0, 32 zero bytes, length 0
/// </code>
/// </remarks>
public static class FrameFormat
{
    /// <summary>The media type of a frame stream.</summary>
    public const string MediaType = "application/x-lmvp-frames";

    /// <summary>Bytes before the data of each frame.</summary>
    public const int FrameHeaderSize = 1 + ObjectId.Size + 4;

    /// <summary>The most data one chunk frame may carry.</summary>
    public const int MaxChunkFrame = 4 * 1024 * 1024;

    /// <summary>The most data one metadata frame may carry.</summary>
    public const int MaxObjectFrame = 64 * 1024 * 1024;

    /// <summary>The stream's leading magic.</summary>
    public static ReadOnlySpan<byte> Magic => "LMVPFRM1"u8;
}

/// <summary>What a frame carries; the numbers match pack entry kinds.</summary>
public enum FrameKind : byte
{
    /// <summary>The end of the stream.</summary>
    End = 0,

    /// <summary>Chunk bytes.</summary>
    Chunk = 1,

    /// <summary>An encoded tree.</summary>
    Tree = 2,

    /// <summary>An encoded commit.</summary>
    Commit = 3,

    /// <summary>An encoded file manifest, keyed by the file id.</summary>
    Manifest = 4,
}
