using Lmvp.Store.Codecs;

namespace Lmvp.Store.Chunking;

/// <summary>Receives the chunks of a file in order, a batch at a time, with their ids, what they hold, and their bytes.</summary>
public interface IChunkSink
{
    /// <summary>Called with consecutive chunks laid back to back in <paramref name="data"/>; always on one thread, in file order.</summary>
    /// <param name="chunks">The chunks' ids and lengths.</param>
    /// <param name="kinds">For each chunk, what a format reader knows its bytes hold (it chooses the stored encoding).</param>
    /// <param name="data">The chunks' bytes, back to back.</param>
    /// <remarks>Batches let a store answer "which of these do I have" with one index query instead of one per chunk.</remarks>
    void Accept(ReadOnlySpan<ChunkRef> chunks, ReadOnlySpan<ElementKind> kinds, ReadOnlySpan<byte> data);
}

/// <summary>The result of chunking one file: its whole-content id, its size and its chunks.</summary>
internal sealed record ChunkedFile(ObjectId FileId, long Size, IReadOnlyList<ChunkRef> Chunks);
