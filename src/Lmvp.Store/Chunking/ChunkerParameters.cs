namespace Lmvp.Store.Chunking;

/// <summary>Size bounds of content-defined chunking.</summary>
/// <remarks>
/// 16 KiB minimum: below it per-chunk overhead (index row, 44-byte pack header, one hash call) stops paying for
/// the dedup it buys; the region below the minimum is never hashed, which is also a quarter of the chunker's speed.
/// 256 KiB maximum (4x the average): long runs with no cut point (zeros, constant tensors) are still split
/// finely enough that one changed byte re-stores at most 256 KiB, and a chunk always fits a small buffer.
/// </remarks>
internal sealed record ChunkerParameters(int MinSize, int AverageSize, int MaxSize)
{
    /// <summary>The parameters every LMVP repository uses; changing them changes every chunk id.</summary>
    public static ChunkerParameters Default { get; } = new(16 * 1024, 64 * 1024, 256 * 1024);
}
