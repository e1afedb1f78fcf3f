namespace Lmvp.Store.Protocol;

/// <summary>The bounds of the sync protocol (docs/PROTOCOL.md): the server enforces them, the client stays within them.</summary>
public static class ProtocolLimits
{
    /// <summary>The most ids one JSON list may carry.</summary>
    public const int MaxIdsPerRequest = 10_000;

    /// <summary>The most frames one upload may carry.</summary>
    public const int MaxFramesPerUpload = 100_000;

    /// <summary>The largest JSON body a server reads: room for the largest request the protocol documents, a closure with
    /// <see cref="MaxIdsPerRequest"/> wants and as many haves (2 x 10,000 quoted 64-digit ids, about 1.3 MiB).</summary>
    public const long MaxJsonBody = 2L << 20;

    /// <summary>The largest frame-stream upload (objects or chunks).</summary>
    public const long MaxUploadBody = 256L << 20;

    /// <summary>The most data one chunk frame may carry.</summary>
    public const int MaxChunkFrame = 4 * 1024 * 1024;

    /// <summary>The most data one metadata frame may carry.</summary>
    public const int MaxObjectFrame = 64 * 1024 * 1024;

    /// <summary>The longest full ref name.</summary>
    public const int MaxRefLength = 255;

    /// <summary>The most <c>have</c> commits a client names in one closure request.</summary>
    public const int MaxHaves = 1000;
}
