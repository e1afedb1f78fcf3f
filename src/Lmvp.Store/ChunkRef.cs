namespace Lmvp.Store;

/// <summary>One chunk of a file: its id (BLAKE3 of its bytes) and its length, in file order.</summary>
/// <param name="Id">The chunk id.</param>
/// <param name="Length">The chunk's length in bytes.</param>
public readonly record struct ChunkRef(ObjectId Id, int Length)
{
    /// <summary>Bytes of <paramref name="chunks"/> whose chunk is not among <paramref name="other"/>: how much of a file differs from another by chunk.</summary>
    internal static long BytesNotIn(IEnumerable<ChunkRef> chunks, IEnumerable<ChunkRef> other)
    {
        var known = other.Select(c => c.Id).ToHashSet();
        return chunks.Where(c => !known.Contains(c.Id)).Sum(c => (long)c.Length);
    }
}
