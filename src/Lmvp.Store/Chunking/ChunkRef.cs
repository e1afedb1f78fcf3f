namespace Lmvp.Store.Chunking;

/// <summary>One chunk of a file: its id and length, in file order.</summary>
internal readonly record struct ChunkRef(ObjectId Id, int Length)
{
    /// <summary>Bytes of <paramref name="chunks"/> whose chunk is not among <paramref name="other"/>: how much of a file differs from another by chunk.</summary>
    public static long BytesNotIn(IEnumerable<ChunkRef> chunks, IEnumerable<ChunkRef> other)
    {
        var known = other.Select(c => c.Id).ToHashSet();
        return chunks.Where(c => !known.Contains(c.Id)).Sum(c => (long)c.Length);
    }
}

/// <summary>Receives the chunks of a file in order, a batch at a time, with their ids and bytes.</summary>
internal interface IChunkSink
{
    /// <summary>Called with consecutive chunks laid back to back in <paramref name="data"/>; always on one thread, in file order.</summary>
    /// <remarks>Batches let a store answer "which of these do I have" with one index query instead of one per chunk.</remarks>
    void Accept(ReadOnlySpan<ChunkRef> chunks, ReadOnlySpan<byte> data);
}

/// <summary>The result of chunking one file: its whole-content id, its size and its chunks.</summary>
internal sealed record ChunkedFile(ObjectId FileId, long Size, IReadOnlyList<ChunkRef> Chunks);
